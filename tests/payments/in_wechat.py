"""Paying inside WeChat, as a shopper's WeChat client does it: wxsim (served on loopback, its
users signing in to WeShop) and paysim (in-process, checking each JSAPI payer against wxsim),
with a WeShop installation whose WeChat Pay is direct or partner and whose apps are wxsim's."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.paysim.fixtures import NOTIFY_URL, key_files
from tests.support import Headers, expect, served
from weshop.app import create_app
from weshop.core.config import Settings
from weshop.payments.wechatpay import crypto
from weshop.payments.wechatpay.provider import WechatPay, WechatPayProvider
from weshop.paysim.identity import (
    DIRECT_APPID,
    DIRECT_MCHID,
    PLATFORM_APPID,
    PLATFORM_MCHID,
    READY_SUB_MCHID,
)
from weshop.web.session_cookie import SESSION_COOKIE
from weshop.wxsim.app import create_app as create_wxsim_app
from weshop.wxsim.apps import PLATFORM_MINIPROGRAM_APPID, STORE_MINIPROGRAM_APPID
from weshop.wxsim.simulator import WxSim

WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0.50.2701(0x28003237) NetType/WIFI"
)
OFFICIAL, MINIPROGRAM, STORE_MINIPROGRAM = (
    PLATFORM_APPID,
    PLATFORM_MINIPROGRAM_APPID,
    STORE_MINIPROGRAM_APPID,
)
Mode = Literal["direct", "partner"]


@dataclass
class Wx:
    sim: WxSim
    url: str

    def secret(self, appid: str) -> str:
        return self.sim.apps[appid].secret


@pytest.fixture
async def wx() -> AsyncIterator[Wx]:
    sim = WxSim()
    async with served(create_wxsim_app(sim)) as url:
        sim.public_url = url
        yield Wx(sim, url)


def bind_apps(sim: Any, mode: Mode) -> None:
    """The apps of the installation bound at WeChat Pay, as a merchant binds them: the
    platform's official account and mini-program to the merchant (direct) or platform
    (partner), a store's own mini-program to its sub-merchant (partner) or the merchant."""
    if mode == "direct":
        for appid in (OFFICIAL, MINIPROGRAM, STORE_MINIPROGRAM):
            sim.bind_appid(DIRECT_MCHID, appid)
    else:
        sim.bind_appid(PLATFORM_MCHID, MINIPROGRAM)
        sim.bind_appid(READY_SUB_MCHID, STORE_MINIPROGRAM)


@dataclass
class Installation:
    client: httpx.AsyncClient
    runtime: Any
    mode: Mode

    async def mini_program_sign_in(self, wx: Wx, user: str, appid: str = MINIPROGRAM) -> Headers:
        """``wx.login`` in the mini-program, then WeShop's sign-in with its code."""
        body: dict[str, str] = {"code": wx.sim.login_code(appid, user)}
        if appid != MINIPROGRAM:
            body["appid"] = appid
        signed_in = expect(
            await self.client.post("/api/v1/auth/wechat/miniprogram", json=body), 201
        )
        return {"Authorization": f"Bearer {signed_in['token']}"}

    async def web_sign_in(self, wx: Wx, user: str) -> Headers:
        """A page opened in WeChat: authorised silently by the official account (the user
        picked on wxsim's authorise page), back signed in: the client keeps the session
        cookie, and its token serves the page's own API calls."""
        browser = self.client
        start = await browser.get("/", headers={"user-agent": WECHAT_UA, "accept": "text/html"})
        assert start.status_code == 302, start.text
        query = parse_qs(urlsplit(start.headers["location"]).query)
        code = wx.sim.web.authorise(query["appid"][0], user, query["scope"][0])
        back = await browser.get(
            f"{query['redirect_uri'][0]}&{urlencode({'code': code, 'state': query['state'][0]})}",
            headers={"user-agent": WECHAT_UA, "accept": "text/html"},
        )
        assert back.status_code in (302, 303), back.text
        return {"Authorization": f"Bearer {browser.cookies[SESSION_COOKIE]}"}


def wechat_settings(
    settings: Settings,
    tmp_path: Any,
    keys: dict[str, object],
    wx: Wx,
    mode: Mode,
    store_apps: list[dict[str, object]],
) -> Settings:
    return Settings(
        **{
            **settings.model_dump(),
            "sandbox_payments": False,
            "data_dir": tmp_path,
            "wechatpay_mode": mode,
            "wechatpay_mchid": DIRECT_MCHID if mode == "direct" else PLATFORM_MCHID,
            "wechatpay_appid": DIRECT_APPID if mode == "direct" else PLATFORM_APPID,
            "wechatpay_merchant_name": "WeShop 测试平台",
            "wechatpay_api_base_url": "http://paysim.test",
            **keys,
            "wechat_api_base_url": wx.url,
            "wechat_open_base_url": wx.url,
            "wechat_jssdk_script_url": f"{wx.url}/open/js/jweixin-1.6.0.js",
            "wechat_official_appid": OFFICIAL,
            "wechat_official_secret": wx.secret(OFFICIAL),
            "wechat_miniprogram_appid": MINIPROGRAM,
            "wechat_miniprogram_secret": wx.secret(MINIPROGRAM),
            "wechat_store_apps": [
                {**app, "secret": wx.secret(str(app["appid"]))} for app in store_apps
            ],
        }
    )


@pytest.fixture
def installation(
    settings, tmp_path, merchant_keys, platform, wx, direct, partner, sim
) -> Callable[..., Any]:
    """``async with installation(mode, store_apps=[...]) as shop_in_wechat``: WeShop with
    WeChat Pay in ``mode`` against paysim and WeChat apps at wxsim, over the suite's
    database; paysim knows wxsim's users."""
    sim.payers = wx.sim.knows

    @asynccontextmanager
    async def build(
        mode: Mode, store_apps: list[dict[str, object]] | None = None
    ) -> AsyncIterator[Installation]:
        bind_apps(sim, mode)
        configured = wechat_settings(
            settings,
            tmp_path,
            key_files(tmp_path, merchant_keys, platform),
            wx,
            mode,
            store_apps or [],
        )
        application = create_app(configured, check_schema=False)
        runtime = application.state.runtime
        pay: WechatPay = direct if mode == "direct" else partner
        runtime.components["payment_providers"]["wechatpay"] = WechatPayProvider(
            pay, notify_url=NOTIFY_URL, trade_type="h5", merchant_name="WeShop 测试平台"
        )
        transport = httpx.ASGITransport(app=application, client=("198.51.100.7", 50000))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                yield Installation(http, runtime, mode)
        finally:
            await runtime.close()

    return build


def verifies(merchant_keys: Any, params: dict[str, str]) -> bool:
    """The pay parameters' signature checks with the merchant's public key, as the WeChat
    client checks it."""
    message = crypto.jsapi_pay_message(
        params["appId"], params["timeStamp"], params["nonceStr"], params["package"]
    )
    return params["signType"] == "RSA" and crypto.verify(
        merchant_keys.private_key.public_key(), message, params["paySign"]
    )


def forward_callbacks(inbox: Any, client: httpx.AsyncClient) -> None:
    """paysim's callbacks reach the installation's notify endpoint."""

    async def deliver(headers: Any, body: bytes) -> int:
        path = urlsplit(inbox.deliveries[-1].url).path
        return (await client.post(path, content=body, headers=dict(headers))).status_code

    inbox.handler = deliver
