"""Providers exist only when the installation chooses them.

An installation with WeChat Pay configured and the sandbox off has nothing of the sandbox:
every route the sandbox serves elsewhere answers 404 here, no request can choose it (or any
provider that is not configured), and nothing is written when one tries. And WeChat Pay's
direct mode (one merchant number) takes no payment while more than one store sells (二清).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from tests.orders.conftest import open_shop
from tests.paysim.fixtures import NOTIFY_URL, SIM_URL, key_files
from tests.support import all_routes, expect
from weshop.app import create_app
from weshop.core.config import Settings
from weshop.core.security import hmac_sign
from weshop.payments.models import Payment, PaymentNotification
from weshop.payments.sandbox.gateway import signed_message
from weshop.payments.sub_merchants import direct_mode_problem
from weshop.payments.wechatpay.provider import WechatPay, WechatPayProvider
from weshop.paysim.identity import DIRECT_APPID, DIRECT_MCHID
from weshop.stores.models import Store, StoreStatus

SANDBOX_PREFIX = "/sandbox-pay"


@pytest.fixture
def wechatpay_settings(settings, tmp_path, merchant_keys, platform):
    """The suite's settings with WeChat Pay configured (direct mode, paysim's keys) and the
    sandbox off, over the same database."""
    return Settings(
        **{
            **settings.model_dump(),
            "sandbox_payments": False,
            "data_dir": tmp_path,
            "wechatpay_mode": "direct",
            "wechatpay_mchid": DIRECT_MCHID,
            "wechatpay_appid": DIRECT_APPID,
            "wechatpay_api_base_url": SIM_URL,
            **key_files(tmp_path, merchant_keys, platform),
        }
    )


@pytest.fixture
async def wechatpay_app(wechatpay_settings, direct: WechatPay):
    """The app of that installation, its WeChat Pay provider talking to paysim in-process."""
    application = create_app(wechatpay_settings, check_schema=False)
    runtime = application.state.runtime
    runtime.components["payment_providers"]["wechatpay"] = WechatPayProvider(
        direct, notify_url=NOTIFY_URL, trade_type="h5", merchant_name=""
    )
    yield application
    await runtime.components["payments"].close()
    await runtime.close()


@pytest.fixture
async def wechatpay_client(wechatpay_app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=wechatpay_app, client=("198.51.100.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def sandbox_routes(application) -> list[tuple[str, str]]:
    """(method, path with its parameters filled) of every route under /sandbox-pay."""
    found = []
    for route in all_routes(application.routes):
        path = getattr(route, "path", "")
        if not path.startswith(SANDBOX_PREFIX):
            continue
        methods = route.methods if isinstance(route, APIRoute) else {"GET"}
        filled = re.sub(r"\{[^}]+\}", "P1", path)
        found += [(method, filled) for method in sorted(methods - {"HEAD"})]
    return found


async def count(runtime, model) -> int:
    async with runtime.db.session(write=False) as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_without_the_sandbox_none_of_its_routes_exists(
    app, wechatpay_app, wechatpay_client
) -> None:
    # The suite's app has the sandbox: its routes are the list to sweep.
    swept = sandbox_routes(app)
    assert ("POST", "/sandbox-pay/cashier/P1/confirm") in swept
    assert ("GET", "/sandbox-pay/cashier/P1") in swept

    assert sandbox_routes(wechatpay_app) == []
    assert not [path for path in wechatpay_app.openapi()["paths"] if "sandbox" in path]
    for method, path in [*swept, ("GET", f"{SANDBOX_PREFIX}/"), ("POST", f"{SANDBOX_PREFIX}/x")]:
        answer = await wechatpay_client.request(method, path, headers={"Accept": "text/html"})
        assert answer.status_code == 404, (method, path, answer.text)
    components = wechatpay_app.state.runtime.components
    assert "sandbox_gateway" not in components
    assert list(components["payment_providers"]) == ["wechatpay"]
    assert components["payments"].default_name == "wechatpay"


async def test_only_a_configured_provider_can_be_chosen(
    api, runtime, wechatpay_app, wechatpay_client, sim
) -> None:
    shop = await open_shop(api)
    placed = expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)]), 201
    )
    order_id = placed["orders"][0]["id"]
    pay = f"/api/v1/me/orders/{order_id}/payments"
    for name in ("sandbox", "SANDBOX", "paysim", "none", "", "wechatpay "):
        answer = await wechatpay_client.post(pay, params={"provider": name}, headers=shop.shopper)
        assert answer.status_code == 404, (name, answer.text)
        assert answer.json()["error"]["code"] == "payment_provider_unavailable"
    assert await count(runtime, Payment) == 0

    # A sandbox callback signed with the very key a sandbox would use is refused as well.
    body = json.dumps({"id": "N1", "out_trade_no": "P1", "amount_fen": 1999})
    stamp, nonce = str(int(time.time())), secrets.token_hex(8)
    key = runtime.components["sandbox_gateway"].signing_key
    headers = {
        "Content-Type": "application/json",
        "Sandbox-Timestamp": stamp,
        "Sandbox-Nonce": nonce,
        "Sandbox-Signature": hmac_sign(key, signed_message(stamp, nonce, body)),
    }
    for path in ("/api/v1/payments/notify/sandbox", "/api/v1/payments/notify/sandbox/refunds"):
        answer = await wechatpay_client.post(path, content=body, headers=headers)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json()["error"]["code"] == "payment_provider_unavailable"
    assert await count(runtime, PaymentNotification) == 0
    assert (await api.order(shop.shopper, order_id))["status"] == "pending_payment"

    # The configured provider is the default, and it works.
    payment = expect(await wechatpay_client.post(pay, headers=shop.shopper), 201)
    assert payment["provider"] == "wechatpay"
    assert sim.trading.find(DIRECT_MCHID, "", payment["out_trade_no"]) is not None


async def test_the_default_must_name_a_configured_provider(wechatpay_settings) -> None:
    misnamed = wechatpay_settings.model_copy(update={"default_payment_provider": "sandbox"})
    with pytest.raises(ValueError, match="WESHOP_SANDBOX_PAYMENTS"):
        create_app(misnamed, check_schema=False)


def transactions_at_paysim(sim) -> int:
    return sim.store.one("SELECT count(*) AS n FROM transactions")["n"]


async def test_direct_mode_takes_no_payment_while_several_stores_sell(
    api, runtime, wechatpay_settings, wechatpay_client, sim
) -> None:
    first = await open_shop(api)
    placed = expect(
        await api.place_order(first.shopper, first.address["id"], [(first.sku_id, 1)]), 201
    )
    pay = f"/api/v1/me/orders/{placed['orders'][0]['id']}/payments"
    async with runtime.db.session(write=False) as session:
        assert await direct_mode_problem(session, wechatpay_settings) is None

    second = await open_shop(api)
    refused = await wechatpay_client.post(pay, headers=first.shopper)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "wechatpay_direct_mode_many_stores"
    assert "partner mode" in error["message"]
    assert transactions_at_paysim(sim) == 0
    assert await count(runtime, Payment) == 0
    async with runtime.db.session(write=False) as session:
        problem = await direct_mode_problem(session, wechatpay_settings)
        partner = wechatpay_settings.model_copy(update={"wechatpay_mode": "partner"})
        assert await direct_mode_problem(session, partner) is None
    assert problem is not None and "二清" in problem and "2 stores" in problem

    # Once only one store sells again (the other suspended), direct mode works.
    async with runtime.db.transaction() as session:
        store = await session.get_one(Store, second.store["id"])
        store.status = StoreStatus.SUSPENDED
    payment = expect(await wechatpay_client.post(pay, headers=first.shopper), 201)
    assert payment["provider"] == "wechatpay"
    assert transactions_at_paysim(sim) == 1
