"""Properties of combined payments: for any sub-orders (2 to 50, stores repeated or not),
the payer pays their sum once; each sub-merchant is credited exactly its own sub-orders;
the callback lists each sub-order with its own amount; a refund of one sub-order takes
money from its sub-merchant only. And a payment's description always fits WeChat Pay's
127 bytes with the order's number whole."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.paysim.fixtures import NOTIFY_URL, Delivery, FakeClock, decrypt_delivery
from weshop.payments.descriptions import (
    DESCRIPTION_MAX_BYTES,
    checkout_description,
    order_description,
)
from weshop.paysim import funds
from weshop.paysim.combine import CombineOrder
from weshop.paysim.identity import (
    PLATFORM_APPID,
    PLATFORM_MCHID,
    MerchantKeys,
    PlatformIdentity,
    register_merchant_keys,
)
from weshop.paysim.refunds import RefundAmount, RefundRequest
from weshop.paysim.security import Caller
from weshop.paysim.simulator import PaySim
from weshop.paysim.store import Store

PLATFORM = Caller(mchid=PLATFORM_MCHID, role="platform", appid=PLATFORM_APPID)

sub_orders = st.lists(
    st.tuples(st.integers(min_value=0, max_value=4), st.integers(min_value=1, max_value=10**7)),
    min_size=2,
    max_size=50,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=sub_orders, refunded=st.data())
def test_each_sub_merchant_gets_exactly_its_own_sub_orders(
    platform: PlatformIdentity, merchant_keys: MerchantKeys, parts, refunded
) -> None:
    store = Store(":memory:")
    register_merchant_keys(store, merchant_keys)
    sim = PaySim(store, platform, base_url="http://paysim.test", clock=FakeClock())
    shops = [sim.open_sub_merchant(f"店{i}") for i in range(5)]
    order = CombineOrder.model_validate(
        {
            "combine_appid": PLATFORM_APPID,
            "combine_mchid": PLATFORM_MCHID,
            "combine_out_trade_no": "PROPCOMBINE001",
            "notify_url": NOTIFY_URL + "/combined",
            "sub_orders": [
                {
                    "mchid": PLATFORM_MCHID,
                    "sub_mchid": shops[shop],
                    "out_trade_no": f"PROPSUB{index:04d}",
                    "amount": {"total_amount": amount, "currency": "CNY"},
                    "description": f"店{shop} - 订单 {index}",
                    "attach": str(index),
                    "settle_info": {"profit_sharing": index % 2 == 0},
                }
                for index, (shop, amount) in enumerate(parts)
            ],
        }
    )
    sim.combining.check(PLATFORM, "NATIVE", order)
    sim.combining.create(PLATFORM, "NATIVE", order)
    combined = sim.combining.find(PLATFORM_MCHID, "PROPCOMBINE001")
    assert sim.combining.total(combined) == sum(amount for _, amount in parts)
    sim.combining.pay(combined)

    owed = Counter()
    for shop, amount in parts:
        owed[shops[shop]] += amount
    for shop in shops:
        available, frozen = funds.balance(store, f"mch:{shop}")
        assert available + frozen == owed[shop]
    assert funds.balance(store, f"mch:{PLATFORM_MCHID}") == (0, 0)

    (notification,) = store.all("SELECT * FROM notifications")
    delivery = Delivery("", {}, bytes(notification["body"]), FakeClock()())
    resource = decrypt_delivery(delivery, merchant_keys)["resource"]
    assert [sub["amount"]["total_amount"] for sub in resource["sub_orders"]] == [
        amount for _, amount in parts
    ]
    assert all(sub["trade_state"] == "SUCCESS" for sub in resource["sub_orders"])
    assert len({sub["transaction_id"] for sub in resource["sub_orders"]}) == len(parts)

    index = refunded.draw(st.integers(min_value=0, max_value=len(parts) - 1))
    shop, amount = parts[index]
    part = refunded.draw(st.integers(min_value=1, max_value=amount))
    before = {s: sum(funds.balance(store, f"mch:{s}")) for s in shops}
    sim.refunding.create(
        PLATFORM,
        RefundRequest(
            sub_mchid=shops[shop],
            out_trade_no=f"PROPSUB{index:04d}",
            out_refund_no="PROPREFUND0001",
            amount=RefundAmount(refund=part, total=amount, currency="CNY"),
        ),
    )
    sim.refunding.settle_due()
    for s in shops:
        expected = before[s] - (part if s == shops[shop] else 0)
        assert sum(funds.balance(store, f"mch:{s}")) == expected
    store.close()


names = st.text(min_size=1, max_size=60)
numbers = st.from_regex(r"[A-Z][0-9]{10,30}", fullmatch=True)


@given(name=names, number=numbers)
def test_an_order_description_fits_and_keeps_its_number(name: str, number: str) -> None:
    text = order_description(name, number)
    assert len(text.encode()) <= DESCRIPTION_MAX_BYTES
    assert text.endswith(f" - 订单 {number}")


@given(stores=st.lists(names, min_size=1, max_size=50), number=numbers)
def test_a_checkout_description_fits_and_keeps_its_number(stores, number: str) -> None:
    text = checkout_description(stores, number)
    assert len(text.encode()) <= DESCRIPTION_MAX_BYTES
    assert text.endswith(f" - 合并支付 {number}")
