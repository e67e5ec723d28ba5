"""The Quote as a whole: the order of the steps, per-store snapshots, and its own checks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.pricing.factories import adjustments, context, coupon, line, payables, reduction
from weshop.core.errors import InvalidInput
from weshop.pricing.inputs import MemberDiscount, PointsOffer, ShippingRule, ShippingTemplate
from weshop.pricing.quote import Quote, price

LINES = [line(1, 6000, store=1), line(2, 4000, store=1), line(3, 5000, store=2, template=1)]
CONTEXT = context(
    full_reductions=(reduction(1, (10000, 1000), store=1),),
    coupons=(
        coupon(2, store=2, off=500),
        coupon(3, store=1, valid_until=context().now),
        coupon(9, store=None, off=900),
    ),
    points=(PointsOffer(store_id=1, balance=100, requested=100),),
    shipping_templates=(
        ShippingTemplate(
            id=1,
            store_id=2,
            name="parcel",
            charge_by="piece",
            rules=(
                ShippingRule(
                    first_units=1, first_fee_fen=1000, additional_units=1, additional_fee_fen=0
                ),
            ),
        ),
    ),
)


def test_a_two_store_checkout_adds_up_to_the_fen() -> None:
    quote = price(LINES, CONTEXT)
    # Reduction 1000 over 6000/4000; coupon 2 takes 500 from line 3; platform coupon 9 takes
    # 900 over 5400/3600/4500; points 100 over 5040/3360 of store 1.
    assert adjustments(quote, 1) == [
        ("full_reduction", "1", -600),
        ("coupon", "9", -360),
        ("points", "1", -60),
    ]
    assert adjustments(quote, 3) == [("coupon", "2", -500), ("coupon", "9", -300)]
    assert payables(quote) == {1: 4980, 2: 3320, 3: 4200}
    assert [
        (s.subtotal_fen, s.discount_fen, s.shipping_fen, s.points_used, s.payable_fen)
        for s in quote.stores
    ] == [(10000, 1700, 0, 100, 8300), (5000, 800, 1000, 0, 5200)]
    assert (
        quote.subtotal_fen,
        quote.discount_fen,
        quote.shipping_fen,
        quote.points_value_fen,
        quote.payable_fen,
    ) == (15000, 2500, 1000, 100, 13500)
    assert quote.applied_coupon_ids == (2, 9)


def test_for_store_keeps_one_store_and_its_share_of_platform_coupons() -> None:
    quote = price(LINES, CONTEXT)
    first, second = quote.for_store(1), quote.for_store(2)
    assert [(p.kind, p.source_id, p.amount_fen) for p in first.promotions] == [
        ("full_reduction", "1", -1000),
        ("coupon", "9", -600),
        ("points", "1", -100),
    ]
    assert [(p.kind, p.source_id, p.amount_fen) for p in second.promotions] == [
        ("coupon", "2", -500),
        ("coupon", "9", -300),
    ]
    assert (first.applied_coupon_ids, second.applied_coupon_ids) == ((9,), (2, 9))
    assert [v.coupon_id for v in first.coupons] == [3, 9]
    assert [v.coupon_id for v in second.coupons] == [2, 9]
    assert (first.payable_fen, first.shipping_fen, first.points_value_fen) == (8300, 0, 100)
    assert (second.payable_fen, second.shipping_fen, second.discount_fen) == (5200, 1000, 800)
    for field in ("subtotal_fen", "discount_fen", "shipping_fen", "points_value_fen"):
        assert getattr(first, field) + getattr(second, field) == getattr(quote, field)
    with pytest.raises(ValueError, match="no lines of store 3"):
        quote.for_store(3)


def test_each_line_shows_the_steps_in_order() -> None:
    member = MemberDiscount(store_id=1, level_id=4, level_name="VIP", pay_percent=90)
    quote = price(
        [line(1, 10000)],
        context(
            member_discounts=(member,),
            full_reductions=(reduction(1, (9000, 1000)),),
            coupons=(coupon(2, off=500), coupon(3, store=None, off=500)),
            points=(PointsOffer(store_id=1, balance=300, requested=300),),
        ),
    )
    assert adjustments(quote, 1) == [
        ("member_price", "4", -1000),
        ("full_reduction", "1", -1000),
        ("coupon", "2", -500),
        ("coupon", "3", -500),
        ("points", "1", -300),
    ]
    assert quote.payable_fen == 6700


def test_a_quote_survives_its_json_snapshot() -> None:
    quote = price(LINES, CONTEXT)
    assert Quote.model_validate(quote.model_dump(mode="json")) == quote
    assert Quote.model_validate(quote.for_store(2).model_dump(mode="json")) == quote.for_store(2)


def test_a_quote_that_does_not_add_up_cannot_be_built() -> None:
    data = price(LINES, CONTEXT).model_dump()
    data["payable_fen"] += 1
    with pytest.raises(ValidationError, match="totals do not add up"):
        Quote.model_validate(data)
    data = price(LINES, CONTEXT).model_dump()
    data["promotions"][0]["allocations"][0]["amount_fen"] -= 1
    with pytest.raises(ValidationError, match="not fully allocated"):
        Quote.model_validate(data)


def test_an_empty_cart_costs_nothing() -> None:
    quote = price([], context())
    assert (quote.lines, quote.stores, quote.payable_fen) == ((), (), 0)


@pytest.mark.parametrize(
    ("lines", "wallet", "code"),
    [
        ([line(1, 100), line(1, 200)], (), "duplicate_sku"),
        ([line(1, 100)], (coupon(1), coupon(1)), "duplicate_coupon"),
    ],
)
def test_ambiguous_input_is_refused(lines, wallet, code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        price(lines, context(coupons=wallet))
    assert raised.value.code == code
