"""Step 3: coupon amounts, thresholds, verdicts, stacking rules and the best combination."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.pricing.factories import (
    NOW,
    TOMORROW,
    adjustments,
    context,
    coupon,
    line,
    payables,
    products,
    promotion_amounts,
    reduction,
    verdicts,
)
from weshop.core.errors import InvalidInput
from weshop.pricing.inputs import CampaignPrice, Funder, StackingGroup, StackingRules
from weshop.pricing.quote import price

FR = StackingGroup.FULL_REDUCTION
SC = StackingGroup.STORE_COUPON
PC = StackingGroup.PLATFORM_COUPON


def exclusive(a: StackingGroup, b: StackingGroup) -> StackingRules:
    return StackingRules(exclusive_pairs=frozenset({frozenset({a, b})}))


@pytest.mark.parametrize(
    ("wallet_coupon", "saving"),
    [
        (coupon(1, off=1000, threshold=10000), 1000),
        (coupon(1, kind="percent", percent=15), 1851),  # 15% of 12345 = 1851.75
        (coupon(1, kind="percent", percent=15, cap=1000), 1000),
        (coupon(1, kind="no_threshold", off=500, threshold=99999), 500),
        (coupon(1, off=99999), 12345),
    ],
)
def test_what_one_coupon_saves(wallet_coupon, saving: int) -> None:
    quote = price([line(1, 12345)], context(coupons=(wallet_coupon,)))
    assert quote.payable_fen == 12345 - saving
    assert verdicts(quote) == {1: (True, True, None, saving)}
    assert quote.applied_coupon_ids == (1,)
    assert promotion_amounts(quote) == {("coupon", "1"): -saving}


def test_the_threshold_counts_the_payable_after_full_reduction() -> None:
    lines = [line(1, 10000)]
    full = reduction(1, (0, 1000))
    quote = price(
        lines,
        context(
            full_reductions=(full,),
            coupons=(coupon(1, off=500, threshold=10000), coupon(2, off=300, threshold=9000)),
        ),
    )
    assert verdicts(quote) == {
        1: (False, False, "threshold_not_met", 0),
        2: (True, True, None, 300),
    }
    assert adjustments(quote, 1) == [("full_reduction", "1", -1000), ("coupon", "2", -300)]


def test_every_wallet_coupon_gets_a_verdict_with_its_reason() -> None:
    lines = [line(1, 10000, store=1, product=10), line(2, 5000, store=2, product=20)]
    wallet = (
        coupon(1, valid_until=NOW),
        coupon(2, valid_from=NOW + timedelta(seconds=1)),
        coupon(3, store=3),
        coupon(4, scope=products(20)),
        coupon(5, off=100, threshold=10001),
        coupon(6, off=800, threshold=10000, valid_from=NOW),
        coupon(7, off=500),
        coupon(8, store=None, off=300),
    )
    quote = price(lines, context(coupons=wallet, stacking={1: exclusive(SC, PC)}))
    assert verdicts(quote) == {
        1: (False, False, "expired", 0),
        2: (False, False, "not_yet_valid", 0),
        3: (False, False, "other_store", 0),
        4: (False, False, "wrong_scope", 0),
        5: (False, False, "threshold_not_met", 0),
        6: (True, True, None, 800),
        7: (True, False, "better_combination_chosen", 500),
        8: (True, False, "not_combinable", 300),
    }
    assert [v.coupon_id for v in quote.coupons] == [c.id for c in wallet]
    assert quote.payable_fen == 15000 - 800


def test_the_best_combination_of_store_and_platform_coupons_is_picked() -> None:
    lines = [line(1, 10000, store=1), line(2, 5000, store=2)]
    wallet = (
        coupon(1, off=500),
        coupon(2, off=800),
        coupon(3, store=2, off=200),
        coupon(4, store=None, off=1000, threshold=15000),
        coupon(5, store=None, kind="percent", percent=10),
    )
    quote = price(lines, context(coupons=wallet))
    # Coupon 5 takes 10% of what is left after the store coupons: 9200 + 4800.
    assert promotion_amounts(quote) == {
        ("coupon", "2"): -800,
        ("coupon", "3"): -200,
        ("coupon", "5"): -1400,
    }
    assert quote.applied_coupon_ids == (2, 3, 5)
    assert verdicts(quote)[4] == (True, False, "better_combination_chosen", 1000)
    assert verdicts(quote)[5] == (True, True, None, 1500)


def test_a_platform_coupon_threshold_is_measured_before_store_coupons() -> None:
    wallet = (
        coupon(1, kind="no_threshold", off=2000),
        coupon(2, store=None, kind="percent", percent=10, threshold=10000),
    )
    quote = price([line(1, 10000)], context(coupons=wallet))
    assert adjustments(quote, 1) == [("coupon", "1", -2000), ("coupon", "2", -800)]


def test_a_platform_coupon_is_shared_across_stores_and_platform_funded() -> None:
    lines = [line(1, 10000, 2, store=1), line(2, 5000, store=2)]
    wallet = (coupon(9, store=None, off=1000, threshold=20000, funded_by=Funder.MERCHANT),)
    quote = price(lines, context(full_reductions=(reduction(1, (20000, 2000)),), coupons=wallet))
    # After the reduction: 18000 + 5000; 1000 split 18/23 and 5/23 = 782.6 and 217.4.
    (_, platform) = quote.promotions
    assert (platform.store_id, platform.funded_by) == (None, Funder.PLATFORM)
    assert [(a.sku_id, a.amount_fen) for a in platform.allocations] == [(1, -783), (2, -217)]
    assert payables(quote) == {1: 17217, 2: 4783}
    assert [s.payable_fen for s in quote.stores] == [17217, 4783]


def test_a_store_coupon_keeps_the_funder_it_names() -> None:
    wallet = (coupon(1, off=100, funded_by=Funder.PLATFORM),)
    quote = price([line(1, 1000)], context(coupons=wallet))
    assert quote.promotions[0].funded_by == Funder.PLATFORM


def test_exclusive_full_reduction_and_store_coupon_keep_the_better_one() -> None:
    lines = [line(1, 10000)]
    rules = {1: exclusive(FR, SC)}
    small_reduction = context(
        full_reductions=(reduction(1, (0, 1000)),), coupons=(coupon(1, off=1500),), stacking=rules
    )
    quote = price(lines, small_reduction)
    assert promotion_amounts(quote) == {("coupon", "1"): -1500}
    big_reduction = small_reduction.model_copy(
        update={"full_reductions": (reduction(1, (0, 2000)),)}
    )
    quote = price(lines, big_reduction)
    assert promotion_amounts(quote) == {("full_reduction", "1"): -2000}
    assert verdicts(quote) == {1: (True, False, "not_combinable", 1500)}


def test_a_reduction_exclusive_with_platform_coupons_yields_only_where_it_is_covered() -> None:
    lines = [line(1, 10000, store=1), line(2, 10000, store=2)]
    full = reduction(1, (0, 1000), store=1)
    everywhere = coupon(5, store=None, off=1500)
    rules = {1: exclusive(FR, PC)}
    quote = price(lines, context(full_reductions=(full,), coupons=(everywhere,), stacking=rules))
    assert promotion_amounts(quote) == {("coupon", "5"): -1500}
    assert payables(quote) == {1: 9250, 2: 9250}
    store_two_only = coupon(5, store=None, off=1500, scope=products(2))
    quote = price(
        lines, context(full_reductions=(full,), coupons=(store_two_only,), stacking=rules)
    )
    assert promotion_amounts(quote) == {("full_reduction", "1"): -1000, ("coupon", "5"): -1500}


def test_a_coupon_that_would_save_nothing_is_kept_for_later() -> None:
    free = CampaignPrice(sku_id=1, price_fen=0, kind="gift", source_id="g", label="Gift")
    lines = [line(1, 1000, product=10), line(2, 1000, product=20)]
    wallet = (coupon(1, kind="no_threshold", off=500, scope=products(10)),)
    quote = price(lines, context(campaign_prices=(free,), coupons=wallet))
    assert verdicts(quote) == {1: (True, False, "better_combination_chosen", 0)}
    assert quote.applied_coupon_ids == ()


def test_of_equal_coupons_the_one_expiring_first_is_used() -> None:
    wallet = (coupon(1, off=500, valid_until=TOMORROW + timedelta(days=1)), coupon(2, off=500))
    quote = price([line(1, 1000)], context(coupons=wallet))
    assert quote.applied_coupon_ids == (2,)


def test_a_chosen_coupon_is_used_even_if_another_would_save_more() -> None:
    wallet = (coupon(1, off=500), coupon(2, off=800))
    quote = price([line(1, 10000)], context(coupons=wallet, chosen_coupon_ids=frozenset({1})))
    assert quote.applied_coupon_ids == (1,)
    assert verdicts(quote)[2] == (True, False, "better_combination_chosen", 800)
    quote = price([line(1, 10000)], context(coupons=wallet, chosen_coupon_ids=frozenset()))
    assert quote.applied_coupon_ids == ()
    assert quote.payable_fen == 10000


def test_a_chosen_coupon_wins_over_a_reduction_it_excludes() -> None:
    quote = price(
        [line(1, 10000)],
        context(
            full_reductions=(reduction(1, (0, 2000)),),
            coupons=(coupon(1, off=1500),),
            stacking={1: exclusive(FR, SC)},
            chosen_coupon_ids=frozenset({1}),
        ),
    )
    assert promotion_amounts(quote) == {("coupon", "1"): -1500}


@pytest.mark.parametrize(
    ("chosen", "stacking", "problems"),
    [
        ({99}, {}, [(99, "not_in_wallet")]),
        ({1, 4}, {}, [(4, "expired")]),
        ({5}, {}, [(5, "threshold_not_met")]),
        ({1, 2}, {}, [(1, "not_combinable"), (2, "not_combinable")]),
        ({3, 6}, {}, [(3, "not_combinable"), (6, "not_combinable")]),
        ({1, 3}, {1: exclusive(SC, PC)}, [(1, "not_combinable"), (3, "not_combinable")]),
    ],
)
def test_chosen_coupons_that_cannot_be_used_are_refused(chosen, stacking, problems) -> None:
    wallet = (
        coupon(1, off=100),
        coupon(2, off=200),
        coupon(3, store=None, off=300),
        coupon(4, valid_until=NOW),
        coupon(5, threshold=20000),
        coupon(6, store=None, off=400),
    )
    with pytest.raises(InvalidInput) as raised:
        price(
            [line(1, 10000)],
            context(coupons=wallet, chosen_coupon_ids=frozenset(chosen), stacking=stacking),
        )
    assert raised.value.code == "coupon_not_usable"
    assert raised.value.details == [
        {"coupon_id": coupon_id, "reason": reason} for coupon_id, reason in problems
    ]


def test_chosen_coupons_of_different_stores_combine() -> None:
    lines = [line(1, 10000, store=1), line(2, 10000, store=2)]
    wallet = (coupon(1, off=100), coupon(2, store=2, off=200), coupon(3, store=None, off=300))
    quote = price(lines, context(coupons=wallet, chosen_coupon_ids=frozenset({1, 2, 3})))
    assert quote.applied_coupon_ids == (1, 2, 3)
    assert quote.discount_fen == 600


def test_the_search_stays_bounded_with_a_crowded_wallet() -> None:
    # 3 stores with 30 coupons each: 31^3 combinations with the platform coupon, beyond the
    # exhaustive limit.
    lines = [line(store, 100000, store=store) for store in (1, 2, 3)]
    wallet = (
        *(
            coupon(store * 100 + n, store=store, off=n * 10)
            for store in (1, 2, 3)
            for n in range(1, 31)
        ),
        coupon(999, store=None, off=50),
    )
    quote = price(lines, context(coupons=wallet))
    assert quote.applied_coupon_ids == (130, 230, 330, 999)
    assert quote.discount_fen == 3 * 300 + 50
