"""Step 2: tiers, the one best reduction per store, activity windows and apportionment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.pricing.factories import (
    NOW,
    adjustments,
    context,
    line,
    payables,
    products,
    promotion_amounts,
    reduction,
)
from weshop.pricing.inputs import FullReduction, MemberDiscount, Tier
from weshop.pricing.quote import price

TIERS = ((10000, 1000), (20000, 3000), (30000, 5000))


@pytest.mark.parametrize(
    ("eligible", "saving"),
    [(9999, 0), (10000, 1000), (19999, 1000), (20000, 3000), (25000, 3000), (90000, 5000)],
)
def test_the_highest_tier_reached_applies(eligible: int, saving: int) -> None:
    quote = price([line(1, eligible)], context(full_reductions=(reduction(1, *TIERS),)))
    assert quote.discount_fen == saving
    assert promotion_amounts(quote) == ({("full_reduction", "1"): -saving} if saving else {})


def test_a_percent_tier_takes_the_floor_of_the_percentage() -> None:
    # 满折: 10% off 12345 is 1234.5, rounded down to 1234.
    quote = price(
        [line(1, 12345)], context(full_reductions=(reduction(1, (10000, 10), percent=True),))
    )
    assert quote.payable_fen == 12345 - 1234


def test_the_highest_threshold_wins_even_when_a_lower_tier_would_save_more() -> None:
    full = FullReduction(
        id=1,
        store_id=1,
        label="30% off over 100, 10 off over 200",
        tiers=(
            Tier(threshold_fen=10000, percent_off=30),
            Tier(threshold_fen=20000, amount_off_fen=1000),
        ),
    )
    quote = price([line(1, 20000)], context(full_reductions=(full,)))
    assert quote.discount_fen == 1000


def test_an_amount_off_is_capped_at_the_eligible_amount() -> None:
    quote = price([line(1, 300)], context(full_reductions=(reduction(1, (0, 5000)),)))
    assert quote.payable_fen == 0
    assert adjustments(quote, 1) == [("full_reduction", "1", -300)]


def test_the_single_best_reduction_of_a_store_applies() -> None:
    lines = [line(1, 20000)]
    quote = price(
        lines, context(full_reductions=(reduction(1, (10000, 2000)), reduction(2, (15000, 2500))))
    )
    assert promotion_amounts(quote) == {("full_reduction", "2"): -2500}


def test_ties_go_to_the_higher_priority_then_the_lower_id() -> None:
    lines = [line(1, 20000)]
    quote = price(
        lines,
        context(
            full_reductions=(
                reduction(1, (10000, 2000)),
                reduction(2, (10000, 2000), priority=5),
                reduction(3, (10000, 2000), priority=5),
            )
        ),
    )
    assert promotion_amounts(quote) == {("full_reduction", "2"): -2000}


@pytest.mark.parametrize(
    ("starts", "ends", "active"),
    [
        (None, None, True),
        (NOW, None, True),
        (NOW + timedelta(seconds=1), None, False),
        (None, NOW, False),
        (None, NOW + timedelta(seconds=1), True),
    ],
)
def test_only_reductions_active_now_apply(starts, ends, active: bool) -> None:
    full = reduction(1, (0, 100), starts_at=starts, ends_at=ends)
    quote = price([line(1, 1000)], context(full_reductions=(full,)))
    assert quote.discount_fen == (100 if active else 0)


def test_covered_lines_share_the_reduction_by_what_they_cost() -> None:
    lines = [line(1, 3000, product=10), line(2, 1000, product=10), line(3, 5000, product=20)]
    full = reduction(1, (4000, 1000), scope=products(10))
    quote = price(lines, context(full_reductions=(full,)))
    assert payables(quote) == {1: 2250, 2: 750, 3: 5000}
    (promotion,) = quote.promotions
    assert [(a.sku_id, a.amount_fen) for a in promotion.allocations] == [(1, -750), (2, -250)]
    assert promotion.store_id == 1


def test_a_store_reduction_counts_and_touches_only_its_own_store() -> None:
    lines = [line(1, 6000, store=1), line(2, 6000, store=2)]
    quote = price(lines, context(full_reductions=(reduction(1, (10000, 1000), store=1),)))
    assert quote.discount_fen == 0
    quote = price(lines, context(full_reductions=(reduction(1, (5000, 1000), store=1),)))
    assert payables(quote) == {1: 5000, 2: 6000}
    assert [s.discount_fen for s in quote.stores] == [1000, 0]


def test_the_threshold_counts_the_price_after_member_price() -> None:
    member = MemberDiscount(store_id=1, level_id=1, level_name="Gold", pay_percent=90)
    quote = price(
        [line(1, 10000)],
        context(member_discounts=(member,), full_reductions=(reduction(1, (10000, 1000)),)),
    )
    assert adjustments(quote, 1) == [("member_price", "1", -1000)]
