"""Mini-program sign-in (jscode2session), phone numbers, and the ids behind them."""

from __future__ import annotations

from datetime import timedelta

from tests.wxsim.conftest import MINIPROGRAM, OFFICIAL, STORE_MINIPROGRAM, errcode, token_of
from weshop.wxsim.simulator import WxSim


async def session(client, sim: WxSim, appid: str, code: str):
    return await client.get(
        "/sns/jscode2session",
        params={
            "appid": appid,
            "secret": sim.apps[appid].secret,
            "js_code": code,
            "grant_type": "authorization_code",
        },
    )


async def test_login_codes_give_the_session_once(client, sim: WxSim) -> None:
    code = (
        await client.post("/wxsim/miniprogram/login", json={"appid": MINIPROGRAM, "user": "lina"})
    ).json()["code"]
    answer = (await session(client, sim, MINIPROGRAM, code)).json()
    assert answer["openid"] == sim.openid_of(MINIPROGRAM, "lina")
    assert answer["openid"] != sim.openid_of(OFFICIAL, "lina")
    # Bound to the official account's open platform: the same person, the same unionid.
    assert answer["unionid"] == sim.unionid_of(OFFICIAL, "lina")
    assert len(answer["session_key"]) == 24 and "errcode" not in answer
    assert errcode(await session(client, sim, MINIPROGRAM, code)) == 40163

    store = (
        await session(client, sim, STORE_MINIPROGRAM, sim.login_code(STORE_MINIPROGRAM, "lina"))
    ).json()
    assert store["openid"] == sim.openid_of(STORE_MINIPROGRAM, "lina")
    assert "unionid" not in store  # a store's own app on no open platform

    other = sim.login_code(STORE_MINIPROGRAM, "lina")
    assert errcode(await session(client, sim, MINIPROGRAM, other)) == 40029
    late = sim.login_code(MINIPROGRAM, "lina")
    sim.advance(timedelta(minutes=5))
    assert errcode(await session(client, sim, MINIPROGRAM, late)) == 40029
    wrong = await client.get(
        "/sns/jscode2session",
        params={
            "appid": MINIPROGRAM,
            "secret": "0" * 32,
            "js_code": "c",
            "grant_type": "authorization_code",
        },
    )
    assert errcode(wrong) == 40125
    assert errcode(await session(client, sim, OFFICIAL, "c")) == 40013  # not a mini-program


async def test_login_hooks_refuse_unknown_apps_and_users(client) -> None:
    unknown_user = await client.post(
        "/wxsim/miniprogram/login", json={"appid": MINIPROGRAM, "user": "x"}
    )
    assert unknown_user.status_code == 404
    official = await client.post(
        "/wxsim/miniprogram/login", json={"appid": OFFICIAL, "user": "lina"}
    )
    assert official.status_code == 400
    assert (
        await client.post("/wxsim/miniprogram/login", json={"appid": MINIPROGRAM})
    ).status_code == 422


async def test_a_phone_code_gives_the_users_phone_once(client, sim: WxSim) -> None:
    token = await token_of(client, sim, MINIPROGRAM)
    code = (
        await client.post(
            "/wxsim/miniprogram/phone-code", json={"appid": MINIPROGRAM, "user": "wangwei"}
        )
    ).json()["code"]
    answer = await client.post(
        "/wxa/business/getuserphonenumber", params={"access_token": token}, json={"code": code}
    )
    body = answer.json()
    assert body["errcode"] == 0 and body["errmsg"] == "ok"
    info = body["phone_info"]
    assert info["phoneNumber"] == info["purePhoneNumber"] == "13900139002"
    assert info["countryCode"] == "86" and info["watermark"]["appid"] == MINIPROGRAM
    again = await client.post(
        "/wxa/business/getuserphonenumber", params={"access_token": token}, json={"code": code}
    )
    assert errcode(again) == 40163
    official = await token_of(client, sim, OFFICIAL)
    refused = await client.post(
        "/wxa/business/getuserphonenumber",
        params={"access_token": official},
        json={"code": sim.phone_code(MINIPROGRAM, "lina")},
    )
    assert errcode(refused) == 48001
    no_token = await client.post("/wxa/business/getuserphonenumber", json={"code": "c"})
    assert errcode(no_token) == 41001


async def test_ids_are_stable_per_seed_and_known_to_paysim(client, sim: WxSim) -> None:
    openid = sim.openid_of(OFFICIAL, "lina")
    assert len(openid) == 28 and openid.startswith("o")
    assert WxSim(public_url="http://elsewhere").openid_of(OFFICIAL, "lina") == openid
    assert WxSim(seed="other").openid_of(OFFICIAL, "lina") != openid
    assert len({sim.openid_of(OFFICIAL, user) for user in sim.users}) == len(sim.users)
    assert (
        await client.get("/wxsim/openid", params={"appid": OFFICIAL, "openid": openid})
    ).json() == {"known": True}
    elsewhere = await client.get("/wxsim/openid", params={"appid": MINIPROGRAM, "openid": openid})
    assert elsewhere.json() == {"known": False}
    users = (await client.get("/wxsim/users")).json()
    lina = next(user for user in users if user["user"] == "lina")
    assert lina["openids"][OFFICIAL] == openid and lina["unionids"][STORE_MINIPROGRAM] is None
    assert [user["follows_official"] for user in users].count(False) == 1
