"""The payment callback: verified, stored once, applied once; anything else changes nothing."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import Counter
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from tests.orders.conftest import open_shop
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.core.security import hmac_sign
from weshop.inventory.models import StockLevel
from weshop.ledger.models import EntryKind, JournalEntry
from weshop.payments.models import PaymentNotification
from weshop.payments.sandbox.gateway import signed_message

NOTIFY = "/api/v1/payments/notify/sandbox"


def signed(
    runtime, body: dict, *, timestamp: int | None = None, key: bytes | None = None
) -> tuple[str, dict]:
    text = json.dumps(body, separators=(",", ":"))
    ts, nonce = str(timestamp or int(time.time())), secrets.token_hex(8)
    signing_key = key or runtime.components["sandbox_gateway"].signing_key
    return text, {
        "Content-Type": "application/json",
        "Sandbox-Timestamp": ts,
        "Sandbox-Nonce": nonce,
        "Sandbox-Signature": hmac_sign(signing_key, signed_message(ts, nonce, text)),
    }


async def unpaid_order(api):
    shop = await open_shop(api)
    placed = expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)]), 201
    )
    order = placed["orders"][0]
    payment = await api.start_payment(shop.shopper, order["id"])
    return shop, order, payment


def notice(payment: dict, **changes) -> dict:
    body = {
        "id": f"N{secrets.token_hex(6)}",
        "event_type": "TRANSACTION.SUCCESS",
        "out_trade_no": payment["out_trade_no"],
        "transaction_id": "SBXTEST",
        "amount_fen": payment["amount_fen"],
        "paid_at": "2026-11-23T10:00:00+00:00",
    }
    body.update(changes)
    return body


async def stored_notifications(runtime) -> int:
    async with runtime.db.session() as session:
        return await session.scalar(select(func.count()).select_from(PaymentNotification))


async def test_a_verified_notification_pays_the_order_once(api, client, runtime):
    shop, order, payment = await unpaid_order(api)
    body, headers = signed(runtime, notice(payment))
    expect(await client.post(NOTIFY, content=body, headers=headers), 200)
    assert (await api.order(shop.shopper, order["id"]))["status"] == "paid"
    replay = expect(await client.post(NOTIFY, content=body, headers=headers), 200)
    assert replay["message"] == "already_applied"
    # A second, different notification of the same payment is stored but applies nothing.
    other_body, other_headers = signed(runtime, notice(payment))
    second = expect(await client.post(NOTIFY, content=other_body, headers=other_headers), 200)
    assert second["message"] == "already_applied"
    paid = await api.order(shop.shopper, order["id"])
    assert paid["status"] == "paid"
    assert [e["action"] for e in paid["history"]] == ["place", "pay"]


async def test_a_forged_signature_changes_nothing(api, client, runtime):
    shop, order, payment = await unpaid_order(api)
    body, headers = signed(runtime, notice(payment), key=b"not-the-provider-key")
    answer = await client.post(NOTIFY, content=body, headers=headers)
    assert answer.status_code == 401
    assert (await api.order(shop.shopper, order["id"]))["status"] == "pending_payment"
    assert await stored_notifications(runtime) == 0


async def test_a_tampered_body_changes_nothing(api, client, runtime):
    shop, order, payment = await unpaid_order(api)
    body, headers = signed(runtime, notice(payment))
    tampered = body.replace('"amount_fen":1999', '"amount_fen":1')
    assert tampered != body
    assert (await client.post(NOTIFY, content=tampered, headers=headers)).status_code == 401
    assert (await api.order(shop.shopper, order["id"]))["status"] == "pending_payment"


async def test_a_stale_notification_changes_nothing(api, client, runtime):
    shop, order, payment = await unpaid_order(api)
    body, headers = signed(runtime, notice(payment), timestamp=int(time.time()) - 3600)
    assert (await client.post(NOTIFY, content=body, headers=headers)).status_code == 401
    assert (await api.order(shop.shopper, order["id"]))["status"] == "pending_payment"


async def test_a_wrong_amount_is_logged_and_changes_nothing(api, client, runtime):
    shop, order, payment = await unpaid_order(api)
    body, headers = signed(runtime, notice(payment, amount_fen=1))
    answer = expect(await client.post(NOTIFY, content=body, headers=headers), 200)
    assert answer["message"] == "amount_mismatch"
    assert (await api.order(shop.shopper, order["id"]))["status"] == "pending_payment"


async def test_an_unknown_payment_changes_nothing(api, client, runtime):
    shop, order, payment = await unpaid_order(api)
    body, headers = signed(runtime, notice(payment, out_trade_no="P000UNKNOWN"))
    answer = expect(await client.post(NOTIFY, content=body, headers=headers), 200)
    assert answer["message"] == "unknown_payment"
    assert (await api.order(shop.shopper, order["id"]))["status"] == "pending_payment"


async def test_malformed_callbacks_are_refused(api, client, runtime):
    body, headers = signed(runtime, {"id": "x"})
    assert (await client.post(NOTIFY, content=body, headers=headers)).status_code == 401
    assert (
        await client.post(NOTIFY, content=b"\xff\xfe", headers={"Content-Type": "application/json"})
    ).status_code == 401
    assert (await client.post("/api/v1/payments/notify/nope", content=b"{}")).status_code == 404


async def test_paying_a_cancelled_order_refunds_the_shopper(api, client, runtime, runner):
    """The payer confirms while the shopper cancels; the callback arrives after the cancel."""
    shop, order, payment = await unpaid_order(api)
    gateway = runtime.components["sandbox_gateway"]
    await gateway.pay(payment["out_trade_no"])  # money taken, callback not yet delivered
    expect(
        await client.post(
            f"/api/v1/me/orders/{order['id']}/cancel",
            json={"reason": "changed my mind"},
            headers=shop.shopper,
        ),
        200,
    )
    await runner.run()  # the callback arrives; the money must go back
    await runner.run(utcnow() + timedelta(minutes=31))  # the queries find nothing more to do
    final = await api.order(shop.shopper, order["id"])
    assert final["status"] == "cancelled"
    assert final["refunded_fen"] == payment["amount_fen"]
    assert (await gateway.transaction(payment["out_trade_no"])).refunded_fen == payment[
        "amount_fen"
    ]


async def test_paying_twice_returns_the_same_intent(api, client):
    shop, order, payment = await unpaid_order(api)
    again = await api.start_payment(shop.shopper, order["id"])
    assert again["out_trade_no"] == payment["out_trade_no"]
    assert again["cashier_url"].endswith(payment["out_trade_no"])


async def test_the_cashier_page_and_confirm(api, client, runner):
    shop, order, payment = await unpaid_order(api)
    path = payment["cashier_url"].removeprefix("http://test")
    page = await client.get(path)
    assert page.status_code == 200
    assert "¥19.99" in page.text
    expect(await client.post(f"{path}/confirm"), 200)
    assert (await api.order(shop.shopper, order["id"]))["status"] == "paid"
    again = await client.post(f"{path}/confirm")
    assert again.status_code == 200
    assert (await api.order(shop.shopper, order["id"]))["history"][-1]["action"] == "pay"


async def test_concurrent_duplicates_over_a_live_server_apply_once(api, runtime, live_url):
    """The same callback 12 times and 12 other notifications of the same payment, all at
    once over real connections: one applies, every other changes nothing."""
    shop, order, payment = await unpaid_order(api)
    callbacks = [signed(runtime, notice(payment, id="NSAME"))] * 12
    callbacks += [signed(runtime, notice(payment)) for _ in range(12)]
    limits = httpx.Limits(max_connections=24, max_keepalive_connections=24)
    async with httpx.AsyncClient(base_url=live_url, limits=limits, timeout=60) as http:
        answers = await asyncio.gather(
            *(http.post(NOTIFY, content=body, headers=headers) for body, headers in callbacks)
        )
    assert Counter(expect(answer, 200)["message"] for answer in answers) == {
        "applied": 1,
        "already_applied": 23,
    }
    assert await stored_notifications(runtime) == 13
    paid = await api.order(shop.shopper, order["id"])
    assert paid["status"] == "paid"
    assert [e["action"] for e in paid["history"]] == ["place", "pay"]
    async with runtime.db.session(write=False) as session:
        entries = await session.scalars(
            select(JournalEntry.kind).where(JournalEntry.order_id == order["id"])
        )
        assert list(entries) == [EntryKind.PAYMENT]
        sold = await session.scalar(select(StockLevel).where(StockLevel.sku_id == shop.sku_id))
    assert sold.reserved == 0
