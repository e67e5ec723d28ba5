"""100 concurrent first sign-ins of one WeChat user make one account, over real connections."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from tests.wechat.support import IN_WECHAT, MINIPROGRAM, callback_path, wechat_authorise
from weshop.accounts.models import User
from weshop.core.clock import utcnow
from weshop.wechat import oauth
from weshop.wechat.apps import wechat_apps
from weshop.wechat.models import WechatIdentity

CONCURRENT = 100


async def _accounts(runtime) -> tuple[int, int]:
    async with runtime.db.session(write=False) as session:
        users = await session.scalar(select(func.count()).select_from(User))
        identities = await session.scalar(select(func.count()).select_from(WechatIdentity))
    return users, identities


def _connections() -> httpx.Limits:
    return httpx.Limits(max_connections=CONCURRENT, max_keepalive_connections=CONCURRENT)


async def test_concurrent_first_mini_program_sign_ins_make_one_account(live_url, wxsim, runtime):
    codes = [wxsim.login_code(MINIPROGRAM, "liuyang") for _ in range(CONCURRENT)]
    async with httpx.AsyncClient(base_url=live_url, timeout=120, limits=_connections()) as http:
        answers = await asyncio.gather(
            *(http.post("/api/v1/auth/wechat/miniprogram", json={"code": c}) for c in codes)
        )
    assert [a.status_code for a in answers] == [201] * CONCURRENT
    assert len({a.json()["user"]["id"] for a in answers}) == 1
    assert await _accounts(runtime) == (1, 1)


async def test_concurrent_first_web_authorisations_make_one_account(
    live_url, wxsim, runtime, settings
):
    app = wechat_apps(settings).official
    callbacks = []
    for _ in range(CONCURRENT):
        url = oauth.authorize_url(settings, app, "/", "snsapi_base", utcnow())
        callbacks.append(callback_path(await wechat_authorise(wxsim, url, "chenjing")))

    async def one_browser(path: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=live_url, timeout=120) as browser:
            return await browser.get(path, headers=IN_WECHAT)

    answers = await asyncio.gather(*(one_browser(path) for path in callbacks))
    assert [a.status_code for a in answers] == [303] * CONCURRENT
    assert all("weshop_session=" in a.headers["set-cookie"] for a in answers)
    assert await _accounts(runtime) == (1, 1)
