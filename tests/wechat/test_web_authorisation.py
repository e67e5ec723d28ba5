"""Pages opened in WeChat sign in through the official account's web authorisation; the
callback refuses whatever WeShop did not ask for, and makes nothing then."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import func, select

from tests.support import expect
from tests.wechat.support import (
    IN_WECHAT,
    MINIPROGRAM,
    callback_path,
    mini_program_sign_in,
    open_in_wechat,
    wechat_authorise,
)
from weshop.accounts.models import User
from weshop.core.clock import utcnow
from weshop.paysim.identity import PLATFORM_APPID
from weshop.wechat import oauth
from weshop.wechat.apps import wechat_apps
from weshop.wechat.models import WechatIdentity


async def _users(runtime) -> int:
    async with runtime.db.session(write=False) as session:
        return await session.scalar(select(func.count()).select_from(User))


def _browser(app) -> httpx.AsyncClient:
    """Another browser (cookies of its own) on the app under test."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_a_page_opened_in_wechat_signs_in_silently_and_comes_back(
    app, client, wxsim, runtime
):
    page = await client.get("/?from=share", headers=IN_WECHAT)
    assert page.status_code == 302
    authorise = urlsplit(page.headers["location"])
    assert f"{authorise.scheme}://{authorise.netloc}" == wxsim.public_url
    query = parse_qs(authorise.query)
    assert query["appid"] == [PLATFORM_APPID] and query["scope"] == ["snsapi_base"]
    assert authorise.fragment == "wechat_redirect"

    back = await wechat_authorise(wxsim, page.headers["location"], "lina")
    signed_in = await client.get(callback_path(back), headers=IN_WECHAT)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/?from=share"
    # Signed in now: the page is served, no second trip to WeChat.
    assert (await client.get("/?from=share", headers=IN_WECHAT)).status_code == 200
    async with runtime.db.session(write=False) as session:
        identity = await session.scalar(select(WechatIdentity))
    assert identity.appid == PLATFORM_APPID
    assert identity.openid == wxsim.openid_of(PLATFORM_APPID, "lina")

    # A second sign-in of the same WeChat user (another browser) is the same account.
    async with _browser(app) as other:
        again = await open_in_wechat(other, wxsim, "/", "lina")
        assert again.status_code == 303
    assert await _users(runtime) == 1


async def test_api_console_static_and_other_browsers_are_never_sent_to_wechat(client):
    for path in ("/api/v1/shop/stores", "/console", "/platform", "/static/shop.css", "/healthz"):
        answer = await client.get(path, headers=IN_WECHAT)
        assert not answer.headers.get("location", "").startswith("http://127.0.0.1"), path
    assert (await client.get("/", headers={"Accept": "text/html"})).status_code == 200


async def _callback(wxsim, settings, next_path="/", *, state_time=None, appid=PLATFORM_APPID):
    """An authorise URL made by WeShop (at ``state_time``), authorised by lina: the callback."""
    app = wechat_apps(settings).official
    url = oauth.authorize_url(settings, app, next_path, "snsapi_base", state_time or utcnow())
    back = await wechat_authorise(wxsim, url, "lina")
    return callback_path(back)


def _with(path: str, **changes: str) -> str:
    parts = urlsplit(path)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?{httpx.QueryParams(query)}"


async def test_forged_replayed_expired_and_foreign_states_are_refused(
    app, client, wxsim, runtime, settings
):
    good = await _callback(wxsim, settings)
    state = parse_qs(urlsplit(good).query)["state"][0]
    forged = state[:-1] + ("0" if state[-1] != "0" else "1")
    other_app = oauth.new_state(
        settings.resolved_secret(), MINIPROGRAM, "/", "snsapi_base", utcnow()
    )
    fresh_code = parse_qs(urlsplit(await _callback(wxsim, settings)).query)["code"][0]
    refused = [
        _with(good, state=forged),  # forged
        _with(good, state=other_app),  # signed for another app
        _with(good, next="/me/orders"),  # the path it was not signed for
        _with(good, appid=MINIPROGRAM),  # the callback says another app
        await _callback(wxsim, settings, state_time=utcnow() - timedelta(minutes=11)),  # expired
    ]
    for path in refused:
        answer = await client.get(path, headers=IN_WECHAT)
        assert answer.status_code == 400, path
        assert (
            "set-cookie" not in answer.headers
            or "weshop_session" not in answer.headers["set-cookie"]
        )
    assert await _users(runtime) == 0

    assert (await client.get(good, headers=IN_WECHAT)).status_code == 303
    assert await _users(runtime) == 1
    async with _browser(app) as other:
        # The same callback again (its code is used), and its state with a new code.
        for path in (good, _with(good, code=fresh_code)):
            assert (await other.get(path, headers=IN_WECHAT)).status_code == 400
            assert "weshop_session" not in other.cookies
    assert await _users(runtime) == 1


async def test_the_wechat_name_and_avatar_when_the_shopper_asks(client, wxsim, runtime):
    ask = await client.get("/wechat/profile?next=/me", headers=IN_WECHAT)
    assert ask.status_code == 303
    url = ask.headers["location"]
    assert parse_qs(urlsplit(url).query)["scope"] == ["snsapi_userinfo"]
    async with httpx.AsyncClient(cookies={"wxsim_user": "zhangmin"}) as browser:
        consent = await browser.get(url.split("#")[0])
        assert consent.status_code == 200 and "申请获得以下权限" in consent.text
        query = parse_qs(urlsplit(url).query)
        form = {name: query[name][0] for name in ("appid", "redirect_uri", "scope", "state")}
        allowed = await browser.post(
            f"{wxsim.public_url}/connect/oauth2/authorize/confirm",
            data={**form, "response_type": "code", "user": "zhangmin", "decision": "allow"},
        )
    assert allowed.status_code == 302
    signed_in = await client.get(callback_path(allowed.headers["location"]), headers=IN_WECHAT)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/me"
    token = client.cookies["weshop_session"]
    me = expect(await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 200)
    assert me["display_name"] == "张敏" and me["phone"] is None
    async with runtime.db.session(write=False) as session:
        identity = await session.scalar(select(WechatIdentity))
    assert identity.unionid == wxsim.unionid_of(PLATFORM_APPID, "zhangmin")
    assert identity.avatar_url.startswith(wxsim.public_url)


async def test_a_shopper_who_declines_is_not_sent_again(client, wxsim, settings, runtime):
    declined = _with(await _callback(wxsim, settings, "/me/orders"), code="")
    parts = urlsplit(declined)
    query = {k: v[0] for k, v in parse_qs(parts.query).items() if k != "code"}
    answer = await client.get(f"{parts.path}?{httpx.QueryParams(query)}", headers=IN_WECHAT)
    assert answer.status_code == 303 and answer.headers["location"] == "/me/orders"
    assert (await client.get("/", headers=IN_WECHAT)).status_code == 200
    assert await _users(runtime) == 0


async def test_the_unionid_learnt_later_joins_the_mini_program_account(app, client, wxsim, runtime):
    # First in the official account's pages (snsapi_base: no unionid yet), then in the
    # mini-program (unionid): two accounts, as WeShop cannot know better.
    assert (await open_in_wechat(client, wxsim, "/", "wangwei")).status_code == 303
    mini = await mini_program_sign_in(client, wxsim, "wangwei")
    assert await _users(runtime) == 2
    # The shopper lets the page use their WeChat profile: the unionid joins the two.
    ask = await client.get("/wechat/profile?next=/me", headers=IN_WECHAT)
    url = ask.headers["location"]
    query = parse_qs(urlsplit(url).query)
    form = {name: query[name][0] for name in ("appid", "redirect_uri", "scope", "state")}
    async with httpx.AsyncClient(cookies={"wxsim_user": "wangwei"}) as browser:
        allowed = await browser.post(
            f"{wxsim.public_url}/connect/oauth2/authorize/confirm",
            data={**form, "response_type": "code", "user": "wangwei", "decision": "allow"},
        )
    signed_in = await client.get(callback_path(allowed.headers["location"]), headers=IN_WECHAT)
    assert signed_in.status_code == 303
    token = client.cookies["weshop_session"]
    me = expect(await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 200)
    again = await mini_program_sign_in(client, wxsim, "wangwei")
    assert me["id"] == again["user"]["id"] == min(me["id"], mini["user"]["id"])
    async with runtime.db.session(write=False) as session:
        active = await session.scalar(
            select(func.count()).select_from(User).where(User.is_active.is_(True))
        )
    assert active == 1
