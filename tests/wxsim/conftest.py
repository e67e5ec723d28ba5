"""wxsim in memory with a settable clock, and an HTTP client over its app. No database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from weshop.paysim.identity import PLATFORM_APPID
from weshop.wxsim.app import create_app
from weshop.wxsim.apps import PLATFORM_MINIPROGRAM_APPID, STORE_MINIPROGRAM_APPID
from weshop.wxsim.simulator import WxSim

OFFICIAL = PLATFORM_APPID
MINIPROGRAM = PLATFORM_MINIPROGRAM_APPID
STORE_MINIPROGRAM = STORE_MINIPROGRAM_APPID
BASE = "http://wxsim.test"


@pytest.fixture
def sim() -> WxSim:
    return WxSim(public_url=BASE, token_ttl=timedelta(hours=2))


@pytest.fixture
async def client(sim: WxSim) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(sim))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        yield http


async def token_of(client: httpx.AsyncClient, sim: WxSim, appid: str) -> str:
    answer = await client.get(
        "/cgi-bin/token",
        params={
            "grant_type": "client_credential",
            "appid": appid,
            "secret": sim.apps[appid].secret,
        },
    )
    return answer.json()["access_token"]


def errcode(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json().get("errcode")
