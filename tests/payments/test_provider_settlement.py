"""No 二清: settling an order instructs the provider. Through WeChat Pay in partner mode the
fee is split to the platform and the rest unfrozen for the store, and the simulator's
balances then equal the ledger's figures for the order."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from structlog.testing import capture_logs

from tests.ledger.support import (
    after_sales_closed,
    complete,
    open_market,
    order_kinds,
    paid_order,
    place,
)
from tests.paysim.fixtures import pay_at_cashier
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.ledger.models import AccountKind
from weshop.payments.models import Payment, PaymentStatus
from weshop.paysim import funds
from weshop.paysim.identity import PLATFORM_MCHID, READY_SUB_MCHID

STORE = f"mch:{READY_SUB_MCHID}"
PLATFORM = f"mch:{PLATFORM_MCHID}"


async def test_settlement_splits_the_fee_to_the_platform_at_wechat_pay(
    api, client, runner, wechatpay, sim, cashier
):
    market = await open_market(api, (1999, 12345))
    expect(
        await client.put(
            f"/api/v1/platform/stores/{market.store_id}/payment-accounts/wechatpay",
            json={"sub_mchid": READY_SUB_MCHID},
            headers=await api.operator(),
        ),
        200,
    )
    order = await place(market, [(market.skus[0], 2), (market.skus[1], 1)])
    payment = expect(
        await client.post(
            f"/api/v1/me/orders/{order['id']}/payments",
            params={"provider": "wechatpay"},
            headers=market.shopper,
        ),
        201,
    )
    assert (await pay_at_cashier(cashier, h5_url=payment["cashier_url"])).status_code == 200
    # The simulator's callback goes to its own inbox: the payment query finds it paid.
    await runner.run(utcnow() + timedelta(minutes=6))
    assert (await api.order(market.shopper, order["id"]))["status"] == "paid"
    assert funds.balance(sim.store, STORE) == (0, order["payable_fen"])

    await complete(market, order["id"])
    await runner.run(after_sales_closed())
    await runner.run(after_sales_closed())  # a repeat moves nothing more

    kinds = await order_kinds(api.runtime, order["id"])
    fee = kinds[AccountKind.PLATFORM_FEE]
    assert fee > 0
    assert funds.balance(sim.store, STORE) == (kinds[AccountKind.STORE_AVAILABLE], 0)
    assert funds.balance(sim.store, PLATFORM) == (fee, 0)
    assert kinds[AccountKind.STORE_AVAILABLE] + fee == order["payable_fen"]


async def test_a_sandbox_settlement_takes_the_same_path_and_moves_nothing(api, runner, runtime):
    market = await open_market(api, (1999,))
    order = await paid_order(market, [(market.skus[0], 1)])
    await complete(market, order["id"])
    await runner.run(after_sales_closed())
    kinds = await order_kinds(runtime, order["id"])
    assert (
        kinds[AccountKind.STORE_AVAILABLE] + kinds[AccountKind.PLATFORM_FEE]
        == (order["payable_fen"])
    )


async def test_a_split_refused_over_the_ratio_is_left_frozen_for_a_person(
    api, client, runner, wechatpay, sim, cashier
):
    """The sub-merchant authorised less than the platform's fee (WeChat Pay refuses the split
    with 分账金额超出最大分账比例): asking again cannot help, so the settlement is logged as an
    error once, the money stays frozen at the provider and nothing is marked released."""
    sim.set_max_split_ratio(READY_SUB_MCHID, 100)
    market = await open_market(api, (1999,))
    expect(
        await client.put(
            f"/api/v1/platform/stores/{market.store_id}/payment-accounts/wechatpay",
            json={"sub_mchid": READY_SUB_MCHID},
            headers=await api.operator(),
        ),
        200,
    )
    order = await place(market, [(market.skus[0], 3)])
    payment = expect(
        await client.post(
            f"/api/v1/me/orders/{order['id']}/payments",
            params={"provider": "wechatpay"},
            headers=market.shopper,
        ),
        201,
    )
    assert (await pay_at_cashier(cashier, h5_url=payment["cashier_url"])).status_code == 200
    await runner.run(utcnow() + timedelta(minutes=6))
    await complete(market, order["id"])
    with capture_logs() as logs:
        await runner.run(after_sales_closed())
        await runner.run(after_sales_closed())
    refused = [row for row in logs if row["event"] == "payments.settlement_split_refused"]
    assert len(refused) == 1 and refused[0]["log_level"] == "error"
    assert refused[0]["order_id"] == order["id"] and refused[0]["platform_fee_fen"] > 0
    assert not [row for row in logs if row["event"] == "outbox.handler_failed"]
    # The ledger settled; the provider still holds all of it, frozen, and released nothing.
    assert (await order_kinds(api.runtime, order["id"]))[AccountKind.PLATFORM_FEE] > 0
    assert funds.balance(sim.store, STORE) == (0, order["payable_fen"])
    assert funds.balance(sim.store, PLATFORM) == (0, 0)
    async with api.runtime.db.session(write=False) as session:
        stored = await session.scalar(
            select(Payment).where(
                Payment.order_id == order["id"], Payment.status == PaymentStatus.SUCCEEDED
            )
        )
    assert stored is not None and stored.fee_split_fen is None
