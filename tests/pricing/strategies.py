"""Hypothesis strategies: random carts of 1-50 lines over 1-3 stores, and random promotions of
every kind — tiers, coupons of each kind and scope, member and campaign prices, points,
shipping templates and stacking rules — including ones that do not apply (other stores,
outside their window), so that every branch of the pricing core gets exercised."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import strategies as st

from tests.pricing.factories import NOW, TOMORROW, YESTERDAY
from weshop.core.money import MAX_LINE_QUANTITY, MAX_UNIT_PRICE_FEN
from weshop.pricing.inputs import (
    CampaignPrice,
    CartLine,
    Coupon,
    FullReduction,
    Funder,
    MemberDiscount,
    PointsOffer,
    PricingContext,
    Scope,
    ShippingRule,
    ShippingTemplate,
    StackingGroup,
    StackingRules,
    Tier,
)

PRODUCTS = list(range(1, 9))
CATEGORIES = [1, 2, 3, 4]
PROVINCES = ["浙江", "新疆", "西藏", "广东"]
OTHER_STORE = 4
GROUP_PAIRS = [
    frozenset({StackingGroup.FULL_REDUCTION, StackingGroup.STORE_COUPON}),
    frozenset({StackingGroup.FULL_REDUCTION, StackingGroup.PLATFORM_COUPON}),
    frozenset({StackingGroup.STORE_COUPON, StackingGroup.PLATFORM_COUPON}),
]

# Mostly everyday figures, so that thresholds are sometimes met and sometimes not; now and
# then the extremes (a free item, the largest price, the largest quantity).
prices = st.one_of(
    st.integers(0, 20_000),
    st.integers(0, 20_000),
    st.sampled_from([0, 1, 99]),
    st.integers(0, MAX_UNIT_PRICE_FEN),
)
quantities = st.one_of(
    st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.just(MAX_LINE_QUANTITY)
)
thresholds = st.one_of(st.integers(0, 200_000), st.just(0), st.integers(0, 10**10))
scopes = st.one_of(
    st.just(Scope()),
    st.just(Scope()),
    st.builds(
        lambda ids: Scope(kind="products", product_ids=frozenset(ids)),
        st.sets(st.sampled_from(PRODUCTS), max_size=4),
    ),
    st.builds(
        lambda ids: Scope(kind="categories", category_ids=frozenset(ids)),
        st.sets(st.sampled_from(CATEGORIES), max_size=3),
    ),
)
reduction_windows = st.sampled_from(
    [(None, None), (YESTERDAY, None), (None, TOMORROW), (TOMORROW, None), (None, NOW)]
)
coupon_windows = st.sampled_from(
    [
        (YESTERDAY, TOMORROW),
        (YESTERDAY, TOMORROW),
        (NOW, TOMORROW),
        (YESTERDAY, NOW),
        (TOMORROW, TOMORROW + timedelta(days=1)),
    ]
)
tiers = st.one_of(
    st.builds(Tier, threshold_fen=thresholds, amount_off_fen=st.integers(1, 20_000)),
    st.builds(Tier, threshold_fen=thresholds, percent_off=st.integers(1, 99)),
)


# Drawing every figure of every rule made examples slow to generate; a few rule shapes, mixed
# and matched, still reach every branch (named provinces, default rule, none for a province).
RULES = [
    ShippingRule(first_units=1, first_fee_fen=1000, additional_units=1, additional_fee_fen=500),
    ShippingRule(first_units=1000, first_fee_fen=800, additional_units=500, additional_fee_fen=300),
    ShippingRule(first_units=3, first_fee_fen=0, additional_units=2, additional_fee_fen=199),
    ShippingRule(
        provinces=frozenset({"新疆", "西藏"}),
        first_units=1,
        first_fee_fen=2000,
        additional_units=1,
        additional_fee_fen=1000,
    ),
    ShippingRule(
        provinces=frozenset({"浙江"}),
        first_units=2,
        first_fee_fen=600,
        additional_units=700,
        additional_fee_fen=1,
    ),
]


# Every strategy is built once, here: building them inside the composite made Hypothesis
# validate fresh strategy objects on each draw, which cost most of the generation time.
template_shapes = st.lists(
    st.tuples(
        st.sampled_from(["piece", "weight"]),
        st.lists(st.sampled_from(RULES), min_size=1, max_size=3),
        st.sampled_from([None, 0, 5_000, 30_000, 100_000]),
        st.sampled_from([(), ("西藏",)]),
    ),
    max_size=2,
)
store_sets = st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=3, unique=True)
# (store position, product, category or 0 for none, unit price, quantity, grams, template pick)
line_shapes = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.integers(1, len(PRODUCTS)),
        st.integers(0, len(CATEGORIES)),
        prices,
        quantities,
        st.integers(0, 3000),
        st.integers(0, 2),
    ),
    min_size=1,
    max_size=50,
)
# A store position, or one past the last: a store without lines in the cart.
store_picks = st.integers(0, 3)
campaign_shapes = st.lists(
    st.tuples(st.integers(0, 49), st.integers(0, 60_000), st.booleans()), max_size=10
)
member_shapes = st.lists(st.tuples(store_picks, st.integers(1, 100), scopes), max_size=3)
reduction_shapes = st.lists(
    st.tuples(
        store_picks,
        st.lists(tiers, min_size=1, max_size=3),
        scopes,
        reduction_windows,
        st.integers(0, 2),
    ),
    max_size=5,
)
coupon_shapes = st.lists(
    st.tuples(
        st.one_of(st.none(), store_picks),
        st.sampled_from(["fixed", "percent", "no_threshold"]),
        st.integers(0, 20_000),
        st.integers(0, 99),
        st.one_of(st.none(), st.integers(1, 5_000)),
        thresholds,
        scopes,
        coupon_windows,
        st.sampled_from(list(Funder)),
    ),
    max_size=8,
)
points_shapes = st.lists(
    st.tuples(
        store_picks,
        st.integers(0, 5_000),
        st.integers(0, 5_000),
        st.integers(1, 10),
        st.integers(0, 100),
    ),
    max_size=3,
)
stacking_shapes = st.lists(st.sets(st.sampled_from(GROUP_PAIRS)), min_size=3, max_size=3)
provinces = st.one_of(st.none(), st.sampled_from(PROVINCES))
default_picks = st.lists(st.booleans(), min_size=3, max_size=3)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[CartLine], PricingContext]:
    stores = draw(store_sets)
    templates = {
        store: [
            ShippingTemplate(
                id=store * 10 + index,
                store_id=store,
                name="t",
                charge_by=charge_by,
                rules=tuple(rules),
                free_over_fen=free_over,
                unreachable_provinces=frozenset(unreachable),
            )
            for index, (charge_by, rules, free_over, unreachable) in enumerate(
                draw(template_shapes)
            )
        ]
        for store in stores
    }
    lines = []
    for sku_id, (at, product, category, unit, quantity, grams, pick) in enumerate(
        draw(line_shapes), start=1
    ):
        store = stores[at % len(stores)]
        own = templates[store]
        lines.append(
            CartLine(
                sku_id=sku_id,
                product_id=product,
                store_id=store,
                category_id=category or None,
                title=f"sku {sku_id}",
                unit_price_fen=unit,
                quantity=quantity,
                weight_grams=grams,
                shipping_template_id=own[pick].id if pick < len(own) else None,
            )
        )

    def store_of(pick: int) -> int:
        return stores[pick] if pick < len(stores) else OTHER_STORE

    campaigns = {
        at % len(lines) + 1: CampaignPrice(
            sku_id=at % len(lines) + 1,
            price_fen=price_fen,
            kind="flash",
            source_id=f"c{at}",
            label="flash",
            exclusive=exclusive,
        )
        for at, price_fen, exclusive in draw(campaign_shapes)
    }
    members = [
        MemberDiscount(
            store_id=store_of(pick),
            level_id=pick,
            level_name="member",
            pay_percent=pay,
            scope=scope,
        )
        for pick, pay, scope in draw(member_shapes)
    ]
    reductions = [
        FullReduction(
            id=reduction_id,
            store_id=store_of(pick),
            label=f"r{reduction_id}",
            tiers=tuple(reduction_tiers),
            scope=scope,
            starts_at=window[0],
            ends_at=window[1],
            priority=priority,
        )
        for reduction_id, (pick, reduction_tiers, scope, window, priority) in enumerate(
            draw(reduction_shapes), start=1
        )
    ]
    coupons = [
        Coupon(
            id=coupon_id,
            template_id=coupon_id,
            store_id=None if pick is None else store_of(pick),
            label=f"k{coupon_id}",
            kind=kind,
            amount_off_fen=amount,
            percent_off=percent,
            cap_fen=cap,
            threshold_fen=threshold,
            scope=scope,
            valid_from=window[0],
            valid_until=window[1],
            funded_by=funded_by,
        )
        for coupon_id, (
            pick,
            kind,
            amount,
            percent,
            cap,
            threshold,
            scope,
            window,
            funded_by,
        ) in enumerate(draw(coupon_shapes), start=1)
    ]
    points = [
        PointsOffer(
            store_id=store_of(pick),
            balance=balance,
            requested=requested,
            fen_per_point=fen_per_point,
            max_share_percent=share,
        )
        for pick, balance, requested, fen_per_point, share in draw(points_shapes)
    ]
    stacking = draw(stacking_shapes)
    with_default = draw(default_picks)
    context = PricingContext(
        now=NOW,
        province=draw(provinces),
        campaign_prices=tuple(campaigns.values()),
        member_discounts=tuple(members),
        full_reductions=tuple(reductions),
        coupons=tuple(coupons),
        stacking={
            store: StackingRules(exclusive_pairs=frozenset(pairs))
            for store, pairs in zip(stores, stacking, strict=False)
        },
        points=tuple(points),
        shipping_templates=tuple(t for own in templates.values() for t in own),
        default_shipping_template={
            store: own[0].id
            for (store, own), wanted in zip(templates.items(), with_default, strict=False)
            if own and wanted
        },
    )
    return lines, context
