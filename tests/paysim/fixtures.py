"""Fixtures of the WeChat Pay tests: an in-memory simulator with a settable clock and a
recording callback sender, and WeShop's client wired to it in-process. No database."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from weshop.payments.wechatpay import crypto
from weshop.payments.wechatpay.client import MerchantCredentials, WechatPayClient
from weshop.payments.wechatpay.provider import WechatPay, WechatPayProvider
from weshop.payments.wechatpay.transactions import Direct, Partner
from weshop.payments.wechatpay.verifier import PlatformVerifier
from weshop.paysim.app import create_app
from weshop.paysim.identity import (
    DIRECT_APPID,
    DIRECT_MCHID,
    PLATFORM_APPID,
    PLATFORM_MCHID,
    MerchantKeys,
    PlatformIdentity,
    new_merchant_keys,
    new_platform,
    pem_private,
    pem_public,
    register_merchant_keys,
)
from weshop.paysim.simulator import PaySim
from weshop.paysim.store import Store

SIM_URL = "http://paysim.test"
NOTIFY_URL = "http://weshop.test/api/v1/payments/notify/wechatpay"
START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Delivery:
    url: str
    headers: dict[str, str]
    body: bytes
    at: datetime


@dataclass
class Inbox:
    """Receives the simulator's callbacks; answers ``status`` (or what ``handler`` says)."""

    clock: FakeClock
    status: int = 200
    handler: Callable[[Mapping[str, str], bytes], Awaitable[int]] | None = None
    deliveries: list[Delivery] = field(default_factory=list)

    async def __call__(self, url: str, headers: Mapping[str, str], body: bytes) -> int:
        self.deliveries.append(Delivery(url, dict(headers), body, self.clock()))
        if self.handler is not None:
            return await self.handler(headers, body)
        return self.status


@pytest.fixture(autouse=True)
def clean_state() -> None:
    """Overrides the suite's database cleaning: these tests have no database."""


@pytest.fixture(scope="session")
def platform() -> PlatformIdentity:
    return new_platform()[0]


@pytest.fixture(scope="session")
def merchant_keys() -> MerchantKeys:
    return new_merchant_keys()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def inbox(clock: FakeClock) -> Inbox:
    return Inbox(clock)


@pytest.fixture
def sim(platform: PlatformIdentity, merchant_keys: MerchantKeys, clock: FakeClock, inbox: Inbox):
    store = Store(":memory:")
    register_merchant_keys(store, merchant_keys)
    simulator = PaySim(store, platform, base_url=SIM_URL, clock=clock, sender=inbox)
    yield simulator
    store.close()


@pytest.fixture
def sim_app(sim: PaySim):
    return create_app(sim)


@pytest.fixture
def transport(sim_app) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=sim_app)


def make_client(
    transport: httpx.AsyncBaseTransport,
    keys: MerchantKeys,
    platform: PlatformIdentity,
    clock: FakeClock,
    mchid: str,
    **options: Any,
) -> WechatPayClient:
    credentials = MerchantCredentials(
        mchid=mchid,
        cert_serial=keys.serial,
        private_key=keys.private_key,
        apiv3_key=keys.apiv3_key.encode(),
    )
    verifier = PlatformVerifier({platform.serial: platform.private_key.public_key()}, clock=clock)
    return WechatPayClient(
        credentials, verifier, base_url=SIM_URL, transport=transport, clock=clock, **options
    )


@pytest.fixture
def direct(transport, merchant_keys, platform, clock) -> WechatPay:
    client = make_client(transport, merchant_keys, platform, clock, DIRECT_MCHID)
    return WechatPay(client, Direct(DIRECT_MCHID, DIRECT_APPID))


@pytest.fixture
def partner(transport, merchant_keys, platform, clock) -> WechatPay:
    client = make_client(transport, merchant_keys, platform, clock, PLATFORM_MCHID)
    return WechatPay(client, Partner(PLATFORM_MCHID, PLATFORM_APPID))


@pytest.fixture
def wechatpay(runtime, partner: WechatPay):
    """The app's WeChat Pay provider for the test, in partner mode against the simulator
    (H5), removed afterwards."""
    providers = runtime.components["payment_providers"]
    providers["wechatpay"] = WechatPayProvider(
        partner, notify_url=NOTIFY_URL, trade_type="h5", merchant_name="WeShop 测试平台"
    )
    yield providers["wechatpay"]
    del providers["wechatpay"]


@pytest.fixture
async def cashier(sim_app) -> Any:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim_app), base_url=SIM_URL
    ) as http:
        yield http


def decrypt_delivery(delivery: Delivery, keys: MerchantKeys) -> dict[str, Any]:
    """Open a callback the way the merchant must (used to check what was sent)."""
    envelope = json.loads(delivery.body)
    resource = envelope["resource"]
    plaintext = crypto.decrypt_resource(
        keys.apiv3_key.encode(),
        ciphertext=resource["ciphertext"],
        nonce=resource["nonce"],
        associated_data=resource["associated_data"],
    )
    return {"envelope": envelope, "resource": json.loads(plaintext)}


async def pay_at_cashier(
    cashier: httpx.AsyncClient, *, h5_url: str = "", code_url: str = "", prepay_id: str = ""
) -> httpx.Response:
    """The payer opens the cashier page and confirms."""
    if h5_url:
        parts = urlsplit(h5_url)
        page = await cashier.get(f"{parts.path}?{parts.query}")
        prepay_id = parse_qs(parts.query)["prepay_id"][0]
    elif code_url:
        pr = parse_qs(urlsplit(code_url).query)["pr"][0]
        page = await cashier.get("/cashier/native", params={"pr": pr})
        assert page.status_code == 200, page.text
        return await cashier.post("/cashier/confirm", data={"pr": pr})
    else:
        page = await cashier.get("/cashier/h5", params={"prepay_id": prepay_id})
    assert page.status_code == 200, page.text
    assert "确认支付" in page.text
    return await cashier.post("/cashier/confirm", data={"prepay_id": prepay_id})


def key_files(tmp_path: Path, merchant_keys, platform) -> dict[str, object]:
    (tmp_path / "key.pem").write_bytes(pem_private(merchant_keys.private_key))
    (tmp_path / "platform.pem").write_bytes(pem_public(platform.private_key.public_key()))
    return {
        "wechatpay_private_key_path": tmp_path / "key.pem",
        "wechatpay_cert_serial": merchant_keys.serial,
        "wechatpay_apiv3_key": merchant_keys.apiv3_key,
        "wechatpay_platform_public_key_path": tmp_path / "platform.pem",
        "wechatpay_platform_serial": platform.serial,
    }
