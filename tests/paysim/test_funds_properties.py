"""Property: any sequence of payments, splits, unfreezes, refunds and returns — accepted or
refused — keeps every balance non-negative, conserves money (balances = paid - refunded),
keeps frozen money equal to the orders' unsplit amounts, and a refused step changes nothing."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.paysim.fixtures import NOTIFY_URL, FakeClock
from weshop.paysim.errors import ApiError
from weshop.paysim.identity import (
    PLATFORM_APPID,
    PLATFORM_MCHID,
    READY_SUB_MCHID,
    MerchantKeys,
    PlatformIdentity,
    register_merchant_keys,
)
from weshop.paysim.profitsharing import ReceiverIn, ReturnOrder, SplitOrder, SplitTo, UnfreezeOrder
from weshop.paysim.refunds import RefundAmount, RefundRequest
from weshop.paysim.security import Caller
from weshop.paysim.simulator import PaySim
from weshop.paysim.store import Store
from weshop.paysim.transactions import Amount, PartnerOrder, SettleInfo

PLATFORM = Caller(mchid=PLATFORM_MCHID, role="platform", appid=PLATFORM_APPID)
SUB = READY_SUB_MCHID
PROMOTER = "oPromoterProperty00000000001"

amounts = st.integers(min_value=1, max_value=5000)
index = st.integers(min_value=0, max_value=5)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), amounts, st.booleans()),
        st.tuples(st.just("split"), index, amounts, amounts),
        st.tuples(st.just("unfreeze"), index),
        st.tuples(st.just("refund"), index, amounts),
        st.tuples(st.just("return"), index, amounts),
        st.tuples(
            st.just("settle"),
        ),
    ),
    max_size=25,
)


class Market:
    def __init__(self, platform: PlatformIdentity, keys: MerchantKeys) -> None:
        store = Store(":memory:")
        register_merchant_keys(store, keys)
        self.sim = PaySim(store, platform, base_url="http://paysim.test", clock=FakeClock())
        self.orders: list[tuple[str, str, int]] = []  # (out_trade_no, transaction_id, total)
        self.splits: list[str] = []
        self.counter = 0
        for receiver_type, account in (
            ("MERCHANT_ID", PLATFORM_MCHID),
            ("PERSONAL_OPENID", PROMOTER),
        ):
            self.sim.sharing.add_receiver(
                PLATFORM,
                ReceiverIn(
                    sub_mchid=SUB, appid=PLATFORM_APPID, type=receiver_type, account=account,
                    relation_type="PARTNER",
                    name="平台服务商" if receiver_type == "MERCHANT_ID" else None,
                ),
            )  # fmt: skip

    def number(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter:08d}"

    def pay(self, total: int, profit_sharing: bool) -> None:
        out_trade_no = self.number("PROP")
        order = PartnerOrder(
            sp_appid=PLATFORM_APPID, sp_mchid=PLATFORM_MCHID, sub_mchid=SUB, description="p",
            out_trade_no=out_trade_no, notify_url=NOTIFY_URL, amount=Amount(total=total),
            settle_info=SettleInfo(profit_sharing=profit_sharing),
        )  # fmt: skip
        answer = self.sim.trading.create(PLATFORM, "NATIVE", order)
        paid = self.sim.trading.pay(code_token=answer["code_url"].split("pr=", 1)[1])
        self.orders.append((out_trade_no, paid["transaction_id"], total))

    def apply(self, operation: tuple) -> None:
        kind = operation[0]
        if kind == "pay":
            self.pay(operation[1], operation[2])
        elif kind == "settle":
            self.sim.refunding.settle_due()
        elif kind in ("split", "unfreeze", "refund") and self.orders:
            out_trade_no, transaction_id, total = self.orders[operation[1] % len(self.orders)]
            if kind == "split":
                out_order_no = self.number("S")
                self.sim.sharing.split(
                    PLATFORM,
                    SplitOrder(
                        sub_mchid=SUB, appid=PLATFORM_APPID, transaction_id=transaction_id,
                        out_order_no=out_order_no,
                        receivers=[
                            SplitTo(type="MERCHANT_ID", account=PLATFORM_MCHID,
                                    amount=operation[2], description="fee"),
                            SplitTo(type="PERSONAL_OPENID", account=PROMOTER,
                                    amount=operation[3], description="commission"),
                        ],
                        unfreeze_unsplit=False,
                    ),
                )  # fmt: skip
                self.splits.append(out_order_no)
            elif kind == "unfreeze":
                self.sim.sharing.unfreeze(
                    PLATFORM,
                    UnfreezeOrder(sub_mchid=SUB, transaction_id=transaction_id,
                                  out_order_no=self.number("U"), description="rest"),
                )  # fmt: skip
            else:
                self.sim.refunding.create(
                    PLATFORM,
                    RefundRequest(
                        sub_mchid=SUB, out_trade_no=out_trade_no, out_refund_no=self.number("R"),
                        amount=RefundAmount(refund=operation[2], total=total, currency="CNY"),
                    ),
                )  # fmt: skip
        elif kind == "return" and self.splits:
            self.sim.sharing.return_split(
                PLATFORM,
                ReturnOrder(
                    sub_mchid=SUB, out_order_no=self.splits[operation[1] % len(self.splits)],
                    out_return_no=self.number("B"), return_mchid=PLATFORM_MCHID,
                    amount=operation[2], description="back",
                ),
            )  # fmt: skip

    def balances(self) -> list[tuple[str, int, int]]:
        rows = self.sim.store.all("SELECT owner, available, frozen FROM accounts ORDER BY owner")
        return [(row["owner"], row["available"], row["frozen"]) for row in rows]

    def check(self) -> None:
        store = self.sim.store
        balances = self.balances()
        assert all(available >= 0 and frozen >= 0 for _, available, frozen in balances)
        paid = store.one(
            "SELECT COALESCE(SUM(total), 0) AS s FROM transactions WHERE state != 'NOTPAY'"
        )
        refunded = store.one("SELECT COALESCE(SUM(amount), 0) AS s FROM refunds")
        held = sum(available + frozen for _, available, frozen in balances)
        assert held == paid["s"] - refunded["s"]
        unsplit = store.one("SELECT COALESCE(SUM(unsplit), 0) AS s FROM transactions")
        assert sum(frozen for _, _, frozen in balances) == unsplit["s"]
        for row in store.all("SELECT total, refunded, unsplit FROM transactions"):
            assert row["refunded"] + row["unsplit"] <= row["total"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=operations)
def test_money_is_conserved_and_never_negative(
    steps: list[tuple], platform: PlatformIdentity, merchant_keys: MerchantKeys
) -> None:
    market = Market(platform, merchant_keys)
    for step in steps:
        before = market.balances()
        try:
            market.apply(step)
        except ApiError as refusal:
            assert refusal.code in {"INVALID_REQUEST", "NOT_ENOUGH"}, refusal
            assert market.balances() == before  # a refused step changes nothing
        market.check()
