"""A payment whose callback never arrives is found by asking the provider, applied once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import func, select

from tests.payments.test_notifications import NOTIFY, signed, unpaid_order
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.core.outbox import OutboxMessage
from weshop.payments.models import PaymentNotification
from weshop.payments.sandbox.models import SandboxDelivery
from weshop.payments.service import QUERY_PAYMENT


async def query_rows(runtime) -> list[OutboxMessage]:
    async with runtime.db.session() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == QUERY_PAYMENT)
        )
        return list(rows)


async def test_starting_a_payment_queues_a_query_soon_and_at_the_deadline(api, runtime):
    shop, order, payment = await unpaid_order(api)
    await api.start_payment(shop.shopper, order["id"])  # the same intent queues nothing more
    rows = await query_rows(runtime)
    assert [row.payload for row in rows] == [{"payment_id": payment["id"]}] * 2
    soon, deadline = sorted(row.due_at for row in rows)
    assert soon <= utcnow() + timedelta(minutes=5)
    assert deadline == datetime.fromisoformat(order["pay_deadline"]) + timedelta(minutes=1)


async def test_a_lost_callback_is_applied_by_the_query_once(api, client, runtime, worker):
    shop, order, payment = await unpaid_order(api)
    gateway = runtime.components["sandbox_gateway"]
    await gateway.pay(payment["out_trade_no"])  # the callback is never delivered
    assert await worker.drain(utcnow()) == 0  # nothing asks before the first query is due
    assert (await api.order(shop.shopper, order["id"]))["status"] == "pending_payment"

    await worker.drain(utcnow() + timedelta(minutes=6))
    paid = await api.order(shop.shopper, order["id"])
    assert paid["status"] == "paid"
    await worker.drain(utcnow() + timedelta(hours=1))  # the deadline query changes nothing

    # The real callback, late, is stored but applies nothing.
    async with gateway.db.session(write=False) as session:
        delivery = await session.scalar(select(SandboxDelivery))
    body, headers = signed(runtime, json.loads(delivery.body))
    answer = expect(await client.post(NOTIFY, content=body, headers=headers), 200)
    assert answer["message"] == "already_applied"

    final = await api.order(shop.shopper, order["id"])
    assert [event["action"] for event in final["history"]] == ["place", "pay"]
    async with runtime.db.session() as session:
        stored = list(await session.scalars(select(PaymentNotification.notification_id)))
        entries = await session.scalar(select(func.count()).select_from(PaymentNotification))
    transaction = await gateway.transaction(payment["out_trade_no"])
    assert f"query:{transaction.transaction_id}" in stored
    assert entries == 2


async def test_an_unpaid_payment_is_queried_and_left_alone(api, runtime, worker):
    shop, order, _ = await unpaid_order(api)
    await worker.drain(utcnow() + timedelta(minutes=6))
    assert (await api.order(shop.shopper, order["id"]))["status"] == "pending_payment"
    async with runtime.db.session() as session:
        assert not await session.scalar(select(func.count()).select_from(PaymentNotification))


async def test_money_taken_as_the_order_was_cancelled_goes_back_without_a_callback(
    api, client, runtime, worker
):
    shop, order, payment = await unpaid_order(api)
    gateway = runtime.components["sandbox_gateway"]
    await gateway.pay(payment["out_trade_no"])  # the callback is never delivered
    expect(
        await client.post(f"/api/v1/me/orders/{order['id']}/cancel", json={}, headers=shop.shopper),
        200,
    )
    await worker.drain(utcnow())  # the cancellation closes the payment here
    await worker.drain(utcnow() + timedelta(hours=1))  # the queries find it paid
    final = await api.order(shop.shopper, order["id"])
    assert final["status"] == "cancelled"
    assert final["refunded_fen"] == payment["amount_fen"]
    transaction = await gateway.transaction(payment["out_trade_no"])
    assert transaction.refunded_fen == payment["amount_fen"]
