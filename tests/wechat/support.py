"""Signing in as wxsim's test users, the way their WeChat clients would."""

from __future__ import annotations

import httpx

from tests.support import Headers, expect
from weshop.wxsim.apps import PLATFORM_MINIPROGRAM_APPID
from weshop.wxsim.simulator import WxSim

MINIPROGRAM = PLATFORM_MINIPROGRAM_APPID


async def mini_program_sign_in(
    client: httpx.AsyncClient, sim: WxSim, user: str, appid: str = MINIPROGRAM
) -> dict:
    """``wx.login`` in the mini-program, then WeShop's sign-in with its code."""
    body: dict[str, str] = {"code": sim.login_code(appid, user)}
    if appid != MINIPROGRAM:
        body["appid"] = appid
    return expect(await client.post("/api/v1/auth/wechat/miniprogram", json=body), 201)


def bearer(signed_in: dict) -> Headers:
    return {"Authorization": f"Bearer {signed_in['token']}"}


IN_WECHAT = {
    "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI",
    "Accept": "text/html,application/xhtml+xml",
}


async def wechat_authorise(sim: WxSim, url: str, user: str) -> str:
    """WeChat's browser at the authorise URL, signed in to WeChat as ``user`` (who has
    consented already, or needs no consent): the callback URL it is sent back to."""
    async with httpx.AsyncClient(cookies={"wxsim_user": user}) as browser:
        answer = await browser.get(url.split("#", 1)[0])
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def callback_path(url: str) -> str:
    """The callback URL as a path on the app under test (WeChat redirects the browser)."""
    parsed = httpx.URL(url)
    return parsed.raw_path.decode()


async def open_in_wechat(
    client: httpx.AsyncClient, sim: WxSim, path: str, user: str
) -> httpx.Response:
    """A page opened in WeChat by ``user`` without a session: authorised silently, back on the
    page signed in (the client keeps the session cookie). Answers the callback's answer."""
    page = await client.get(path, headers=IN_WECHAT)
    assert page.status_code == 302, page.text
    back = await wechat_authorise(sim, page.headers["location"], user)
    return await client.get(callback_path(back), headers=IN_WECHAT)
