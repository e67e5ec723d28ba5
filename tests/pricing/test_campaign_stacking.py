"""Campaign prices and the store's stacking rules: which campaign lines take full reductions
and coupons (``StackingRules.campaigns_without_promotions``; by default not a flash sale)."""

from __future__ import annotations

from tests.pricing.factories import (
    adjustments,
    context,
    coupon,
    line,
    payables,
    promotion_amounts,
    reduction,
    verdicts,
)
from weshop.pricing.inputs import CampaignPrice, StackingRules
from weshop.pricing.quote import price


def campaign(sku_id: int, price_fen: int, kind: str) -> CampaignPrice:
    return CampaignPrice(
        sku_id=sku_id, price_fen=price_fen, kind=kind, source_id=f"{kind}:1", label=kind
    )


def test_a_flash_price_takes_no_coupon_or_full_reduction_by_default() -> None:
    quote = price(
        [line(1, 10000)],
        context(
            channel="flash",
            campaign_prices=(campaign(1, 6000, "flash"),),
            full_reductions=(reduction(1, (5000, 500)),),
            coupons=(coupon(7, off=300),),
        ),
    )
    assert payables(quote) == {1: 6000}
    assert adjustments(quote, 1) == [("campaign_price", "flash:1", -4000)]
    assert promotion_amounts(quote) == {}
    assert verdicts(quote) == {7: (False, False, "not_with_campaign", 0)}


def test_group_and_bargain_prices_take_promotions_by_default() -> None:
    for kind in ("group", "bargain"):
        quote = price(
            [line(1, 10000)],
            context(
                channel=kind,
                campaign_prices=(campaign(1, 6000, kind),),
                full_reductions=(reduction(1, (5000, 500)),),
                coupons=(coupon(7, off=300),),
            ),
        )
        assert payables(quote) == {1: 5200}, kind
        assert verdicts(quote)[7][:3] == (True, True, None)


def test_a_store_may_keep_group_prices_apart_and_let_flash_prices_combine() -> None:
    rules = {1: StackingRules(campaigns_without_promotions=frozenset({"group"}))}
    group = price(
        [line(1, 10000)],
        context(
            campaign_prices=(campaign(1, 6000, "group"),),
            coupons=(coupon(7, off=300),),
            stacking=rules,
        ),
    )
    assert payables(group) == {1: 6000}
    flash = price(
        [line(1, 10000)],
        context(
            campaign_prices=(campaign(1, 6000, "flash"),),
            coupons=(coupon(7, off=300),),
            stacking=rules,
        ),
    )
    assert payables(flash) == {1: 5700}


def test_a_held_back_line_leaves_the_other_lines_their_promotions() -> None:
    # The reduction's threshold counts only the line without a flash price.
    quote = price(
        [line(1, 10000), line(2, 4000)],
        context(
            campaign_prices=(campaign(1, 6000, "flash"),),
            full_reductions=(reduction(1, (5000, 500)),),
            coupons=(coupon(7, off=300),),
        ),
    )
    assert promotion_amounts(quote) == {("coupon", "7"): -300}
    assert payables(quote) == {1: 6000, 2: 3700}
