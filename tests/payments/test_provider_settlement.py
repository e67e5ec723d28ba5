"""No 二清: settling an order instructs the provider. Through WeChat Pay in partner mode the
fee is split to the platform and the rest unfrozen for the store, and the simulator's
balances then equal the ledger's figures for the order."""

from __future__ import annotations

from datetime import timedelta

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
