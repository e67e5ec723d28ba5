"""An order that costs nothing (a 1-fen item and a no-threshold coupon) is paid at once,
without a provider: a 0-fen payment of provider ``none``, the ledger's entry saying so, and
no provider ever asked — not to pay, not to refund, not to settle."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.ledger.support import Market, after_sales_closed, complete, entry_kinds, report
from tests.orders.conftest import Shop, open_shop
from tests.orders.test_checkout_promotions import checkout, coupon_of, coupon_row
from tests.promotions.conftest import create_platform_template, create_template
from tests.support import expect
from weshop.core.errors import NotFound
from weshop.ledger.models import EntryKind, JournalEntry
from weshop.payments.models import NO_PROVIDER, Payment


async def free_order(api, *, platform_coupon: bool = False) -> tuple[Shop, dict, int]:
    """A shopper's order of one 1-fen item whose 5-yuan no-threshold coupon (the store's, or
    the platform's) leaves 0 to pay; and the coupon's id."""
    shop = await open_shop(api, price_fen=1)
    terms = {"kind": "no_threshold", "threshold_fen": None, "amount_off_fen": 500}
    if platform_coupon:
        template = await create_platform_template(api, await api.operator(), **terms)
    else:
        template = await create_template(api, shop.store["id"], shop.owner, **terms)
    coupon_id = await coupon_of(api, shop.shopper, template["id"])
    order = expect(await checkout(api, shop), 201)["orders"][0]
    assert (order["payable_fen"], order["shipping_fen"]) == (0, 0)
    return shop, order, coupon_id


async def memos(runtime, order_id: int) -> list[str]:
    async with runtime.db.session(write=False) as session:
        return list(
            await session.scalars(
                select(JournalEntry.memo)
                .where(JournalEntry.order_id == order_id)
                .order_by(JournalEntry.id)
            )
        )


async def test_an_order_that_costs_nothing_is_paid_at_once_without_a_provider(
    api, client, runner, runtime
) -> None:
    shop, order, coupon_id = await free_order(api)
    payment = await api.start_payment(shop.shopper, order["id"])
    assert (payment["provider"], payment["amount_fen"], payment["status"]) == (
        NO_PROVIDER, 0, "succeeded"
    )  # fmt: skip
    with pytest.raises(NotFound):  # the sandbox was never asked
        await runtime.components["sandbox_gateway"].transaction(payment["out_trade_no"])
    paid = await api.order(shop.shopper, order["id"])
    assert (paid["status"], paid["paid_fen"]) == ("paid", 0)
    assert (await coupon_row(runtime, coupon_id)).status == "used"
    assert await entry_kinds(runtime, order["id"]) == [EntryKind.PAYMENT]
    assert "paid without a provider" in (await memos(runtime, order["id"]))[0]
    assert (await report(runtime)).violations == []

    # Paying again is refused, as for any paid order; nothing new is written.
    again = await client.post(f"/api/v1/me/orders/{order['id']}/payments", headers=shop.shopper)
    assert again.status_code == 409, again.text

    # A refund of such an order has nothing to give back; cancelling it sends nothing.
    line = paid["lines"][0]["id"]
    refused = await client.post(
        f"/api/v1/merchant/stores/{shop.store['id']}/orders/{order['id']}/refunds",
        json={"lines": [{"order_line_id": line, "amount_fen": 1}], "reason": "退款"},
        headers=shop.owner,
    )
    assert refused.status_code in (409, 422), refused.text
    expect(
        await client.post(f"/api/v1/me/orders/{order['id']}/cancel", json={}, headers=shop.shopper),
        200,
    )
    await runner.run()
    refunds = expect(
        await client.get(
            f"/api/v1/merchant/stores/{shop.store['id']}/orders/{order['id']}/refunds",
            headers=shop.owner,
        ),
        200,
    )
    assert refunds == []
    assert (await api.order(shop.shopper, order["id"]))["status"] == "cancelled"
    assert await entry_kinds(runtime, order["id"]) == [EntryKind.PAYMENT]
    assert (await report(runtime)).violations == []


async def test_the_cashier_of_a_free_order_is_the_storefront_result(api) -> None:
    shop, order, _ = await free_order(api)
    payment = await api.start_payment(shop.shopper, order["id"])
    assert payment["cashier_url"] == f"/pay/return/{payment['out_trade_no']}"


async def test_a_free_order_with_a_platform_subsidy_settles_without_a_provider(
    api, runner, runtime
) -> None:
    shop, order, _ = await free_order(api, platform_coupon=True)
    await api.start_payment(shop.shopper, order["id"])
    market = Market(
        api, shop.store["id"], shop.owner, shop.shopper, shop.address["id"], [shop.product]
    )
    await complete(market, order["id"])
    await runner.run(after_sales_closed())
    assert await entry_kinds(runtime, order["id"]) == [EntryKind.PAYMENT, EntryKind.SETTLEMENT]
    async with runtime.db.session(write=False) as session:
        payment = await session.scalar(select(Payment).where(Payment.order_id == order["id"]))
    # Settled: the provider, which holds nothing of this order, was told nothing to move.
    assert (payment.fee_split_fen, payment.subsidy_paid_fen) == (0, 0)
    assert (await report(runtime)).violations == []


async def test_a_cancelled_free_order_owes_the_store_no_subsidy(api, client, runner, runtime):
    shop, order, _ = await free_order(api, platform_coupon=True)
    await api.start_payment(shop.shopper, order["id"])
    balance = f"/api/v1/merchant/stores/{shop.store['id']}/finance/balance"
    assert expect(await client.get(balance, headers=shop.owner), 200)["subsidy_due_fen"] == 1

    mine = f"/api/v1/me/orders/{order['id']}"
    expect(await client.post(f"{mine}/cancel", json={}, headers=shop.shopper), 200)
    await runner.run()
    await runner.run()  # a repeat finds the cancellation posted already
    assert await entry_kinds(runtime, order["id"]) == [EntryKind.PAYMENT, EntryKind.CANCELLATION]
    after = expect(await client.get(balance, headers=shop.owner), 200)
    assert (after["subsidy_due_fen"], after["subsidy_fen"], after["frozen_fen"]) == (0, 0, 0)
    assert (await report(runtime)).violations == []
