"""E-commerce subsidies (补差) through the simulator: paid from the platform's own balance
into a profit-sharing order before it is split, once per order, released with the order,
and taken back after a refund — never from money the platform does not have."""

from __future__ import annotations

from collections.abc import Awaitable

import pytest

from tests.paysim.test_profitsharing import PLATFORM, STORE, SUB, sharing_order
from weshop.payments.wechatpay.errors import WechatPayApiError
from weshop.paysim import funds
from weshop.paysim.identity import PLATFORM_MCHID


async def expect_error(call: Awaitable[object]) -> WechatPayApiError:
    with pytest.raises(WechatPayApiError) as refused:
        await call
    return refused.value


async def test_a_subsidy_joins_the_order_and_is_released_with_it(partner, sim, cashier) -> None:
    transaction_id = await sharing_order(partner, cashier, "SUBSIDY00001", 5000)
    subsidies = partner.subsidies
    ask = {"sub_mchid": SUB, "transaction_id": transaction_id, "description": "平台优惠补贴"}

    refused = await expect_error(subsidies.create(**ask, amount_fen=800))
    assert refused.wechat_code == "NOT_ENOUGH"  # the platform has no money of its own yet
    sim.deposit(PLATFORM_MCHID, 1000)
    made = await subsidies.create(**ask, amount_fen=800)
    assert made["result"] == "SUCCESS" and made["amount"] == 800
    assert (await subsidies.create(**ask, amount_fen=800))["subsidy_id"] == made["subsidy_id"]
    other = await expect_error(subsidies.create(**ask, amount_fen=100))
    assert other.wechat_code == "INVALID_REQUEST"
    assert funds.balance(sim.store, PLATFORM) == (200, 0)
    assert funds.balance(sim.store, STORE) == (0, 5800)

    await partner.profit_sharing.unfreeze(
        transaction_id=transaction_id, out_order_no="UNF-SUB-1", description="解冻",
        sub_mchid=SUB,
    )  # fmt: skip
    assert funds.balance(sim.store, STORE) == (5800, 0)
    unfrozen_id = await sharing_order(partner, cashier, "SUBSIDY00003", 5000)
    await partner.profit_sharing.unfreeze(
        transaction_id=unfrozen_id, out_order_no="UNF-SUB-3", description="解冻", sub_mchid=SUB
    )
    late = await expect_error(
        subsidies.create(**{**ask, "transaction_id": unfrozen_id}, amount_fen=100)
    )
    assert late.wechat_code == "INVALID_REQUEST"  # its funds are released: too late


async def test_a_subsidy_goes_back_only_after_a_refund_and_only_once(partner, sim, cashier) -> None:
    sim.deposit(PLATFORM_MCHID, 1000)
    transaction_id = await sharing_order(partner, cashier, "SUBSIDY00002", 5000)
    await partner.subsidies.create(
        sub_mchid=SUB, transaction_id=transaction_id, amount_fen=600, description="补贴"
    )
    await partner.profit_sharing.unfreeze(
        transaction_id=transaction_id, out_order_no="UNF-SUB-2", description="解冻",
        sub_mchid=SUB,
    )  # fmt: skip
    back = {
        "sub_mchid": SUB, "out_order_no": "SUBRET-1", "transaction_id": transaction_id,
        "amount_fen": 300, "description": "退款回退补贴",
    }  # fmt: skip
    no_refund = await expect_error(partner.subsidies.return_subsidy(**back, refund_id="nope"))
    assert no_refund.wechat_code == "RESOURCE_NOT_EXISTS"
    refund = await partner.refunds.create(
        out_trade_no="SUBSIDY00002", out_refund_no="R-SUB-2", refund_fen=2500, total_fen=5000,
        sub_mchid=SUB,
    )  # fmt: skip
    returned = await partner.subsidies.return_subsidy(**back, refund_id=refund["refund_id"])
    assert returned["result"] == "SUCCESS"
    again = await partner.subsidies.return_subsidy(**back, refund_id=refund["refund_id"])
    assert again["subsidy_refund_id"] == returned["subsidy_refund_id"]
    too_much = await expect_error(
        partner.subsidies.return_subsidy(
            **{**back, "out_order_no": "SUBRET-2", "amount_fen": 301},
            refund_id=refund["refund_id"],
        )
    )
    assert too_much.wechat_code == "INVALID_REQUEST"
    assert funds.balance(sim.store, PLATFORM) == (400 + 300, 0)
    assert funds.balance(sim.store, STORE) == (5600 - 2500 - 300, 0)
