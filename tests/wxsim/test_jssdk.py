"""The JS-SDK's server side: wx.config signatures against live tickets, share cards only from
configured pages, and open-tag consent for the browser's WeChat user."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import httpx

from tests.wxsim.conftest import MINIPROGRAM, OFFICIAL, token_of
from weshop.wxsim.simulator import WxSim

PAGE = "https://shop.test/s/1/products/7?from=share"


async def fresh_ticket(client: httpx.AsyncClient, sim: WxSim) -> str:
    token = await token_of(client, sim, OFFICIAL)
    answer = await client.get(
        "/cgi-bin/ticket/getticket", params={"access_token": token, "type": "jsapi"}
    )
    return answer.json()["ticket"]


def page_config(ticket: str, url: str = PAGE, appid: str = OFFICIAL) -> dict[str, str]:
    """What a page passes to wx.config, signed as WeChat documents."""
    plain = f"jsapi_ticket={ticket}&noncestr=Wm3WZYTPz0wzccnW&timestamp=1414587457&url={url}"
    return {
        "appId": appid,
        "timestamp": "1414587457",
        "nonceStr": "Wm3WZYTPz0wzccnW",
        "signature": hashlib.sha1(plain.encode()).hexdigest(),
        "url": url,
    }


async def config(client: httpx.AsyncClient, body: dict[str, str]) -> str:
    return (await client.post("/wxsim/jssdk/config", json=body)).json()["errMsg"]


async def test_the_signature_must_be_of_this_url_with_a_live_ticket(client, sim: WxSim) -> None:
    ticket = await fresh_ticket(client, sim)
    assert await config(client, page_config(ticket)) == "config:ok"
    # The script sends location.href without its fragment: a fragment changes nothing.
    assert await config(client, {**page_config(ticket), "url": PAGE + "#reviews"}) == "config:ok"
    assert await config(client, {**page_config(ticket), "url": PAGE + "&x=1"}) == (
        "config:invalid signature"
    )
    assert await config(client, page_config("not-the-ticket")) == "config:invalid signature"
    assert await config(client, page_config(ticket, appid=MINIPROGRAM)) == "config:invalid appid"

    newer = await fresh_ticket(client, sim)
    assert await config(client, page_config(ticket)) == "config:ok"  # within the overlap
    sim.advance(timedelta(minutes=5))
    assert await config(client, page_config(ticket)) == "config:invalid signature"
    assert await config(client, page_config(newer)) == "config:ok"
    sim.advance(timedelta(hours=2))
    assert await config(client, page_config(newer)) == "config:invalid signature"


async def test_share_cards_are_recorded_from_configured_pages(client, sim: WxSim) -> None:
    ticket = await fresh_ticket(client, sim)
    card = {
        "title": "好物",
        "desc": "来看看",
        "link": PAGE + "&promoter=P1",
        "imgUrl": "https://shop.test/p.jpg",
    }
    answer = await client.post(
        "/wxsim/jssdk/share",
        json={**page_config(ticket), "api": "updateAppMessageShareData", "card": card},
    )
    assert answer.json() == {"errMsg": "updateAppMessageShareData:ok"}
    refused = await client.post(
        "/wxsim/jssdk/share",
        json={**page_config("forged"), "api": "updateTimelineShareData", "card": card},
    )
    assert refused.json()["errMsg"].startswith("updateTimelineShareData:fail")
    [share] = sim.shares
    assert (share.title, share.link, share.page) == ("好物", PAGE + "&promoter=P1", PAGE)
    listed = (await client.get("/wxsim/shares.json")).json()
    assert listed[0]["imgUrl"] == "https://shop.test/p.jpg" and listed[0]["user"] is None
    page = await client.get("/wxsim/shares")
    assert "好物" in page.text and "发送给朋友" in page.text


async def test_the_open_tag_records_consent_for_the_browsers_user(client, sim: WxSim) -> None:
    ticket = await fresh_ticket(client, sim)
    ids = sim.subscribe_templates(OFFICIAL)
    wanted = [ids["order_shipped"], ids["order_delivered"]]
    body = {**page_config(ticket), "templates": wanted}
    no_user = (await client.post("/wxsim/jssdk/subscribe", json=body)).json()
    assert no_user["event"] == "error"

    client.cookies.set("wxsim_user", "lina")
    answer = (await client.post("/wxsim/jssdk/subscribe", json=body)).json()
    assert answer["event"] == "success"
    details = json.loads(answer["detail"]["subscribeDetails"])
    assert {key: json.loads(value) for key, value in details.items()} == {
        wanted[0]: {"status": "accept"},
        wanted[1]: {"status": "accept"},
    }
    openid = sim.openid_of(OFFICIAL, "lina")
    assert sim.messaging.allowances[(OFFICIAL, openid, wanted[0])] == 1

    foreign = {**body, "templates": [sim.staff_templates(OFFICIAL)["new_order"]]}
    assert (await client.post("/wxsim/jssdk/subscribe", json=foreign)).json()["event"] == "error"
    forged = {**page_config("forged"), "templates": wanted}
    assert (await client.post("/wxsim/jssdk/subscribe", json=forged)).json()["event"] == "error"


async def test_the_script_is_served_with_paysims_url(client, sim: WxSim) -> None:
    answer = await client.get("/open/js/jweixin-1.6.0.js")
    assert answer.headers["content-type"].startswith("application/javascript")
    assert json.dumps(sim.paysim_url) in answer.text
    assert "__WXSIM_PAYSIM_URL__" not in answer.text
    preflight = await client.options(
        "/wxsim/jssdk/config",
        headers={"Origin": "https://shop.test", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers["access-control-allow-origin"] == "https://shop.test"
    assert preflight.headers["access-control-allow-credentials"] == "true"
