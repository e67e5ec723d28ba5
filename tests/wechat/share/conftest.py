"""A WeShop app whose official account and mini-program are wxsim's, served on loopback,
over the same database as the session's app; its client, and an ``Api`` over it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from tests.support import Api, free_port, served
from weshop.app import create_app
from weshop.core.config import Settings
from weshop.paysim.identity import PLATFORM_APPID
from weshop.wxsim.app import create_app as create_wxsim
from weshop.wxsim.apps import PLATFORM_MINIPROGRAM_APPID
from weshop.wxsim.simulator import JSSDK_SCRIPT_PATH, WxSim

OFFICIAL = PLATFORM_APPID
MINIPROGRAM = PLATFORM_MINIPROGRAM_APPID
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI"
)


@pytest.fixture(scope="session")
async def wxsim() -> AsyncIterator[WxSim]:
    port = free_port()
    sim = WxSim(public_url=f"http://127.0.0.1:{port}")
    async with served(create_wxsim(sim), port):
        yield sim


def wechat_settings(settings: Settings, sim: WxSim, *, miniprogram: bool = True) -> Settings:
    changes: dict[str, object] = {
        "wechat_api_base_url": sim.public_url,
        "wechat_open_base_url": sim.public_url,
        "wechat_jssdk_script_url": sim.public_url + JSSDK_SCRIPT_PATH,
        "wechat_official_appid": OFFICIAL,
        "wechat_official_secret": SecretStr(sim.apps[OFFICIAL].secret),
    }
    if miniprogram:
        changes["wechat_miniprogram_appid"] = MINIPROGRAM
        changes["wechat_miniprogram_secret"] = SecretStr(sim.apps[MINIPROGRAM].secret)
    return settings.model_copy(update=changes)


@pytest.fixture(scope="session")
async def wechat_app(app, settings: Settings, wxsim: WxSim):
    """Depends on the session's app, which built the schema."""
    application = create_app(wechat_settings(settings, wxsim), check_schema=False)
    yield application
    runtime = application.state.runtime
    await runtime.components["wechat_client"].aclose()
    await runtime.close()


@pytest.fixture
async def wechat_client(wechat_app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=wechat_app, client=("198.51.100.8", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def wechat_api(wechat_client: httpx.AsyncClient, wechat_app) -> Api:
    return Api(wechat_client, wechat_app.state.runtime)
