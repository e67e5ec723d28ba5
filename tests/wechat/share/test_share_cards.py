"""Share cards: product, store, group (拼团) and bargain (砍价) pages declare their card in og:
tags with their target, pages end with the JS-SDK script when an official account is
configured, and the card's link carries the promoter's code when the visitor is a promoter
or came through one."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pytest

from tests.affiliates.conftest import Pool, open_pool
from tests.bargain.conftest import campaign_body as bargain_body
from tests.groupbuy.conftest import campaign_body as group_body
from tests.groupbuy.conftest import create_campaign
from tests.support import Api, Headers, expect
from weshop.wxsim.simulator import JSSDK_SCRIPT_PATH, WxSim

from .conftest import WECHAT_UA

SHARE_LINK = "/api/v1/wechat/share-link"


def meta(page: str, key: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', page)
    return html.unescape(found.group(1)) if found else None


@dataclass
class Shared:
    pool: Pool
    group_id: int
    bargain_id: int

    @property
    def targets(self) -> dict[str, int]:
        return {
            "product": self.pool.product["id"],
            "store": self.pool.store_id,
            "group": self.group_id,
            "bargain": self.bargain_id,
        }


PAGES = {"product": "/p/{}", "store": "/s/{}", "group": "/g/{}", "bargain": "/bargain/{}"}


async def shared_pages(api: Api) -> Shared:
    """A pooled product with a live group buy (one open group) and a bargain started on it."""
    pool = await open_pool(api)
    await pool.pooled()
    client, store_id, owner = api.client, pool.store_id, pool.owner
    expect(await create_campaign(api, store_id, owner, group_body(pool.product)), 201)
    leader, address_id = await api.buyer()
    opened = expect(
        await client.post(
            "/api/v1/me/groups",
            json={
                "campaign_id": (
                    await client.get(
                        f"/api/v1/merchant/stores/{store_id}/group-buys", headers=owner
                    )
                ).json()["items"][0]["id"],
                "sku_id": pool.sku_ids[0],
                "address_id": address_id,
            },
            headers=leader,
        ),
        201,
    )
    await api.confirm_in_cashier(await api.start_payment(leader, opened["orders"][0]["id"]))
    campaign = expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/bargain/campaigns",
            json=bargain_body(pool.sku_ids[0], start_price_fen=1999, floor_price_fen=99),
            headers=owner,
        ),
        201,
    )
    starter = await api.sign_in()
    bargain = expect(
        await client.post(
            "/api/v1/me/bargains", json={"campaign_id": campaign["id"]}, headers=starter
        ),
        201,
    )
    return Shared(pool, opened["group_id"], bargain["id"])


def session_cookie(headers: Headers) -> dict[str, str]:
    """A storefront page's session: the same token as the API's, in the page cookie."""
    return {"Cookie": "weshop_session=" + headers["Authorization"].removeprefix("Bearer ")}


async def test_pages_declare_their_card_and_load_the_jssdk(api: Api, wxsim: WxSim):
    shared = await shared_pages(api)
    # In WeChat's browser, signed in by the official account (without a session the page
    # would first go to WeChat's authorisation).
    in_wechat = {"User-Agent": WECHAT_UA, **session_cookie(await api.sign_in())}
    cards = {}
    for kind, target_id in shared.targets.items():
        answer = await api.client.get(PAGES[kind].format(target_id), headers=in_wechat)
        page = answer.text
        assert answer.status_code == 200, page
        assert meta(page, "weshop:share-target") == f"{kind}:{target_id}"
        assert meta(page, "og:url") == "http://test" + PAGES[kind].format(target_id)
        script = re.search(r'<script src="/static/wechat-jssdk.js" data-jssdk="([^"]+)"', page)
        assert script and script.group(1) == wxsim.public_url + JSSDK_SCRIPT_PATH
        cards[kind] = (meta(page, "og:title"), meta(page, "og:description"))
        if kind != "store":
            assert meta(page, "og:image") in (None, "") or meta(page, "og:image").startswith("http")
    assert cards["product"] == ("高山乌龙茶", "¥19.99 起 · 测试小店")
    title, description = cards["group"]
    assert title == "快来和我一起拼团：高山乌龙茶"
    assert "3人团" in description and "还差 2 人" in description
    title, description = cards["bargain"]
    assert title == "帮我砍一刀：高山乌龙茶"
    assert description.startswith("现价 ¥19.99")


@pytest.mark.usefixtures("unconfigured")
async def test_without_an_official_account_pages_load_no_jssdk(api: Api, client):
    pool = await open_pool(api)
    in_wechat = {"User-Agent": WECHAT_UA, **session_cookie(await api.sign_in())}
    answer = await client.get(f"/p/{pool.product['id']}", headers=in_wechat)
    page = answer.text
    assert answer.status_code == 200 and "wechat-jssdk.js" not in page
    assert meta(page, "weshop:share-target") == f"product:{pool.product['id']}"


@pytest.mark.parametrize("kind", list(PAGES))
async def test_share_link_carries_the_promoters_code(api: Api, kind: str):
    shared = await shared_pages(api)
    client = api.client
    target = {"kind": kind, "id": shared.targets[kind]}
    page_url = "http://test" + PAGES[kind].format(shared.targets[kind])

    # A visitor nobody referred shares the page itself.
    assert expect(await client.get(SHARE_LINK, params=target), 200) == {
        "link": page_url,
        "promoter_code": None,
        "link_code": None,
    }

    # The promoter shares their own link to it.
    promoter_headers, promoter = await shared.pool.promoter()
    own = expect(
        await client.get(SHARE_LINK, params=target, headers=session_cookie(promoter_headers)), 200
    )
    assert own["promoter_code"] == promoter["code"]
    assert own["link"] == f"http://test/r/{own['link_code']}"
    followed = await client.get(f"/r/{own['link_code']}")
    assert followed.headers["location"] == PAGES[kind].format(shared.targets[kind])

    # A visitor who came through the promoter's link shares it onwards.
    referral = {"Cookie": "weshop_ref=" + followed.cookies["weshop_ref"]}
    client.cookies.clear()
    onward = expect(await client.get(SHARE_LINK, params=target, headers=referral), 200)
    assert onward == own

    # As does a signed-in shopper who came through it, on every page of the store.
    shopper = await api.sign_in()
    await client.get(f"/r/{own['link_code']}", headers=session_cookie(shopper))
    client.cookies.clear()
    store_card = expect(
        await client.get(
            SHARE_LINK,
            params={"kind": "store", "id": shared.pool.store_id},
            headers=session_cookie(shopper),
        ),
        200,
    )
    assert store_card["promoter_code"] == promoter["code"]


async def test_share_link_of_an_unknown_target_is_404(client):
    answer = await client.get(SHARE_LINK, params={"kind": "group", "id": 999999})
    assert expect(answer, 404)["error"]["code"] == "not_found"
