"""Steps 4 and 5: points with their caps, and shipping by template, province and threshold."""

from __future__ import annotations

import pytest

from tests.pricing.factories import adjustments, context, coupon, line, payables
from weshop.core.errors import InvalidInput
from weshop.pricing.inputs import PointsOffer, ShippingRule, ShippingTemplate
from weshop.pricing.quote import price


def offer(requested: int, balance: int, *, store: int = 1, **fields: int) -> PointsOffer:
    return PointsOffer(store_id=store, requested=requested, balance=balance, **fields)


@pytest.mark.parametrize(
    ("points", "used", "value"),
    [
        (offer(500, 300), 300, 300),  # the balance caps what is asked
        (offer(10000, 10000, max_share_percent=10), 1234, 1234),  # 10% of 12345, floored
        (offer(10000, 10000, max_share_percent=10, fen_per_point=10), 123, 1230),  # whole points
        (offer(0, 10000), 0, 0),
        (offer(100, 100, max_share_percent=0), 0, 0),
    ],
)
def test_points_are_capped_by_balance_share_and_whole_points(points, used, value) -> None:
    quote = price([line(1, 12345)], context(points=(points,)))
    assert quote.points_value_fen == value
    assert quote.stores[0].points_used == used
    assert quote.payable_fen == 12345 - value
    assert [p.kind for p in quote.promotions] == (["points"] if used else [])


def test_points_come_after_coupons_and_stay_in_their_store() -> None:
    lines = [line(1, 3000, store=1), line(2, 1000, store=1), line(3, 5000, store=2)]
    quote = price(
        lines,
        context(coupons=(coupon(1, off=2000),), points=(offer(10000, 10000, store=1),)),
    )
    # The store's goods cost 4000 - 2000 = 2000 after the coupon; half of it in points.
    assert quote.points_value_fen == 1000
    assert adjustments(quote, 1) == [("coupon", "1", -1500), ("points", "1", -750)]
    assert adjustments(quote, 2) == [("coupon", "1", -500), ("points", "1", -250)]
    assert payables(quote)[3] == 5000
    assert [s.points_used for s in quote.stores] == [1000, 0]


def rule(first: int, first_fee: int, more: int, more_fee: int, *provinces: str) -> ShippingRule:
    return ShippingRule(
        provinces=frozenset(provinces),
        first_units=first,
        first_fee_fen=first_fee,
        additional_units=more,
        additional_fee_fen=more_fee,
    )


def template(id: int = 1, *, store: int = 1, by: str = "piece", **fields) -> ShippingTemplate:
    fields.setdefault("rules", (rule(1, 1000, 1, 500),))
    return ShippingTemplate(id=id, store_id=store, name=f"template {id}", charge_by=by, **fields)


def shipping_of(lines, **fields) -> tuple[int, bool]:
    quote = price(lines, context(**fields))
    assert quote.payable_fen == sum(payables(quote).values()) + quote.shipping_fen
    (store,) = quote.stores
    return store.shipping_fen, store.deliverable


def test_shipping_by_piece() -> None:
    # First piece 10.00, each further piece 5.00: 3 pieces cost 20.00.
    lines = [line(1, 100, 2, template=1), line(2, 100, template=1)]
    assert shipping_of(lines, shipping_templates=(template(),)) == (2000, True)


def test_shipping_by_weight_rounds_further_units_up() -> None:
    # 2 x 800 g = 1600 g: first 1000 g 12.00, then ceil(600 / 500) = 2 steps of 3.00.
    weight = template(by="weight", rules=(rule(1000, 1200, 500, 300),))
    lines = [line(1, 100, 2, weight=800, template=1)]
    assert shipping_of(lines, shipping_templates=(weight,)) == (1800, True)


@pytest.mark.parametrize(
    ("province", "fee"), [("新疆", 2000), ("西藏", 2000), ("浙江", 1000), (None, 1000)]
)
def test_the_rule_naming_the_province_applies_else_the_default(province, fee) -> None:
    rules = (rule(1, 2000, 1, 0, "新疆", "西藏"), rule(1, 1000, 1, 0))
    lines = [line(1, 100, template=1)]
    assert shipping_of(lines, shipping_templates=(template(rules=rules),), province=province) == (
        fee,
        True,
    )


def test_shipping_is_free_once_goods_after_every_discount_reach_the_threshold() -> None:
    free_over = (template(free_over_fen=9900),)
    lines = [line(1, 10000, template=1)]
    assert shipping_of(lines, shipping_templates=free_over) == (0, True)
    with_points = {"points": (offer(200, 200),), "shipping_templates": free_over}
    assert shipping_of(lines, **with_points) == (1000, True)


def test_an_unreachable_province_makes_the_store_undeliverable() -> None:
    remote = template(unreachable_provinces=frozenset({"西藏"}), free_over_fen=0)
    lines = [line(1, 1000, template=1)]
    assert shipping_of(lines, shipping_templates=(remote,), province="西藏") == (0, False)
    named_only = template(rules=(rule(1, 1000, 1, 0, "浙江"),))
    assert shipping_of(lines, shipping_templates=(named_only,), province="新疆") == (0, False)
    assert shipping_of(lines, shipping_templates=(named_only,), province="浙江") == (1000, True)


def test_lines_use_the_store_default_template_and_templates_add_up() -> None:
    lines = [line(1, 100, 2), line(2, 100, template=2), line(3, 100, store=2)]
    quote = price(
        lines,
        context(
            shipping_templates=(template(1), template(2, rules=(rule(1, 800, 1, 0),))),
            default_shipping_template={1: 1},
        ),
    )
    # Store 1: template 1 for two pieces (10.00 + 5.00), template 2 for one (8.00); store 2
    # has no template at all and ships free.
    assert [(s.shipping_fen, s.deliverable) for s in quote.stores] == [(2300, True), (0, True)]
    assert quote.shipping_fen == 2300
    assert quote.payable_fen == 400 + 2300


def test_a_line_naming_a_missing_template_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        price([line(1, 100, template=7)], context(shipping_templates=(template(7, store=2),)))
    assert raised.value.code == "unknown_shipping_template"
