"""Pricing benchmark: the pure ``price()`` core, then the same checkout through the API.

Pure core: quotes per second and latency of ``weshop.pricing.quote.price`` for two carts in
one run, priced against the same promotions: 50 lines over 3 stores, and the first 5 of
those lines as a baseline. The context holds 20 active promotions (6 full reductions with 3
tiers each, 3 member levels, 11 campaign prices, some exclusive), 10 coupons in the wallet
with no choice made (so the best combination is searched), one store whose full reduction
is exclusive with platform coupons, points, and shipping templates. No database, no HTTP,
no app. The target is a 50-line quote under 2 ms (mean and p99).

Through the API (``bench/pricing_api.py``; skipped with ``--no-api``): the same shape of
data is made through the public REST API of a WeShop server: 3 stores, a 50-line cart, 20
active promotions (7 full reductions with tiers, 3 member levels, 10 coupon templates of the
stores and the platform: campaign prices have no API yet), one coupon of each template in
the shopper's wallet, points, shipping templates, an address. Then, one request at a time
after a warm-up, it measures ``POST /api/v1/me/checkout/quote`` (no coupon chosen: the best
combination is searched) and ``POST /api/v1/me/orders`` (placed with ``coupon_ids: []`` so
the wallet lasts; stock reserved, orders left unpaid) for the 50-line basket and the 5-line
baseline, and ``GET /api/v1/me`` as the floor of a signed-in request: mean, p50 and p99 in
ms as the client sees them, and the 50-line vs 5-line ratios. By default on a server of its
own (``weshop serve`` on a free port over a fresh temporary SQLite file or the given
database, migrated, with an operator made for the run; see ``bench/serving.py``)::

    .venv/bin/python bench/pricing.py [--iterations 3000] [--api-iterations 200] [--orders 100]
    .venv/bin/python bench/pricing.py --self-host postgresql \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/weshop_bench
    .venv/bin/python bench/pricing.py --no-api

Against a server you run yourself (``WESHOP_DEMO_MODE=true``: staff and the shopper sign in
with codes), as for ``bench/checkout.py``::

    .venv/bin/python bench/pricing.py --base-url http://127.0.0.1:8000 \\
        --operator-phone 13900000001 --operator-password weshop-admin

Latency on a shared machine follows its load: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import pricing_api
from serving import BenchError, add_server_arguments

from weshop.pricing.inputs import (
    CampaignPrice,
    CartLine,
    Coupon,
    FullReduction,
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
from weshop.pricing.quote import price

TARGET_US = 2000
NOW = datetime(2025, 6, 18, 20, 0, tzinfo=UTC)
STORES = (101, 102, 103)


def cart(size: int) -> list[CartLine]:
    return [
        CartLine(
            sku_id=1000 + n,
            product_id=500 + n // 2,
            store_id=STORES[n % 3],
            category_id=n % 4,
            title=f"商品 {n}",
            spec_text="颜色: 黑; 尺码: M",
            unit_price_fen=1990 + 731 * n,
            quantity=1 + n % 3,
            weight_grams=250 + 40 * n,
        )
        for n in range(size)
    ]


def context() -> PricingContext:
    window = {"starts_at": NOW - timedelta(days=1), "ends_at": NOW + timedelta(days=6)}
    reductions = []
    for n, store in enumerate(STORES * 2):
        percent = n >= 3
        reductions.append(
            FullReduction(
                id=n + 1,
                store_id=store,
                label=f"满减 {n + 1}",
                tiers=tuple(
                    Tier(threshold_fen=threshold, percent_off=5 + step * 3)
                    if percent
                    else Tier(threshold_fen=threshold, amount_off_fen=1000 * (step + 1) ** 2)
                    for step, threshold in enumerate((10_000, 30_000, 60_000))
                ),
                scope=Scope() if n % 2 else Scope(kind="categories", category_ids={1, 2}),
                priority=n % 2,
                **window,
            )
        )
    members = [
        MemberDiscount(store_id=store, level_id=n, level_name="金卡", pay_percent=92 + n)
        for n, store in enumerate(STORES)
    ]
    campaigns = [
        CampaignPrice(
            sku_id=1000 + n * 4,
            price_fen=1500 + 600 * n,
            kind="flash_sale",
            source_id=f"flash-{n}",
            label="限时秒杀",
            exclusive=n % 3 == 0,
        )
        for n in range(11)
    ]
    valid = {"valid_from": NOW - timedelta(days=3), "valid_until": NOW + timedelta(days=3)}
    coupons = [
        Coupon(id=1, template_id=1, store_id=101, label="满100减10", kind="fixed",
               amount_off_fen=1000, threshold_fen=10_000, **valid),
        Coupon(id=2, template_id=2, store_id=101, label="9折券", kind="percent", percent_off=10,
               cap_fen=3000, threshold_fen=5000, **valid),
        Coupon(id=3, template_id=3, store_id=101, label="无门槛5元", kind="no_threshold",
               amount_off_fen=500, **valid),
        Coupon(id=4, template_id=4, store_id=102, label="满300减40", kind="fixed",
               amount_off_fen=4000, threshold_fen=30_000, **valid),
        Coupon(id=5, template_id=5, store_id=102, label="品类85折", kind="percent",
               percent_off=15, scope=Scope(kind="categories", category_ids={3}), **valid),
        Coupon(id=6, template_id=6, store_id=103, label="满200减25", kind="fixed",
               amount_off_fen=2500, threshold_fen=20_000, **valid),
        Coupon(id=7, template_id=7, store_id=103, label="无门槛3元", kind="no_threshold",
               amount_off_fen=300, **valid),
        Coupon(id=8, template_id=8, store_id=None, label="平台满500减50", kind="fixed",
               amount_off_fen=5000, threshold_fen=50_000, **valid),
        Coupon(id=9, template_id=9, store_id=None, label="平台95折", kind="percent",
               percent_off=5, cap_fen=2000, **valid),
        Coupon(id=10, template_id=10, store_id=104, label="别家店券", kind="fixed",
               amount_off_fen=800, **valid),
    ]  # fmt: skip
    rule = ShippingRule(
        first_units=1000, first_fee_fen=800, additional_units=500, additional_fee_fen=300
    )
    remote = ShippingRule(
        provinces=frozenset({"新疆", "西藏"}),
        first_units=1000,
        first_fee_fen=2000,
        additional_units=500,
        additional_fee_fen=1000,
    )
    return PricingContext(
        now=NOW,
        province="浙江",
        campaign_prices=tuple(campaigns),
        member_discounts=tuple(members),
        full_reductions=tuple(reductions),
        coupons=tuple(coupons),
        stacking={
            102: StackingRules(
                exclusive_pairs=frozenset(
                    {frozenset({StackingGroup.FULL_REDUCTION, StackingGroup.PLATFORM_COUPON})}
                )
            )
        },
        points=(PointsOffer(store_id=101, balance=3000, requested=2000, max_share_percent=20),),
        shipping_templates=tuple(
            ShippingTemplate(
                id=store,
                store_id=store,
                name="快递",
                charge_by="weight",
                rules=(remote, rule),
                free_over_fen=99_900,
            )
            for store in STORES
        ),
        default_shipping_template={store: store for store in STORES},
    )


def measure(lines: list[CartLine], pricing: PricingContext, iterations: int) -> list[float]:
    """Microseconds per quote, one sample per call, after a warm-up."""
    for _ in range(min(200, iterations)):
        price(lines, pricing)
    samples = []
    clock = time.perf_counter_ns
    for _ in range(iterations):
        started = clock()
        price(lines, pricing)
        samples.append((clock() - started) / 1000)
    return samples


def report(label: str, samples: list[float]) -> tuple[float, float]:
    """Prints one line of figures; returns (mean, p99) in µs."""
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    mean = statistics.fmean(samples)
    print(
        f"{label:<40} {1e6 / mean:>7,.0f} quotes/s   mean {mean:>7.1f} µs   "
        f"p50 {p50:>7.1f} µs   p99 {p99:>7.1f} µs"
    )
    return mean, p99


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Pricing benchmark: the pure price() core, then the same checkout "
        "through the API."
    )
    parser.add_argument("--iterations", type=int, default=3000, help="pure-core quotes")
    parser.add_argument("--no-api", action="store_true", help="measure the pure core only")
    parser.add_argument("--api-iterations", type=int, default=200, help="API quotes of each basket")
    parser.add_argument("--orders", type=int, default=100, help="orders placed of each basket")
    parser.add_argument(
        "--warm-up", type=int, default=10, help="unmeasured API requests before each series"
    )
    add_server_arguments(parser, base_url=None)
    args = parser.parse_args(argv)
    if min(args.iterations, args.api_iterations, args.orders, args.server_workers) < 1:
        parser.error("--iterations, --api-iterations, --orders and --server-workers must be >= 1")
    if args.warm_up < 0:
        parser.error("--warm-up cannot be negative")
    if args.base_url and args.self_host:
        parser.error("give --base-url (a server you run) or --self-host, not both")
    if not args.base_url and not args.self_host:
        args.self_host = "sqlite"
    return args


def pure_core(iterations: int) -> None:
    pricing = context()
    big, small = cart(50), cart(5)
    sample = price(big, pricing)
    active = (
        len(pricing.full_reductions) + len(pricing.member_discounts) + len(pricing.campaign_prices)
    )
    print(
        f"50-line quote: {len(sample.promotions)} promotions applied, coupons "
        f"{list(sample.applied_coupon_ids)}, payable {sample.payable_fen} fen; {active} active "
        f"promotions, {len(pricing.coupons)} coupons in the wallet"
    )
    # Latency on a shared machine follows its load: print it next to the figures.
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    # The tail of the latency is mostly the cyclic garbage collector walking every object the
    # imports made. A server freezes those after start-up (gc.freeze()); both are measured.
    for setting in ("default gc", "gc.freeze()"):
        if setting == "gc.freeze()":
            gc.freeze()
        report(f"5-line cart (baseline), {setting}", measure(small, pricing, iterations))
        mean, p99 = report(f"50-line cart, {setting}", measure(big, pricing, iterations))
        verdicts = ", ".join(
            f"{name} {'meets' if value < TARGET_US else 'misses'}"
            for name, value in (("mean", mean), ("p99", p99))
        )
        print(f"  50-line cart vs the {TARGET_US} µs target: {verdicts} ({setting})")


def main(args: argparse.Namespace) -> None:
    print("Pure pricing core (weshop.pricing.quote.price):")
    pure_core(args.iterations)
    if not args.no_api:
        asyncio.run(pricing_api.run(args))


if __name__ == "__main__":
    try:
        main(parse_args())
    except BenchError as exc:
        sys.exit(f"bench: {exc}")
