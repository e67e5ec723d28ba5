from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from tests.orders.conftest import Shop
from tests.orders.test_checkout import available
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.payments.models import Payment, Refund


async def place(api, shop: Shop, quantity: int = 2) -> dict:
    placed = expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, quantity)]), 201
    )
    return placed["orders"][0]


async def pay(api, shop: Shop, order: dict) -> dict:
    payment = await api.start_payment(shop.shopper, order["id"])
    await api.confirm_in_cashier(payment)
    return await api.order(shop.shopper, order["id"])


def merchant(shop: Shop, path: str) -> str:
    return f"/api/v1/merchant/stores/{shop.store['id']}{path}"


async def test_sell_ship_and_complete(api, client, shop: Shop):
    order = await place(api, shop)
    paid = await pay(api, shop, order)
    assert paid["status"] == "paid"
    assert paid["paid_fen"] == order["payable_fen"]
    assert await available(client, shop.product["id"], shop.sku_id) == 8

    line_id = paid["lines"][0]["id"]
    partly = expect(
        await client.post(
            merchant(shop, f"/orders/{order['id']}/shipments"),
            json={
                "packages": [
                    {
                        "carrier": "顺丰",
                        "tracking_no": "SF1000001",
                        "items": [{"order_line_id": line_id, "quantity": 1}],
                    }
                ]
            },
            headers=shop.owner,
        ),
        200,
    )
    assert partly["status"] == "partially_shipped"
    shipped = expect(
        await client.post(
            merchant(shop, f"/orders/{order['id']}/shipments"),
            json={"packages": [{"carrier": "中通", "tracking_no": "ZT2000002"}]},
            headers=shop.owner,
        ),
        200,
    )
    assert shipped["status"] == "shipped"
    assert [s["tracking_no"] for s in shipped["shipments"]] == ["SF1000001", "ZT2000002"]
    assert shipped["auto_confirm_at"] is not None

    done = expect(
        await client.post(f"/api/v1/me/orders/{order['id']}/confirm-receipt", headers=shop.shopper),
        200,
    )
    assert done["status"] == "completed"
    assert [e["action"] for e in done["history"]] == [
        "place",
        "pay",
        "ship_partly",
        "ship",
        "confirm_receipt",
    ]


async def test_shipping_more_than_ordered_is_refused(api, client, shop: Shop):
    paid = await pay(api, shop, await place(api, shop))
    answer = await client.post(
        merchant(shop, f"/orders/{paid['id']}/shipments"),
        json={
            "packages": [
                {
                    "carrier": "顺丰",
                    "tracking_no": "SF1",
                    "items": [{"order_line_id": paid["lines"][0]["id"], "quantity": 3}],
                }
            ]
        },
        headers=shop.owner,
    )
    assert answer.status_code == 422
    assert (await api.order(shop.shopper, paid["id"]))["status"] == "paid"


async def test_illegal_transitions_are_409_and_change_nothing(api, client, shop: Shop):
    order = await place(api, shop)
    ship = await client.post(
        merchant(shop, f"/orders/{order['id']}/shipments"),
        json={"packages": [{"carrier": "顺丰", "tracking_no": "SF12345"}]},
        headers=shop.owner,
    )
    assert ship.status_code == 409
    assert ship.json()["error"]["code"] == "illegal_transition"
    confirm = await client.post(
        f"/api/v1/me/orders/{order['id']}/confirm-receipt", headers=shop.shopper
    )
    assert confirm.status_code == 409

    expect(
        await client.post(f"/api/v1/me/orders/{order['id']}/cancel", json={}, headers=shop.shopper),
        200,
    )
    again = await client.post(
        f"/api/v1/me/orders/{order['id']}/cancel", json={}, headers=shop.shopper
    )
    assert again.status_code == 409
    pay_cancelled = await client.post(
        f"/api/v1/me/orders/{order['id']}/payments", headers=shop.shopper
    )
    assert pay_cancelled.status_code == 409
    assert pay_cancelled.json()["error"]["code"] == "illegal_transition"
    final = await api.order(shop.shopper, order["id"])
    assert final["status"] == "cancelled"
    assert final["shipments"] == []
    assert await available(client, shop.product["id"], shop.sku_id) == 10


async def test_unpaid_orders_expire_and_stock_comes_back(api, client, runner, shop: Shop):
    order = await place(api, shop, 4)
    assert await available(client, shop.product["id"], shop.sku_id) == 6
    await runner.run(utcnow() + timedelta(minutes=29))
    assert (await api.order(shop.shopper, order["id"]))["status"] == "pending_payment"
    await runner.run(utcnow() + timedelta(minutes=31))
    expired = await api.order(shop.shopper, order["id"])
    assert expired["status"] == "cancelled"
    assert expired["cancel_reason"] == "payment window passed"
    assert await available(client, shop.product["id"], shop.sku_id) == 10
    late = await client.post(f"/api/v1/me/orders/{order['id']}/payments", headers=shop.shopper)
    assert late.status_code == 409


async def test_the_payment_window_is_set_per_store(api, client, runner, shop: Shop):
    expect(
        await client.patch(
            f"/api/v1/merchant/stores/{shop.store['id']}",
            json={"payment_window_minutes": 5},
            headers=shop.owner,
        ),
        200,
    )
    order = await place(api, shop)
    await runner.run(utcnow() + timedelta(minutes=6))
    assert (await api.order(shop.shopper, order["id"]))["status"] == "cancelled"


async def test_cancel_racing_expiry_returns_stock_once(api, client, runner, shop: Shop):
    order = await place(api, shop, 3)
    later = utcnow() + timedelta(minutes=31)
    cancel = client.post(f"/api/v1/me/orders/{order['id']}/cancel", json={}, headers=shop.shopper)
    results = await asyncio.gather(cancel, runner.run(later), return_exceptions=True)
    assert not any(isinstance(r, Exception) for r in results), results
    assert (await api.order(shop.shopper, order["id"]))["status"] == "cancelled"
    assert await available(client, shop.product["id"], shop.sku_id) == 10


async def test_a_paid_unshipped_order_is_cancelled_with_a_full_refund(
    api, client, runner, runtime, shop: Shop
):
    paid = await pay(api, shop, await place(api, shop))
    cancelled = expect(
        await client.post(
            merchant(shop, f"/orders/{paid['id']}/cancel"),
            json={"reason": "缺货"},
            headers=shop.owner,
        ),
        200,
    )
    assert cancelled["status"] == "cancelled"
    assert await available(client, shop.product["id"], shop.sku_id) == 10
    await runner.run()
    refunded = await api.order(shop.shopper, paid["id"])
    assert refunded["refunded_fen"] == paid["paid_fen"] == 2 * 1999
    async with runtime.db.session() as session:
        payment = await session.scalar(select(Payment).where(Payment.order_id == paid["id"]))
        refund = await session.scalar(select(Refund).where(Refund.order_id == paid["id"]))
    assert refund.status == "succeeded"
    at_provider = await runtime.components["sandbox_gateway"].transaction(payment.out_trade_no)
    assert at_provider.refunded_fen == 2 * 1999
    await runner.run()
    again = await runtime.components["sandbox_gateway"].transaction(payment.out_trade_no)
    assert again.refunded_fen == 2 * 1999


async def test_receipt_is_confirmed_automatically(api, client, runner, shop: Shop):
    paid = await pay(api, shop, await place(api, shop))
    expect(
        await client.post(
            merchant(shop, f"/orders/{paid['id']}/shipments"),
            json={"packages": [{"carrier": "顺丰", "tracking_no": "SF777777"}]},
            headers=shop.owner,
        ),
        200,
    )
    await runner.run(utcnow() + timedelta(days=9))
    assert (await api.order(shop.shopper, paid["id"]))["status"] == "shipped"
    await runner.run(utcnow() + timedelta(days=11))
    done = await api.order(shop.shopper, paid["id"])
    assert done["status"] == "completed"
    assert done["history"][-1]["actor"] == "system"
