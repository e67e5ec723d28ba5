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
