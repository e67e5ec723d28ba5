"""Web authorisation through the authorise page, over HTTP: pick a user, consent to
snsapi_userinfo, a silent snsapi_base later; codes once, for their app, for five minutes."""

from __future__ import annotations

import html as html_module
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import FastAPI

from tests.wxsim.conftest import MINIPROGRAM, OFFICIAL, errcode
from weshop.wxsim.app import create_app
from weshop.wxsim.apps import WxApp
from weshop.wxsim.simulator import WxSim

CALLBACK = "https://shop.test/wechat/callback?next=%2Fcart"


def authorise_params(scope: str, state: str = "s1", appid: str = OFFICIAL) -> dict[str, str]:
    return {
        "appid": appid,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": scope,
        "state": state,
    }


def hidden_form(html: str, user: str) -> dict[str, str]:
    """The picker's form for ``user``, as a browser would post it."""
    [form] = [
        chunk.split("</form>")[0]
        for chunk in html.split("<form")[1:]
        if f'name="user" value="{user}"' in chunk
    ]
    fields = {}
    for part in form.split("<input")[1:]:
        name = part.split('name="')[1].split('"')[0]
        value = part.split('value="')[1].split('"')[0]
        fields[name] = html_module.unescape(value)
    return fields


def code_from(answer: httpx.Response, state: str = "s1") -> str:
    assert answer.status_code == 302, answer.text
    target = urlsplit(answer.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == "https://shop.test/wechat/callback"
    query = parse_qs(target.query)
    assert query["next"] == ["/cart"] and query["state"] == [state]
    return query["code"][0]


async def exchange(
    client: httpx.AsyncClient, sim: WxSim, code: str, appid: str = OFFICIAL, mount: str = ""
):
    return await client.get(
        f"{mount}/sns/oauth2/access_token",
        params={
            "appid": appid,
            "secret": sim.apps[appid].secret,
            "code": code,
            "grant_type": "authorization_code",
        },
    )


async def test_userinfo_asks_consent_once_then_base_is_silent(client, sim: WxSim) -> None:
    picker = await client.get(
        "/connect/oauth2/authorize", params=authorise_params("snsapi_userinfo")
    )
    assert picker.status_code == 200
    assert "选择微信用户" in picker.text and "李娜" in picker.text and "陈静" in picker.text

    consent = await client.post(
        "/connect/oauth2/authorize/confirm", data=hidden_form(picker.text, "lina")
    )
    assert "允许" in consent.text and "李娜" in consent.text
    assert client.cookies.get("wxsim_user") == "lina"
    fields = {**authorise_params("snsapi_userinfo"), "user": "lina", "decision": "allow"}
    code = code_from(await client.post("/connect/oauth2/authorize/confirm", data=fields))

    token = (await exchange(client, sim, code)).json()
    assert token["openid"] == sim.openid_of(OFFICIAL, "lina")
    assert token["unionid"] == sim.unionid_of(OFFICIAL, "lina")
    assert token["scope"] == "snsapi_userinfo" and token["expires_in"] == 7200
    info = await client.get(
        "/sns/userinfo", params={"access_token": token["access_token"], "openid": token["openid"]}
    )
    assert info.json()["nickname"] == "李娜"
    assert info.json()["unionid"] == token["unionid"]
    assert info.json()["headimgurl"] == "http://wxsim.test/wxsim/avatars/lina.png"
    assert (await client.get("/wxsim/avatars/lina.png")).headers["content-type"] == "image/png"

    # The browser is signed in as lina: snsapi_base redirects at once, as does userinfo now.
    silent = await client.get(
        "/connect/oauth2/authorize", params=authorise_params("snsapi_base", "s2")
    )
    base = (await exchange(client, sim, code_from(silent, "s2"))).json()
    assert base["openid"] == token["openid"] and base["scope"] == "snsapi_base"
    assert base["unionid"] == token["unionid"]  # granted userinfo before
    again = await client.get(
        "/connect/oauth2/authorize", params=authorise_params("snsapi_userinfo")
    )
    code_from(again)
    refused = await client.get(
        "/sns/userinfo", params={"access_token": base["access_token"], "openid": base["openid"]}
    )
    assert errcode(refused) == 48001


async def test_base_scope_alone_gives_no_unionid(client, sim: WxSim) -> None:
    picker = await client.get("/connect/oauth2/authorize", params=authorise_params("snsapi_base"))
    code = code_from(
        await client.post(
            "/connect/oauth2/authorize/confirm", data=hidden_form(picker.text, "wangwei")
        )
    )
    token = (await exchange(client, sim, code)).json()
    assert token["openid"] == sim.openid_of(OFFICIAL, "wangwei")
    assert "unionid" not in token


async def test_codes_are_single_use_bound_to_their_app_and_short_lived(client, sim: WxSim) -> None:
    code = sim.oauth_code(OFFICIAL, "lina")
    assert errcode(await exchange(client, sim, code)) is None
    assert errcode(await exchange(client, sim, code)) == 40163

    other_app = WxApp("wx1234567890abcdef", "s" * 32, "official")
    sim.directory.apps[other_app.appid] = other_app
    code = sim.web.authorise(OFFICIAL, "lina", "snsapi_base")
    assert errcode(await exchange(client, sim, code, other_app.appid)) == 40029
    assert errcode(await exchange(client, sim, code)) is None  # untouched by the refusal

    code = sim.web.authorise(OFFICIAL, "lina", "snsapi_base")
    sim.advance(timedelta(minutes=5))
    assert errcode(await exchange(client, sim, code)) == 40029
    assert errcode(await exchange(client, sim, "")) == 41008
    wrong_secret = await client.get(
        "/sns/oauth2/access_token",
        params={
            "appid": OFFICIAL,
            "secret": "0" * 32,
            "code": "c",
            "grant_type": "authorization_code",
        },
    )
    assert errcode(wrong_secret) == 40125


async def test_refresh_and_userinfo_errors(client, sim: WxSim) -> None:
    code = sim.web.authorise(OFFICIAL, "zhangmin", "snsapi_userinfo")
    token = (await exchange(client, sim, code)).json()
    refreshed = await client.get(
        "/sns/oauth2/refresh_token",
        params={
            "appid": OFFICIAL,
            "refresh_token": token["refresh_token"],
            "grant_type": "refresh_token",
        },
    )
    assert refreshed.json()["openid"] == token["openid"]
    bad = await client.get(
        "/sns/oauth2/refresh_token",
        params={"appid": OFFICIAL, "refresh_token": "x", "grant_type": "refresh_token"},
    )
    assert errcode(bad) == 40030
    other_openid = sim.openid_of(OFFICIAL, "lina")
    mismatch = await client.get(
        "/sns/userinfo", params={"access_token": token["access_token"], "openid": other_openid}
    )
    assert errcode(mismatch) == 40003
    sim.advance(timedelta(hours=2))
    expired = await client.get(
        "/sns/userinfo", params={"access_token": token["access_token"], "openid": token["openid"]}
    )
    assert errcode(expired) == 42001


async def test_the_authorise_page_refuses_bad_requests(client) -> None:
    for params in [
        authorise_params("snsapi_base", appid=MINIPROGRAM),
        authorise_params("snsapi_base", appid="wx0000000000000000"),
        authorise_params("snsapi_login"),
        {**authorise_params("snsapi_base"), "redirect_uri": "javascript:alert(1)"},
        {**authorise_params("snsapi_base"), "response_type": "token"},
    ]:
        answer = await client.get("/connect/oauth2/authorize", params=params)
        assert answer.status_code == 400
        assert "出错了" in answer.text


async def test_denying_consent_does_not_redirect(client) -> None:
    fields = {**authorise_params("snsapi_userinfo"), "user": "lina", "decision": "deny"}
    answer = await client.post("/connect/oauth2/authorize/confirm", data=fields)
    assert answer.status_code == 200 and "拒绝" in answer.text
    unknown = {**fields, "user": "nobody", "decision": "allow"}
    assert (await client.post("/connect/oauth2/authorize/confirm", data=unknown)).status_code == 400


async def test_mounted_under_a_path_its_pages_link_under_it(sim: WxSim) -> None:
    """As ``weshop demo`` may serve it beside WeShop: forms and links keep the mount path."""
    parent = FastAPI()
    parent.mount("/wx", create_app(sim))
    transport = httpx.ASGITransport(app=parent)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo.test") as http:
        picker = await http.get(
            "/wx/connect/oauth2/authorize", params=authorise_params("snsapi_base")
        )
        assert 'action="/wx/connect/oauth2/authorize/confirm"' in picker.text
        code = code_from(
            await http.post(
                "/wx/connect/oauth2/authorize/confirm", data=hidden_form(picker.text, "lina")
            )
        )
        assert (await exchange(http, sim, code, mount="/wx")).json()["openid"] == sim.openid_of(
            OFFICIAL, "lina"
        )
        assert 'href="/wx/wxsim/inbox"' in (await http.get("/wx/wxsim")).text
