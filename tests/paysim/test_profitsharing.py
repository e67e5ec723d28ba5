"""Profit sharing through the simulator: split, over-split refused, unfreeze once, return a
split before refunding split money — balances checked at every step."""

from __future__ import annotations

import pytest

from tests.paysim.test_flows import expect_error, paid_order
from weshop.payments.wechatpay.errors import WechatPayApiError
from weshop.payments.wechatpay.profitsharing import Split
from weshop.paysim import funds
from weshop.paysim.identity import PLATFORM_MCHID, READY_SUB_MCHID

SUB = READY_SUB_MCHID
STORE = f"mch:{SUB}"
PLATFORM = f"mch:{PLATFORM_MCHID}"
PROMOTER = "oPromoter0000000000000000001"


async def sharing_order(partner, cashier, out_trade_no: str, total: int) -> str:
    await partner.profit_sharing.add_receiver(
        type="MERCHANT_ID", account=PLATFORM_MCHID, relation_type="SERVICE_PROVIDER",
        sub_mchid=SUB, name="平台服务商",
    )  # fmt: skip
    await partner.profit_sharing.add_receiver(
        type="PERSONAL_OPENID", account=PROMOTER, relation_type="DISTRIBUTOR", sub_mchid=SUB
    )
    return await paid_order(partner, cashier, out_trade_no, total, sub_mchid=SUB)


async def test_split_moves_frozen_money_to_receivers_and_unfreezes_the_rest(
    partner, sim, cashier
) -> None:
    transaction_id = await sharing_order(partner, cashier, "SHARE0000001", 10000)
    assert funds.balance(sim.store, STORE) == (0, 10000)

    result = await partner.profit_sharing.split(
        transaction_id=transaction_id,
        out_order_no="SPLIT-0001",
        receivers=[
            Split("MERCHANT_ID", PLATFORM_MCHID, 600, "平台服务费", name="平台服务商"),
            Split("PERSONAL_OPENID", PROMOTER, 1000, "推客佣金"),
        ],
        unfreeze_unsplit=False,
        sub_mchid=SUB,
    )
    assert result["state"] == "FINISHED"
    assert [r["result"] for r in result["receivers"]] == ["SUCCESS", "SUCCESS"]
    assert funds.balance(sim.store, STORE) == (0, 8400)
    assert funds.balance(sim.store, PLATFORM) == (600, 0)
    assert funds.balance(sim.store, f"openid:{PROMOTER}") == (1000, 0)
    assert await partner.profit_sharing.unsplit_amount(transaction_id) == 8400

    queried = await partner.profit_sharing.query(
        transaction_id=transaction_id, out_order_no="SPLIT-0001", sub_mchid=SUB
    )
    assert queried["order_id"] == result["order_id"]

    unfrozen = await partner.profit_sharing.unfreeze(
        transaction_id=transaction_id, out_order_no="UNFREEZE-0001", description="解冻全部剩余资金",
        sub_mchid=SUB,
    )  # fmt: skip
    assert unfrozen["receivers"][0]["amount"] == 8400
    assert unfrozen["receivers"][0]["account"] == SUB
    assert funds.balance(sim.store, STORE) == (8400, 0)
    # The same out_order_no answers the same order; a second unfreeze is refused.
    again = await partner.profit_sharing.unfreeze(
        transaction_id=transaction_id, out_order_no="UNFREEZE-0001", description="解冻全部剩余资金",
        sub_mchid=SUB,
    )  # fmt: skip
    assert again["order_id"] == unfrozen["order_id"]
    with pytest.raises(WechatPayApiError) as twice:
        await partner.profit_sharing.unfreeze(
            transaction_id=transaction_id, out_order_no="UNFREEZE-0002", description="again",
            sub_mchid=SUB,
        )  # fmt: skip
    expect_error(twice, 400, "INVALID_REQUEST")
    with pytest.raises(WechatPayApiError) as after:
        await partner.profit_sharing.split(
            transaction_id=transaction_id, out_order_no="SPLIT-0002",
            receivers=[Split("PERSONAL_OPENID", PROMOTER, 1, "late")], unfreeze_unsplit=False,
            sub_mchid=SUB,
        )  # fmt: skip
    expect_error(after, 400, "INVALID_REQUEST")


async def test_over_split_is_refused_and_changes_nothing(partner, sim, cashier) -> None:
    sim.set_max_split_ratio(SUB, 10000)  # authorised all: the order's own money is the limit
    transaction_id = await sharing_order(partner, cashier, "SHARE0000002", 1000)
    await partner.profit_sharing.split(
        transaction_id=transaction_id, out_order_no="SPLIT-0101",
        receivers=[Split("PERSONAL_OPENID", PROMOTER, 700, "佣金")], unfreeze_unsplit=False,
        sub_mchid=SUB,
    )  # fmt: skip
    with pytest.raises(WechatPayApiError) as over:
        await partner.profit_sharing.split(
            transaction_id=transaction_id, out_order_no="SPLIT-0102",
            receivers=[
                Split("PERSONAL_OPENID", PROMOTER, 200, "佣金"),
                Split("MERCHANT_ID", PLATFORM_MCHID, 101, "服务费"),
            ],
            unfreeze_unsplit=False, sub_mchid=SUB,
        )  # fmt: skip
    expect_error(over, 403, "NOT_ENOUGH")
    assert funds.balance(sim.store, STORE) == (0, 300)
    assert funds.balance(sim.store, PLATFORM) == (0, 0)


async def test_split_needs_a_profit_sharing_order_and_a_known_receiver(
    direct, partner, sim, cashier
) -> None:
    plain = await paid_order(direct, cashier, "NOTSHARED001", 500)
    await direct.profit_sharing.add_receiver(
        type="PERSONAL_OPENID", account=PROMOTER, relation_type="DISTRIBUTOR"
    )
    with pytest.raises(WechatPayApiError) as not_sharing:
        await direct.profit_sharing.split(
            transaction_id=plain, out_order_no="SPLIT-0201",
            receivers=[Split("PERSONAL_OPENID", PROMOTER, 1, "x")], unfreeze_unsplit=True,
        )  # fmt: skip
    expect_error(not_sharing, 400, "INVALID_REQUEST")
    assert funds.balance(sim.store, "mch:1900000109") == (500, 0)

    shared = await sharing_order(partner, cashier, "SHARE0000003", 500)
    with pytest.raises(WechatPayApiError) as stranger:
        await partner.profit_sharing.split(
            transaction_id=shared, out_order_no="SPLIT-0202",
            receivers=[Split("PERSONAL_OPENID", "oStranger", 1, "x")], unfreeze_unsplit=False,
            sub_mchid=SUB,
        )  # fmt: skip
    expect_error(stranger, 400, "INVALID_REQUEST")


async def test_split_money_must_be_returned_before_it_is_refunded(partner, sim, cashier) -> None:
    sim.set_max_split_ratio(SUB, 5000)  # the sub-merchant authorised half of each payment
    transaction_id = await sharing_order(partner, cashier, "SHARE0000004", 1000)
    split = await partner.profit_sharing.split(
        transaction_id=transaction_id, out_order_no="SPLIT-0301",
        receivers=[Split("MERCHANT_ID", PLATFORM_MCHID, 400, "服务费")], unfreeze_unsplit=False,
        sub_mchid=SUB,
    )  # fmt: skip
    with pytest.raises(WechatPayApiError) as short:
        await partner.refunds.create(
            out_trade_no="SHARE0000004", out_refund_no="R-SHARE-1", refund_fen=1000,
            total_fen=1000, sub_mchid=SUB,
        )  # fmt: skip
    expect_error(short, 403, "NOT_ENOUGH")
    # What is still unsplit can be refunded at once.
    part = await partner.refunds.create(
        out_trade_no="SHARE0000004", out_refund_no="R-SHARE-2", refund_fen=600, total_fen=1000,
        sub_mchid=SUB,
    )  # fmt: skip
    assert part["status"] == "PROCESSING"
    assert funds.balance(sim.store, STORE) == (0, 0)

    returned = await partner.profit_sharing.return_split(
        out_order_no="SPLIT-0301", out_return_no="RET-0001", return_mchid=PLATFORM_MCHID,
        amount_fen=400, description="用户退款", sub_mchid=SUB,
    )  # fmt: skip
    assert returned["result"] == "SUCCESS"
    assert returned["order_id"] == split["order_id"]
    assert funds.balance(sim.store, PLATFORM) == (0, 0)
    assert funds.balance(sim.store, STORE) == (400, 0)
    queried = await partner.profit_sharing.query_return(
        out_order_no="SPLIT-0301", out_return_no="RET-0001", sub_mchid=SUB
    )
    assert queried["return_id"] == returned["return_id"]
    with pytest.raises(WechatPayApiError) as more:
        await partner.profit_sharing.return_split(
            out_order_no="SPLIT-0301", out_return_no="RET-0002", return_mchid=PLATFORM_MCHID,
            amount_fen=1, description="again", sub_mchid=SUB,
        )  # fmt: skip
    expect_error(more, 400, "INVALID_REQUEST")

    rest = await partner.refunds.create(
        out_trade_no="SHARE0000004", out_refund_no="R-SHARE-3", refund_fen=400, total_fen=1000,
        sub_mchid=SUB,
    )  # fmt: skip
    assert rest["amount"]["refund"] == 400
    assert funds.balance(sim.store, STORE) == (0, 0)


async def test_a_return_fails_when_the_receiver_spent_the_money(partner, sim, cashier) -> None:
    sim.set_max_split_ratio(SUB, 5000)  # the sub-merchant authorised half of each payment
    transaction_id = await sharing_order(partner, cashier, "SHARE0000005", 1000)
    await partner.profit_sharing.split(
        transaction_id=transaction_id, out_order_no="SPLIT-0401",
        receivers=[Split("MERCHANT_ID", PLATFORM_MCHID, 500, "服务费")], unfreeze_unsplit=True,
        sub_mchid=SUB,
    )  # fmt: skip
    sim.store.run("UPDATE accounts SET available = 100 WHERE owner = ?", (PLATFORM,))
    failed = await partner.profit_sharing.return_split(
        out_order_no="SPLIT-0401", out_return_no="RET-0101", return_mchid=PLATFORM_MCHID,
        amount_fen=500, description="用户退款", sub_mchid=SUB,
    )  # fmt: skip
    assert (failed["result"], failed["fail_reason"]) == ("FAILED", "BALANCE_NOT_ENOUGH")
    assert funds.balance(sim.store, STORE) == (500, 0)


async def test_a_merchant_receiver_needs_its_full_name(partner) -> None:
    with pytest.raises(WechatPayApiError) as refused:
        await partner.profit_sharing.add_receiver(
            type="MERCHANT_ID", account=PLATFORM_MCHID, relation_type="SERVICE_PROVIDER",
            sub_mchid=SUB,
        )  # fmt: skip
    assert refused.value.wechat_code == "PARAM_ERROR"
