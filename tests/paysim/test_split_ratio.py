"""The maximum split ratio (最大分账比例): the receivers of a transaction's split orders get
together at most the ratio the sub-merchant authorised (30% unless it said otherwise) of the
transaction's amount; beyond it WeChat Pay answers 400 INVALID_REQUEST
"分账金额超出最大分账比例" and nothing moves. Releasing the rest to the store is not counted."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.paysim.test_flows import expect_error
from tests.paysim.test_funds_properties import PLATFORM as PLATFORM_CALLER
from tests.paysim.test_funds_properties import Market
from tests.paysim.test_profitsharing import PLATFORM, PROMOTER, STORE, SUB, sharing_order
from weshop.payments.wechatpay.errors import WechatPayApiError
from weshop.payments.wechatpay.profitsharing import Split
from weshop.paysim import funds
from weshop.paysim.errors import ApiError
from weshop.paysim.identity import PLATFORM_APPID, PLATFORM_MCHID, READY_SUB_MCHID
from weshop.paysim.profitsharing import SplitOrder, SplitTo
from weshop.paysim.store import Store

RATIO_EXCEEDED = "分账金额超出最大分账比例"


async def test_the_default_ratio_is_30_percent_over_every_split_of_the_transaction(
    partner, sim, cashier
) -> None:
    transaction_id = await sharing_order(partner, cashier, "RATIO0000001", 1000)
    assert await partner.profit_sharing.max_ratio(SUB) == 3000
    await partner.profit_sharing.split(
        transaction_id=transaction_id, out_order_no="RATIO-1",
        receivers=[Split("MERCHANT_ID", PLATFORM_MCHID, 50, "服务费", name="平台服务商")],
        unfreeze_unsplit=False, sub_mchid=SUB,
    )  # fmt: skip
    # 50 + 251 = 301 fen of 1000 is over 30%, though each order alone is under it.
    with pytest.raises(WechatPayApiError) as over:
        await partner.profit_sharing.split(
            transaction_id=transaction_id, out_order_no="RATIO-2",
            receivers=[Split("PERSONAL_OPENID", PROMOTER, 251, "佣金")],
            unfreeze_unsplit=True, sub_mchid=SUB,
        )  # fmt: skip
    expect_error(over, 400, "INVALID_REQUEST")
    assert over.value.wechat_message == RATIO_EXCEEDED
    assert funds.balance(sim.store, STORE) == (0, 950)
    assert funds.balance(sim.store, f"openid:{PROMOTER}") == (0, 0)
    # Exactly 30%, and the rest released to the store: accepted.
    await partner.profit_sharing.split(
        transaction_id=transaction_id, out_order_no="RATIO-3",
        receivers=[Split("PERSONAL_OPENID", PROMOTER, 250, "佣金")],
        unfreeze_unsplit=True, sub_mchid=SUB,
    )  # fmt: skip
    assert funds.balance(sim.store, STORE) == (700, 0)
    assert funds.balance(sim.store, PLATFORM) == (50, 0)
    assert funds.balance(sim.store, f"openid:{PROMOTER}") == (250, 0)


async def test_a_sub_merchant_authorising_less_is_held_to_it_and_the_query_says_so(
    partner, sim, cashier
) -> None:
    sim.set_max_split_ratio(SUB, 1000)
    assert await partner.profit_sharing.max_ratio(SUB) == 1000
    transaction_id = await sharing_order(partner, cashier, "RATIO0000002", 1000)
    with pytest.raises(WechatPayApiError) as over:
        await partner.profit_sharing.split(
            transaction_id=transaction_id, out_order_no="RATIO-4",
            receivers=[Split("PERSONAL_OPENID", PROMOTER, 101, "佣金")],
            unfreeze_unsplit=True, sub_mchid=SUB,
        )  # fmt: skip
    assert over.value.wechat_message == RATIO_EXCEEDED
    opened = sim.open_sub_merchant("高比例店", max_split_ratio=9000)
    assert await partner.profit_sharing.max_ratio(opened) == 9000


async def test_the_ratio_query_is_the_platforms_for_its_own_sub_merchants(direct, partner) -> None:
    with pytest.raises(WechatPayApiError) as direct_asks:
        await direct.profit_sharing.max_ratio(SUB)
    expect_error(direct_asks, 403, "NO_AUTH")
    with pytest.raises(WechatPayApiError) as unknown:
        await partner.profit_sharing.max_ratio("1999999999")
    expect_error(unknown, 400, "MCH_NOT_EXISTS")


def test_a_ratio_is_1_to_10000_basis_points(sim) -> None:
    for wrong in (0, 10001):
        with pytest.raises(ValueError):
            sim.set_max_split_ratio(READY_SUB_MCHID, wrong)
    with pytest.raises(ValueError):
        sim.set_max_split_ratio(PLATFORM_MCHID, 5000)


def test_a_state_file_from_before_the_ratio_keeps_its_merchants_at_30_percent(tmp_path) -> None:
    path = tmp_path / "paysim.db"
    old = Store(path)
    old.run("DROP TABLE merchants")
    old.run("CREATE TABLE merchants (mchid TEXT PRIMARY KEY, role TEXT NOT NULL)")
    old.run("INSERT INTO merchants VALUES ('1900000201', 'sub')")
    old.close()
    reopened = Store(path)
    row = reopened.one("SELECT max_split_ratio FROM merchants WHERE mchid = '1900000201'")
    assert row is not None and row["max_split_ratio"] == 3000
    reopened.close()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ratio=st.integers(1, 10000),
    total=st.integers(1, 100_000),
    asks=st.lists(st.integers(1, 60_000), min_size=1, max_size=5),
)
def test_receivers_get_at_most_the_ratio_and_a_refusal_moves_nothing(
    platform, merchant_keys, ratio: int, total: int, asks: list[int]
) -> None:
    market = Market(platform, merchant_keys)
    market.sim.set_max_split_ratio(SUB, ratio)
    market.pay(total, True)
    _, transaction_id, _ = market.orders[0]
    granted = 0
    for ask in asks:
        order = SplitOrder(
            sub_mchid=SUB, appid=PLATFORM_APPID, transaction_id=transaction_id,
            out_order_no=market.number("S"), unfreeze_unsplit=False,
            receivers=[SplitTo(type="MERCHANT_ID", account=PLATFORM_MCHID, amount=ask,
                               description="fee")],
        )  # fmt: skip
        within = (granted + ask) * 10000 <= total * ratio and granted + ask <= total
        try:
            market.sim.sharing.split(PLATFORM_CALLER, order)
        except ApiError as refused:
            assert not within
            if granted + ask <= total:
                assert (refused.code, refused.message) == ("INVALID_REQUEST", RATIO_EXCEEDED)
        else:
            assert within
            granted += ask
        assert funds.balance(market.sim.store, PLATFORM) == (granted, 0)
        assert funds.balance(market.sim.store, STORE) == (0, total - granted)
