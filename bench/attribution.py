"""Attribution benchmark: click writes/s, and what attribution adds to a checkout.

Over HTTP, against a server of its own (``--self-host``) or one you run. It makes a store
whose ``--shoppers`` products are all in the alliance pool, an approved promoter with a share
link to each, and ``--shoppers`` signed-in shoppers with an address, in two halves:

1. **Clicks**: wrk follows one share link (``GET /r/<code>``) for ``--seconds``, signed in
   by the session cookie of a shopper kept for this (their clicks take turns with their
   checkouts), then again as new visitors without a cookie (each gets a visitor id): each
   request records a click and answers 302. Printed: clicks/s, p50/p99, and the ratio to
   the bare Starlette app on the same uvicorn in the same run (the stack's ceiling; also
   the proof that wrk is not the bottleneck).
2. **Checkout with and without an attributable click**: the first half of the shoppers have
   followed the link of the product they buy (one click each, before the run), the second
   half have not; each half then checks out its own products (one SKU per shopper, no stock
   contention) through ``bench/checkout.lua`` for ``--seconds``. Both halves' lines get a
   decision (``bound`` vs ``no_click``); the ratio of their rates is what attribution with
   a click costs over attribution without one. Then it reads one order of each half's
   attribution back and prints its rule.
3. **Dashboard delay**: ``--dashboard-samples`` attributed orders are paid one at a time in
   the sandbox cashier; printed: the time from the cashier's answer until the promoter's
   dashboard shows the order's commission frozen (median, max).

Commands (quiet machine; WESHOP_REDIS_URL is passed on to the self-hosted server)::

    .venv/bin/python bench/attribution.py --self-host sqlite
    .venv/bin/python bench/attribution.py --self-host postgresql \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/weshop_bench
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time

import httpx
import load
from checkout import Results, Shop, fire_wrk, write_checkouts
from serving import (
    BenchError,
    Headers,
    Target,
    add_server_arguments,
    bare_server,
    expect,
    random_phones,
    sign_in,
    signed_in_shopper,
    target_for,
)


async def prepare(client: httpx.AsyncClient, target: Target, shoppers: int) -> dict:
    operator = await sign_in(client, target.operator.phone, target.operator.password)
    owner_phone, promoter_phone, clicker_phone, *phones = random_phones(shoppers + 3)
    store = expect(
        await client.post(
            "/api/v1/platform/stores",
            json={"name": f"推广压测店 {owner_phone[-4:]}", "owner_phone": owner_phone},
            headers=operator,
        ),
        201,
    )
    owner = await sign_in(client, owner_phone)
    base = f"/api/v1/merchant/stores/{store['id']}"
    products = []
    for number in range(shoppers):
        product = expect(
            await client.post(
                f"{base}/products",
                json={
                    "title": f"推广压测款 {number + 1}",
                    "specs": [],
                    "default_price_fen": 9900,
                    "default_stock": 100_000,
                    "publish": True,
                },
                headers=owner,
            ),
            201,
        )
        listing = expect(
            await client.post(
                f"{base}/affiliate-listings",
                json={"product_id": product["id"], "rate_bps": 1000},
                headers=owner,
            ),
            201,
        )
        expect(
            await client.post(
                f"/api/v1/platform/affiliate-listings/{listing['id']}/approve", headers=operator
            ),
            200,
        )
        products.append(product)
    promoter = await sign_in(client, promoter_phone)
    applied = expect(
        await client.post(
            "/api/v1/me/promoter",
            json={"real_name": "压测推客", "phone": promoter_phone},
            headers=promoter,
        ),
        201,
    )
    expect(
        await client.post(f"/api/v1/platform/promoters/{applied['id']}/approve", headers=operator),
        200,
    )
    links = [
        expect(
            await client.post(
                "/api/v1/me/share-links", json={"product_id": product["id"]}, headers=promoter
            ),
            200,
        )
        for product in products
    ]
    signed_in = list(await asyncio.gather(*(signed_in_shopper(client, p) for p in phones)))
    clicker = await sign_in(client, clicker_phone)
    return {
        "products": products,
        "links": links,
        "shoppers": signed_in,
        "clicker": clicker,
        "promoter": promoter,
        "owner": owner,
        "store_id": store["id"],
    }


def session_cookie(headers: Headers) -> str:
    return "weshop_session=" + headers["Authorization"].removeprefix("Bearer ")


async def click_once(client: httpx.AsyncClient, code: str, shopper: Headers, phone: int) -> None:
    """One shopper's click, from a phone of their own (its user agent): one client sending
    every shopper's clicks would be a click burst, and the fraud rules would hold them."""
    agent = f"Mozilla/5.0 (iPhone; bench {phone}) MicroMessenger/8.0"
    answer = await client.get(
        f"/r/{code}", headers={"Cookie": session_cookie(shopper), "User-Agent": agent}
    )
    if answer.status_code != 302:
        raise BenchError(f"following /r/{code} answered {answer.status_code}")


def half(world: dict, first: bool) -> Shop:
    count = len(world["shoppers"]) // 2
    chosen = slice(0, count) if first else slice(count, 2 * count)
    products = world["products"][chosen]
    return Shop(
        [product["id"] for product in products],
        [product["skus"][0]["id"] for product in products],
        world["shoppers"][chosen],
    )


async def first_rule(client: httpx.AsyncClient, world: dict, shop: Shop) -> str:
    headers, _ = shop.shoppers[0]
    orders = expect(await client.get("/api/v1/me/orders", headers=headers), 200)["items"]
    if not orders:
        return "no order"
    answer = expect(
        await client.get(
            f"/api/v1/merchant/stores/{world['store_id']}/orders/{orders[0]['id']}/attribution",
            headers=world["owner"],
        ),
        200,
    )
    line = answer["lines"][0]
    return line["rule"] or line["reason"]


async def dashboard_delays(client: httpx.AsyncClient, world: dict, samples: int) -> list[float]:
    """Pay ``samples`` attributed orders one at a time in the sandbox cashier; for each, the
    milliseconds from the cashier's answer until the promoter's dashboard shows its commission
    frozen."""
    delays = []
    promoter = world["promoter"]
    dashboard = "/api/v1/me/promoter/dashboard"
    for headers, _ in world["shoppers"][: len(world["shoppers"]) // 2][:samples]:
        listed = expect(await client.get("/api/v1/me/orders", headers=headers), 200)["items"]
        unpaid = [order for order in listed if order["status"] == "pending_payment"]
        if not unpaid:
            continue
        before = expect(await client.get(dashboard, headers=promoter), 200)["today"]["frozen_fen"]
        payment = expect(
            await client.post(f"/api/v1/me/orders/{unpaid[0]['id']}/payments", headers=headers),
            201,
        )
        expect(await client.post(f"{httpx.URL(payment['cashier_url']).path}/confirm"), 200)
        paid_at = time.perf_counter()
        while True:
            figures = expect(await client.get(dashboard, headers=promoter), 200)
            if figures["today"]["frozen_fen"] > before:
                delays.append((time.perf_counter() - paid_at) * 1000)
                break
            if time.perf_counter() - paid_at > 60:
                raise BenchError("a paid order did not show on the dashboard within 60 s")
            await asyncio.sleep(0.01)
    return delays


def rate(results: Results) -> float:
    return results.accepted / results.elapsed_s


async def run(args: argparse.Namespace) -> int:
    if load.WRK is None:
        raise BenchError("this bench needs wrk (apt-get install -y wrk)")
    wrk_load = load.Load(args.threads, args.concurrency, args.seconds, "wrk")
    async with target_for(args) as target:
        async with httpx.AsyncClient(base_url=target.base_url, timeout=120) as client:
            world = await prepare(client, target, args.shoppers)
            clicked, unclicked = half(world, True), half(world, False)
            for phone, ((headers, _), link) in enumerate(
                zip(clicked.shoppers, world["links"], strict=False)
            ):
                await click_once(client, link["code"], headers, phone)
            code = world["links"][0]["code"]
            clicks = await load.run_wrk(
                f"{target.base_url}/r/{code}",
                wrk_load,
                {"Cookie": session_cookie(world["clicker"])},
                None,
                None,
            )
            anonymous = await load.run_wrk(f"{target.base_url}/r/{code}", wrk_load, {}, None, None)
            with tempfile.TemporaryDirectory(prefix="weshop-attribution-") as scratch:
                runs = {}
                for name, shop in (("without a click", unclicked), ("with a click", clicked)):
                    path = os.path.join(scratch, f"{len(runs)}.tsv")
                    write_checkouts(shop, args.orders, path)
                    runs[name] = await fire_wrk(target.base_url, path, args)
                delays = await dashboard_delays(client, world, args.dashboard_samples)
                rules = {
                    name: await first_rule(client, world, shop)
                    for name, shop in (("without a click", unclicked), ("with a click", clicked))
                }
        async with bare_server(target) as (bare_url, _pid, _options):
            bare = await load.run_wrk(f"{bare_url}/", wrk_load, {}, None, None)
    print(f"WeShop attribution benchmark: {target.base_url} ({args.self_host or 'external'})")
    print(f"  load                wrk -t{args.threads} -c{args.concurrency} -d{args.seconds:g}s")
    print(
        f"  bare app            {bare['per_second']:.0f} req/s, p50/p99 "
        f"{bare['p50_ms']:.1f} / {bare['p99_ms']:.1f} ms (the stack's ceiling)"
    )
    for name, figures in (("signed in", clicks), ("new visitors", anonymous)):
        print(
            f"  clicks, {name:<12} {figures['per_second']:.0f} clicks/s, p50/p99 "
            f"{figures['p50_ms']:.1f} / {figures['p99_ms']:.1f} ms, errors "
            f"{figures['errors']}; {figures['per_second'] / bare['per_second']:.3f} of the bare app"
        )
    for name, results in runs.items():
        print(
            f"  checkout {name:<16} {rate(results):.1f} orders/s, p50/p99 "
            f"{results.p50_ms:.1f} / {results.p99_ms:.1f} ms, errors "
            f"{sum(results.errors.values())}, decision: {rules[name]}"
        )
    ratio = rate(runs["with a click"]) / rate(runs["without a click"])
    print(f"  with / without      {ratio:.3f} (orders/s of checkouts with a click over without)")
    if delays:
        print(
            f"  dashboard delay     median {statistics.median(delays):.1f} ms, max "
            f"{max(delays):.1f} ms from the cashier's answer to the promoter's dashboard "
            f"showing its commission frozen ({len(delays)} orders; it reads live rows)"
        )
    failed = (
        clicks["errors"]
        or anonymous["errors"]
        or any(sum(r.errors.values()) for r in runs.values())
    )
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Click writes/s and the checkout cost of attribution, over HTTP.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--shoppers", type=int, default=40, help="shoppers (two halves)")
    parser.add_argument("--orders", type=int, default=6000, help="checkouts prepared per half")
    parser.add_argument("--concurrency", type=int, default=32, help="wrk -c")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--seconds", type=float, default=10, help="wrk -d, per run")
    parser.add_argument(
        "--dashboard-samples", type=int, default=10, help="paid orders timed to the dashboard"
    )
    add_server_arguments(parser)
    args = parser.parse_args(argv)
    args.server_workers = getattr(args, "server_workers", 1)
    return args


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(run(parse_args())))
    except BenchError as error:
        print(f"bench failed: {error}", file=sys.stderr)
        sys.exit(2)
