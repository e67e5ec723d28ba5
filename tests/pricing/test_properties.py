"""Properties of ``price`` over random carts and random promotion sets.

Generating a scenario costs far more than pricing it, so each test checks several properties
of the same scenarios; each property is one named ``check_`` function.
"""

from __future__ import annotations

from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.pricing.strategies import OTHER_STORE, scenarios
from weshop.core.errors import InvalidInput
from weshop.pricing import coupon_search
from weshop.pricing.inputs import CartLine, PricingContext, Scope
from weshop.pricing.quote import Quote, price

PROPERTY = settings(max_examples=200, deadline=None)
STEP_ORDER = ["member_price", "campaign_price", "full_reduction", "coupon", "points"]
Scenario = tuple[list[CartLine], PricingContext]
# A store no generated promotion names (they name the cart's stores or OTHER_STORE).
STRAY_STORE = OTHER_STORE + 1


def with_choice(context: PricingContext, chosen: frozenset[int] | None = None) -> PricingContext:
    return context.model_copy(update={"chosen_coupon_ids": chosen})


def promotion_saving(quote: Quote) -> int:
    """What full reductions and coupons (steps 2 and 3) saved: what the coupon choice decides."""
    return -sum(p.amount_fen for p in quote.promotions if p.kind != "points")


def check_every_fen_is_accounted_for(quote: Quote) -> None:
    goods = sum(line.payable_fen for line in quote.lines)
    assert goods == quote.payable_fen - quote.shipping_fen
    assert quote.subtotal_fen - quote.discount_fen == goods
    assert quote.payable_fen == sum(store.payable_fen for store in quote.stores)
    for store in quote.stores:
        own = [line.payable_fen for line in quote.lines if line.store_id == store.store_id]
        assert store.subtotal_fen - store.discount_fen == sum(own)
        assert store.shipping_fen >= 0 and store.discount_fen >= 0
        assert store.deliverable or store.shipping_fen == 0
        snapshot = quote.for_store(store.store_id)
        assert (snapshot.payable_fen, snapshot.discount_fen) == (
            store.payable_fen,
            store.discount_fen,
        )
    assert sum(quote.for_store(s.store_id).points_value_fen for s in quote.stores) == (
        quote.points_value_fen
    )


def check_no_discount_exceeds_its_base(quote: Quote, context: PricingContext) -> None:
    for line in quote.lines:
        assert 0 <= line.unit_price_fen <= line.list_unit_price_fen
        steps = [STEP_ORDER.index(a.kind) for a in line.adjustments]
        assert steps == sorted(steps)
        running = line.subtotal_fen
        for adjustment in line.adjustments:
            assert adjustment.amount_fen <= 0
            running += adjustment.amount_fen
            assert running >= 0
        assert running == line.payable_fen
        item = [a.amount_fen for a in line.adjustments if a.kind.endswith("_price")]
        assert line.unit_price_fen * line.quantity == line.subtotal_fen + sum(item)
    wallet = {coupon.id: coupon for coupon in context.coupons}
    for promotion in quote.promotions:
        if promotion.kind != "coupon":
            continue
        face = wallet[int(promotion.source_id)]
        if face.kind != "percent":
            assert -promotion.amount_fen <= face.amount_off_fen
        elif face.cap_fen is not None:
            assert -promotion.amount_fen <= face.cap_fen


def check_allocations_match_the_lines(quote: Quote) -> None:
    taken = {
        (line.sku_id, a.kind, a.source_id): a.amount_fen
        for line in quote.lines
        for a in line.adjustments
    }
    for promotion in quote.promotions:
        assert sum(a.amount_fen for a in promotion.allocations) == promotion.amount_fen
        for allocation in promotion.allocations:
            key = (allocation.sku_id, promotion.kind, promotion.source_id)
            assert taken.pop(key, 0) == allocation.amount_fen
    assert all(kind.endswith("_price") for _, kind, _ in taken)


@PROPERTY
@given(scenarios())
def test_quotes_add_up_never_overdiscount_and_repeat(scenario: Scenario) -> None:
    lines, context = scenario
    context = with_choice(context)
    quote = price(lines, context)
    check_every_fen_is_accounted_for(quote)
    check_no_discount_exceeds_its_base(quote, context)
    check_allocations_match_the_lines(quote)
    assert price(list(lines), context) == quote


@PROPERTY
@given(scenarios())
def test_removing_a_line_no_promotion_covers_raises_no_other_line(scenario: Scenario) -> None:
    lines, context = scenario
    stray = CartLine(
        sku_id=10_000, product_id=999, store_id=STRAY_STORE, title="stray", unit_price_fen=500,
        quantity=2,
    )  # fmt: skip
    # Platform coupons covering every line would cover it too: narrow them to categories,
    # which a line without a category never falls into.
    narrowed = tuple(
        c.model_copy(update={"scope": Scope(kind="categories", category_ids=frozenset({1, 2}))})
        if c.store_id is None and c.scope.kind == "all"
        else c
        for c in context.coupons
    )
    context = with_choice(context).model_copy(update={"coupons": narrowed})
    with_stray = {line.sku_id: line.payable_fen for line in price([*lines, stray], context).lines}
    for line in price(lines, context).lines:
        assert line.payable_fen <= with_stray[line.sku_id]


def check_the_auto_choice_beats_single_coupons(lines: list[CartLine], context: PricingContext):
    best = price(lines, with_choice(context))
    none = price(lines, with_choice(context, frozenset()))
    assert promotion_saving(best) >= promotion_saving(none)
    for verdict in best.coupons:
        if verdict.usable:
            single = price(lines, with_choice(context, frozenset({verdict.coupon_id})))
            assert promotion_saving(best) >= promotion_saving(single)
    return best


def check_unusable_coupons_are_refused(lines: list[CartLine], context: PricingContext) -> None:
    for verdict in price(lines, with_choice(context)).coupons:
        if verdict.usable:
            continue
        with pytest.raises(InvalidInput) as raised:
            price(lines, with_choice(context, frozenset({verdict.coupon_id})))
        assert raised.value.code == "coupon_not_usable"
        assert raised.value.details == [{"coupon_id": verdict.coupon_id, "reason": verdict.reason}]


@PROPERTY
@given(scenarios())
def test_the_coupon_choice_is_sound(scenario: Scenario) -> None:
    lines, context = scenario
    best = check_the_auto_choice_beats_single_coupons(lines, context)
    # The bounded search for crowded wallets keeps the same promise and never beats the
    # exhaustive one.
    with patch.object(coupon_search, "SEARCH_LIMIT", 0):
        bounded = check_the_auto_choice_beats_single_coupons(lines, context)
    assert promotion_saving(best) >= promotion_saving(bounded)
    # Confirming the suggested coupons as the shopper's own choice prices the same.
    chosen = price(lines, with_choice(context, frozenset(best.applied_coupon_ids)))
    assert (chosen.lines, chosen.promotions, chosen.stores) == (
        best.lines,
        best.promotions,
        best.stores,
    )
    check_unusable_coupons_are_refused(lines, context)


@PROPERTY
@given(scenarios(), st.data())
def test_a_store_picked_up_ships_free_and_changes_nothing_else(
    scenario: Scenario, data: st.DataObject
) -> None:
    lines, context = scenario
    context = with_choice(context)
    stores = sorted({line.store_id for line in lines})
    picked = frozenset(data.draw(st.sets(st.sampled_from(stores))))
    shipped = price(lines, context)
    quote = price(lines, context.model_copy(update={"pickup_store_ids": picked}))
    check_every_fen_is_accounted_for(quote)
    assert quote.lines == shipped.lines and quote.promotions == shipped.promotions
    for before, after in zip(shipped.stores, quote.stores, strict=True):
        if after.store_id in picked:
            assert (after.delivery, after.shipping_fen, after.deliverable) == ("pickup", 0, True)
            assert after.payable_fen == before.payable_fen - before.shipping_fen
        else:
            assert after == before
    assert quote.shipping_fen == sum(
        s.shipping_fen for s in shipped.stores if s.store_id not in picked
    )
