"""Access tokens as WeChat issues them: shapes, errors, replacement after the overlap, expiry,
the stable stream, and the calls counted per app."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.wxsim.conftest import MINIPROGRAM, OFFICIAL, errcode, token_of
from weshop.wxsim.simulator import WxSim


async def ticket_with(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get(
        "/cgi-bin/ticket/getticket", params={"access_token": token, "type": "jsapi"}
    )


async def test_a_token_is_issued_for_the_app_and_secret(client, sim: WxSim) -> None:
    secret = sim.apps[OFFICIAL].secret
    answer = await client.get(
        "/cgi-bin/token",
        params={"grant_type": "client_credential", "appid": OFFICIAL, "secret": secret},
    )
    body = answer.json()
    assert set(body) == {"access_token", "expires_in"}
    assert body["expires_in"] == 7200
    assert len(body["access_token"]) > 100

    for params, code in [
        ({"appid": "wx0000000000000000", "secret": secret}, 40013),
        ({"appid": OFFICIAL, "secret": "0" * 32}, 40001),
        ({"appid": OFFICIAL, "secret": ""}, 41004),
        ({"appid": "", "secret": secret}, 41002),
    ]:
        refused = await client.get(
            "/cgi-bin/token", params={"grant_type": "client_credential", **params}
        )
        assert errcode(refused) == code
        assert refused.json()["errmsg"].split(" rid: ")[0]
    wrong_grant = await client.get(
        "/cgi-bin/token", params={"grant_type": "password", "appid": OFFICIAL, "secret": secret}
    )
    assert errcode(wrong_grant) == 40002
    assert sim.token_calls(OFFICIAL) == 1


async def test_a_new_token_replaces_the_old_after_five_minutes(client, sim: WxSim) -> None:
    first = await token_of(client, sim, OFFICIAL)
    second = await token_of(client, sim, OFFICIAL)
    assert first != second
    assert errcode(await ticket_with(client, first)) == 0  # within the overlap
    sim.advance(timedelta(minutes=5))
    assert errcode(await ticket_with(client, first)) == 40001
    assert errcode(await ticket_with(client, second)) == 0
    assert errcode(await ticket_with(client, "not-a-token")) == 40001
    assert errcode(await ticket_with(client, "")) == 41001
    assert sim.token_calls(OFFICIAL) == 2


async def test_a_token_expires_after_its_life_or_when_forced(client, sim: WxSim) -> None:
    token = await token_of(client, sim, OFFICIAL)
    sim.advance(timedelta(hours=2))
    assert errcode(await ticket_with(client, token)) == 42001

    fresh = await token_of(client, sim, OFFICIAL)
    other = await token_of(client, sim, MINIPROGRAM)
    forced = await client.post("/wxsim/tokens/expire", json={"appid": OFFICIAL})
    assert forced.json() == {"expired": 1}
    assert errcode(await ticket_with(client, fresh)) == 42001
    phone = await client.post(
        "/wxa/business/getuserphonenumber", params={"access_token": other}, json={"code": "x"}
    )
    assert errcode(phone) == 40029  # the other app's token still works
    assert (await client.post("/wxsim/tokens/expire", json={"appid": "nope"})).status_code == 400


async def test_the_stable_token_is_the_same_until_forced(client, sim: WxSim) -> None:
    body = {
        "grant_type": "client_credential",
        "appid": OFFICIAL,
        "secret": sim.apps[OFFICIAL].secret,
    }
    first = (await client.post("/cgi-bin/stable_token", json=body)).json()
    again = (await client.post("/cgi-bin/stable_token", json=body)).json()
    assert first["access_token"] == again["access_token"]
    assert first["expires_in"] == 7200

    forced = (
        await client.post("/cgi-bin/stable_token", json={**body, "force_refresh": True})
    ).json()
    assert forced["access_token"] != first["access_token"]
    assert errcode(await ticket_with(client, first["access_token"])) == 40001
    assert errcode(await ticket_with(client, forced["access_token"])) == 0

    # In a token's last five minutes a new one comes; the old keeps working to its end.
    sim.advance(timedelta(hours=2) - timedelta(minutes=4))
    renewed = (await client.post("/cgi-bin/stable_token", json=body)).json()
    assert renewed["access_token"] != forced["access_token"]
    assert errcode(await ticket_with(client, forced["access_token"])) == 0
    # /cgi-bin/token is a separate stream: it does not touch the stable token.
    await token_of(client, sim, OFFICIAL)
    assert errcode(await ticket_with(client, renewed["access_token"])) == 0

    bad_secret = await client.post("/cgi-bin/stable_token", json={**body, "secret": "0" * 32})
    assert errcode(bad_secret) == 40125
    assert errcode(await client.post("/cgi-bin/stable_token", content=b"")) == 44002
    assert errcode(await client.post("/cgi-bin/stable_token", content=b"[1]")) == 47001
    assert sim.token_calls(OFFICIAL) == 5
    stats = (await client.get("/wxsim/stats")).json()
    assert stats["token_calls"][OFFICIAL] == 5
    assert stats["token_calls"][MINIPROGRAM] == 0
    assert stats["ticket_calls"][OFFICIAL] == 3  # tickets got, not refusals


async def test_tickets_are_the_official_accounts_and_counted(client, sim: WxSim) -> None:
    token = await token_of(client, sim, OFFICIAL)
    answer = (await ticket_with(client, token)).json()
    assert answer["errcode"] == 0 and answer["errmsg"] == "ok"
    assert answer["expires_in"] == 7200 and answer["ticket"]
    assert sim.credentials.ticket_is_valid(OFFICIAL, answer["ticket"])
    assert not sim.credentials.ticket_is_valid(MINIPROGRAM, answer["ticket"])
    other_type = await client.get(
        "/cgi-bin/ticket/getticket", params={"access_token": token, "type": "card"}
    )
    assert errcode(other_type) == 40097
    mini = await token_of(client, sim, MINIPROGRAM)
    assert errcode(await ticket_with(client, mini)) == 48001
    assert sim.ticket_calls(OFFICIAL) == 1
    sim.advance(timedelta(hours=2))
    assert not sim.credentials.ticket_is_valid(OFFICIAL, answer["ticket"])


async def test_forced_refreshes_are_limited_as_on_wechat(client, sim: WxSim) -> None:
    body = {
        "grant_type": "client_credential",
        "appid": OFFICIAL,
        "secret": sim.apps[OFFICIAL].secret,
        "force_refresh": True,
    }
    first = (await client.post("/cgi-bin/stable_token", json=body)).json()["access_token"]
    # Within 30 seconds a forced call does not refresh: the current token comes back.
    again = (await client.post("/cgi-bin/stable_token", json=body)).json()["access_token"]
    assert again == first
    for _ in range(19):
        sim.advance(timedelta(seconds=30))
        assert (await client.post("/cgi-bin/stable_token", json=body)).json()[
            "access_token"
        ] != first
    sim.advance(timedelta(seconds=30))
    assert errcode(await client.post("/cgi-bin/stable_token", json=body)) == 45009
    normal = {**body, "force_refresh": False}
    assert "access_token" in (await client.post("/cgi-bin/stable_token", json=normal)).json()
    sim.advance(timedelta(days=1))
    assert "access_token" in (await client.post("/cgi-bin/stable_token", json=body)).json()
