"""The API part of ``bench/pricing.py``: the same checkout's latency through the REST API.

Everything is made through the public API of a running server (see ``serving``): 3 stores,
each with 4 categories and a weight-charged shipping template (remote provinces dearer,
free over 999 yuan); one single-SKU product per cart line (line n: store n % 3, category
n % 4, 19.90 + 7.31·n yuan, 1 + n % 3 pieces, 250 + 40·n g) and one product outside the
cart. One shopper with an address in 浙江省 is made a member of each store by a completed
first order (paid in the sandbox cashier, shipped, receipt confirmed) and granted 3000
points at the first store. Then 20 active promotions: 7 full reductions with 3 tiers each
(amount or percent, every other one on two categories only), 3 member levels (one per
store, paying 92-94%) and 10 coupon templates (8 of the stores, one of them for the product
outside the cart; 2 of the platform), one coupon of each claimed into the shopper's wallet;
the second store's full reduction is exclusive with platform coupons.

Measured one request at a time, after a warm-up, for the 50-line basket and for its first
5 lines (which span the 3 stores) as the baseline:

- ``POST /api/v1/me/checkout/quote`` with no coupon chosen (the best combination of the
  wallet is searched) and 2000 points asked for at the first store;
- ``POST /api/v1/me/orders``: one order placed per store, with ``coupon_ids: []`` so that
  the wallet is not used up, no points, stock reserved for every line (the orders stay
  unpaid).

``GET /api/v1/me`` is timed too, as the floor of a signed-in request. Latency is measured by
the client, so it includes HTTP on the loopback and httpx.

Under load (``python bench/pricing_api.py``: this file run on its own): after the same data
is built, wrk (``bench/post.lua`` sends the JSON body and the shopper's Authorization
header; without wrk, client processes of our own) drives, one after the other: the bare app
(same uvicorn call as ``weshop serve``), ``GET /api/v1/me`` (an API read),
``POST /api/v1/me/checkout/quote`` with the 5-line basket and with the 50-line one, then the
bare app again; the table has req/s, ratio to bare, p50/p99, server CPU ms per request and
SQL per request (PostgreSQL with pg_stat_statements)::

    .venv/bin/python bench/pricing_api.py --self-host sqlite
    .venv/bin/python bench/pricing_api.py --self-host postgresql \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/weshop_bench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import load
from serving import (
    BENCH_DIR,
    BenchError,
    Headers,
    Operator,
    Target,
    add_load_server_arguments,
    add_server_arguments,
    bare_server,
    expect,
    random_phones,
    server_for,
    sign_in,
    signed_in_shopper,
    target_for,
)

LINES = 50
BASELINE = 5
STOCK = 1_000_000
CATEGORIES = 4
REDUCTIONS = 7
POINTS_GRANTED = 3000
POINTS_ASKED = 2000
TIERS = (10_000, 30_000, 60_000)
REMOTE = ["新疆维吾尔自治区", "西藏自治区"]

Figures = tuple[float, float, float]  # mean, p50, p99 in ms


@dataclass
class Store:
    id: int
    owner: Headers
    categories: list[int]

    def url(self, path: str) -> str:
        return f"/api/v1/merchant/stores/{self.id}{path}"


@dataclass
class Shop:
    """What the measurements need: the shopper, their address and the basket."""

    shopper: Headers
    address_id: int
    lines: list[tuple[int, int]]  # (SKU id, quantity), one per cart line
    points_store_id: int
    promotions: int
    coupons: int


async def call(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    headers: Headers,
    body: dict[str, Any] | None = None,
    *,
    status: int = 201,
    key: bool = False,
) -> Any:
    """One request; ``key`` sends an Idempotency-Key of its own. The answer's JSON."""
    if key:
        headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
    return expect(await client.request(method, path, json=body, headers=headers), status)


def shipping_rule(first_fee: int, additional_fee: int, provinces: list[str]) -> dict[str, Any]:
    return {
        "provinces": provinces,
        "first_units": 1000,
        "first_fee_fen": first_fee,
        "additional_units": 500,
        "additional_fee_fen": additional_fee,
    }


async def open_stores(client: httpx.AsyncClient, operator: Headers) -> list[Store]:
    stores = []
    for n, phone in enumerate(random_phones(3)):
        name = f"计价压测店 {n + 1} {phone[-4:]}"
        opened = await call(
            client,
            "POST",
            "/api/v1/platform/stores",
            operator,
            {"name": name, "owner_phone": phone},
        )
        store = Store(opened["id"], await sign_in(client, phone), [])
        for c in range(CATEGORIES):
            body = {"name": f"分类 {c}"}
            category = await call(client, "POST", store.url("/categories"), store.owner, body)
            store.categories.append(category["id"])
        template = {
            "name": "快递",
            "charge_by": "weight",
            "rules": [shipping_rule(2000, 1000, REMOTE), shipping_rule(800, 300, [])],
            "free_over_fen": 99_900,
        }
        await call(client, "POST", store.url("/shipping-templates"), store.owner, template)
        stores.append(store)
    return stores


async def add_product(client: httpx.AsyncClient, store: Store, n: int) -> tuple[int, int]:
    """Product n, in category n % 4 of the store, with one SKU: (product id, SKU id)."""
    spec = {"颜色": "黑", "尺码": "M"}
    body = {
        "title": f"商品 {n}",
        "category_id": store.categories[n % CATEGORIES],
        "specs": [{"name": name, "values": [value]} for name, value in spec.items()],
        "default_price_fen": 1990 + 731 * n,
        "default_stock": STOCK,
        "skus": [{"spec_values": spec, "weight_grams": 250 + 40 * n}],
        "publish": True,
    }
    product = await call(client, "POST", store.url("/products"), store.owner, body)
    return product["id"], product["skus"][0]["id"]


async def add_levels(client: httpx.AsyncClient, stores: list[Store]) -> int:
    """One level per store from growth 0, so that a member has it at once: 92-94%."""
    for n, store in enumerate(stores):
        body = {"name": "金卡", "growth_threshold": 0, "pay_percent": 92 + n}
        await call(client, "POST", store.url("/member-levels"), store.owner, body)
    return len(stores)


async def become_member(
    client: httpx.AsyncClient,
    stores: list[Store],
    shopper: Headers,
    address_id: int,
    skus: list[int],
) -> None:
    """A first order at every store, paid, shipped and received: the shopper is a member."""
    items = [{"sku_id": sku, "quantity": 1} for sku in skus]
    body = {"address_id": address_id, "items": items, "coupon_ids": []}
    placed = await call(client, "POST", "/api/v1/me/orders", shopper, body, key=True)
    by_id = {store.id: store for store in stores}
    for order in placed["orders"]:
        mine = f"/api/v1/me/orders/{order['id']}"
        payment = await call(client, "POST", f"{mine}/payments", shopper, key=True)
        cashier = httpx.URL(payment["cashier_url"]).path
        await call(client, "POST", f"{cashier}/confirm", {}, status=200)
        paid = await call(client, "GET", mine, shopper, status=200)
        if paid["status"] != "paid":
            raise BenchError(f"order {order['id']} is {paid['status']} after the sandbox paid it")
        store = by_id[order["store_id"]]
        package = {"carrier": "顺丰", "tracking_no": f"SF{order['id']:08d}"}
        path = store.url(f"/orders/{order['id']}/shipments")
        await call(client, "POST", path, store.owner, {"packages": [package]}, status=200)
        await call(client, "POST", f"{mine}/confirm-receipt", shopper, status=200)


async def grant_points(
    client: httpx.AsyncClient, store: Store, shopper: Headers, points: int
) -> None:
    user_id = (await call(client, "GET", "/api/v1/me", shopper, status=200))["id"]
    path = store.url(f"/members/{user_id}/points-adjustments")
    body = {"delta": points, "reason": "压测赠送"}
    await call(client, "POST", path, store.owner, body, key=True)


async def add_reductions(client: httpx.AsyncClient, stores: list[Store]) -> int:
    """Full reductions with 3 tiers: amount (10/40/90 yuan off) or percent (5/8/11%), every
    other one on categories 1 and 2 only; the second store's are exclusive with platform
    coupons."""
    ends_at = (datetime.now(UTC) + timedelta(days=6)).isoformat()
    for n in range(REDUCTIONS):
        store = stores[n % len(stores)]
        percent = n >= 3
        tiers = [
            {"threshold_fen": threshold, "percent_off": 5 + step * 3}
            if percent
            else {"threshold_fen": threshold, "amount_off_fen": 1000 * (step + 1) ** 2}
            for step, threshold in enumerate(TIERS)
        ]
        some = {"kind": "categories", "category_ids": store.categories[1:3]}
        body = {
            "name": f"满减 {n + 1}",
            "kind": "percent" if percent else "amount",
            "tiers": tiers,
            "scope": {"kind": "all"} if n % 2 else some,
            "ends_at": ends_at,
            "priority": n % 2,
        }
        await call(client, "POST", store.url("/full-reductions"), store.owner, body)
    exclusive = {"exclusive_pairs": [["full_reduction", "platform_coupon"]]}
    owner = stores[1].owner
    await call(client, "PUT", stores[1].url("/stacking-rules"), owner, exclusive, status=200)
    return REDUCTIONS


def fixed(name: str, off: int, threshold: int, **terms: Any) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "fixed",
        "amount_off_fen": off,
        "threshold_fen": threshold,
    } | terms


def percent(name: str, off: int, **terms: Any) -> dict[str, Any]:
    return {"name": name, "kind": "percent", "percent_off": off} | terms


def no_threshold(name: str, off: int) -> dict[str, Any]:
    return {"name": name, "kind": "no_threshold", "amount_off_fen": off}


def coupon_terms(
    stores: list[Store], outside_product: int
) -> list[tuple[Store | None, dict[str, Any]]]:
    """The wallet of the pure benchmark on 3 stores, as (store, or None: the platform;
    terms); its coupon of another store becomes one for a product outside the cart."""
    a, b, c = stores
    only_outside = {"kind": "products", "product_ids": [outside_product]}
    category_3 = {"kind": "categories", "category_ids": [b.categories[3]]}
    return [
        (a, fixed("满100减10", 1000, 10_000)),
        (a, percent("9折券", 10, cap_fen=3000, threshold_fen=5000)),
        (a, no_threshold("无门槛5元", 500)),
        (a, fixed("单品券", 800, 1000, scope=only_outside)),
        (b, fixed("满300减40", 4000, 30_000)),
        (b, percent("品类85折", 15, scope=category_3)),
        (c, fixed("满200减25", 2500, 20_000)),
        (c, no_threshold("无门槛3元", 300)),
        (None, fixed("平台满500减50", 5000, 50_000)),
        (None, percent("平台95折", 5, cap_fen=2000)),
    ]


async def fill_wallet(
    client: httpx.AsyncClient,
    stores: list[Store],
    operator: Headers,
    shopper: Headers,
    outside_product: int,
) -> int:
    """The coupon templates, one coupon of each claimed by the shopper."""
    terms = coupon_terms(stores, outside_product)
    for store, body in terms:
        body = body | {"valid_days_after_claim": 7, "total_quantity": 1000}
        if store is None:
            path, staff = "/api/v1/platform/coupon-templates", operator
        else:
            path, staff = store.url("/coupon-templates"), store.owner
        template = await call(client, "POST", path, staff, body)
        claim = {"template_id": template["id"]}
        await call(client, "POST", "/api/v1/me/coupons/claims", shopper, claim, key=True)
    return len(terms)


async def build(client: httpx.AsyncClient, operator_account: Operator) -> Shop:
    operator = await sign_in(client, operator_account.phone, operator_account.password)
    stores = await open_stores(client, operator)
    lines = []
    for n in range(LINES):
        _, sku = await add_product(client, stores[n % len(stores)], n)
        lines.append((sku, 1 + n % 3))
    outside_product, _ = await add_product(client, stores[0], LINES)
    levels = await add_levels(client, stores)
    shopper, address_id = await signed_in_shopper(client, random_phones(1)[0])
    first_skus = [sku for sku, _ in lines[: len(stores)]]
    await become_member(client, stores, shopper, address_id, first_skus)
    await grant_points(client, stores[0], shopper, POINTS_GRANTED)
    reductions = await add_reductions(client, stores)
    coupons = await fill_wallet(client, stores, operator, shopper, outside_product)
    promotions = reductions + levels + coupons
    return Shop(shopper, address_id, lines, stores[0].id, promotions, coupons)


def quote_body(shop: Shop, lines: int) -> dict[str, Any]:
    return {
        "address_id": shop.address_id,
        "items": [{"sku_id": sku, "quantity": qty} for sku, qty in shop.lines[:lines]],
        "points": [{"store_id": shop.points_store_id, "points": POINTS_ASKED}],
    }


def order_body(shop: Shop, lines: int) -> dict[str, Any]:
    return {
        "address_id": shop.address_id,
        "items": [{"sku_id": sku, "quantity": qty} for sku, qty in shop.lines[:lines]],
        "coupon_ids": [],
    }


async def timed(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    headers: Headers,
    body: dict[str, Any] | None,
    *,
    status: int,
    iterations: int,
    warm_up: int,
    key: bool = False,
) -> list[float]:
    """Milliseconds per request, one request at a time, after ``warm_up`` unmeasured ones;
    ``key``: each with an Idempotency-Key of its own."""
    samples = []
    for index in range(warm_up + iterations):
        sent = {**headers, "Idempotency-Key": uuid.uuid4().hex} if key else headers
        started = time.perf_counter()
        response = await client.request(method, path, json=body, headers=sent)
        elapsed = (time.perf_counter() - started) * 1000
        expect(response, status)
        if index >= warm_up:
            samples.append(elapsed)
    return samples


def report(label: str, samples: list[float]) -> Figures:
    """Prints one line of figures, cut as the pure part cuts them; returns them."""
    ordered = sorted(samples)
    mean = sum(samples) / len(samples)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{label:<42} n {len(samples):>4}   mean {mean:>7.1f} ms   p50 {p50:>7.1f} ms   "
        f"p99 {p99:>7.1f} ms"
    )
    return mean, p50, p99


def compare(name: str, big: Figures, small: Figures) -> None:
    mean, p50, p99 = (b / s for b, s in zip(big, small, strict=True))
    print(f"  {name} 50-line vs 5-line: mean ×{mean:.2f}   p50 ×{p50:.2f}   p99 ×{p99:.2f}")


async def describe(client: httpx.AsyncClient, shop: Shop) -> None:
    """One line on what the measured 50-line quote holds, to show that the data works."""
    path = "/api/v1/me/checkout/quote"
    quote = await call(client, "POST", path, shop.shopper, quote_body(shop, LINES), status=200)
    member_lines = sum(
        any(adjustment["kind"] == "member_price" for adjustment in line["adjustments"])
        for line in quote["lines"]
    )
    points = sum(store["points_used"] for store in quote["stores"])
    print(
        f"50-line quote: {len(quote['promotions'])} promotions applied, coupons "
        f"{len(quote['applied_coupon_ids'])} of {len(quote['coupons'])} applied, member price "
        f"on {member_lines} lines, {points} points used, shipping {quote['shipping_fen']} fen, "
        f"payable {quote['payable_fen']} fen; {shop.promotions} active promotions, "
        f"{shop.coupons} coupons in the wallet"
    )


async def wallet_left(client: httpx.AsyncClient, shop: Shop) -> int:
    path = "/api/v1/me/coupons?status=available"
    return len((await call(client, "GET", path, shop.shopper, status=200))["items"])


async def measure(client: httpx.AsyncClient, shop: Shop, args: argparse.Namespace) -> None:
    async def series(
        label: str, method: str, path: str, body: dict[str, Any] | None, **how: Any
    ) -> Figures:
        samples = await timed(client, method, path, shop.shopper, body, warm_up=args.warm_up, **how)
        return report(label, samples)

    await series(
        "GET /me (floor: a signed-in request)",
        "GET",
        "/api/v1/me",
        None,
        status=200,
        iterations=args.api_iterations,
    )
    quotes = [
        await series(
            f"POST /me/checkout/quote, {lines}-line",
            "POST",
            "/api/v1/me/checkout/quote",
            quote_body(shop, lines),
            status=200,
            iterations=args.api_iterations,
        )
        for lines in (BASELINE, LINES)
    ]
    compare("quote", quotes[1], quotes[0])
    orders = [
        await series(
            f"POST /me/orders, {lines}-line",
            "POST",
            "/api/v1/me/orders",
            order_body(shop, lines),
            status=201,
            iterations=args.orders,
            key=True,
        )
        for lines in (BASELINE, LINES)
    ]
    compare("order", orders[1], orders[0])


async def run(args: argparse.Namespace) -> None:
    """Build the data on the server the arguments name, then measure and print."""
    async with (
        server_for(args) as (base_url, operator),
        httpx.AsyncClient(base_url=base_url, timeout=120) as client,
    ):
        target = f"self-hosted {args.self_host}" if args.self_host else "external server"
        print(f"\nThrough the API: {base_url} ({target})")
        started = time.perf_counter()
        shop = await build(client, operator)
        print(f"data built through the API in {time.perf_counter() - started:.1f} s")
        await describe(client, shop)
        print(f"load average before measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        await measure(client, shop, args)
        left = await wallet_left(client, shop)
        print(f"coupons still available in the wallet: {left} of {shop.coupons}")
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")


def write_bytes(path: str, data: bytes) -> None:
    with open(path, "wb") as file:
        file.write(data)


async def load_quotes(args: argparse.Namespace, target: Target, shop: Shop) -> int:
    """The quote (5 and 50 lines) and GET /me under wrk, against the bare app; 1 on errors."""
    how = load.load_from(args)
    sql = load.SqlCounter(target.database_url)
    script = os.path.join(BENCH_DIR, "post.lua")
    authorization = shop.shopper["Authorization"]
    quote_url = f"{target.base_url}/api/v1/me/checkout/quote"
    runs: list[load.Run] = []
    with tempfile.TemporaryDirectory(prefix="weshop-quote-") as scratch:
        async with bare_server(target) as (bare_url, bare_pid, _):
            print(f"quotes under load: {how.describe()}")
            if target.pid:
                stacks = (load.server_stack(pid) for pid in (target.pid, bare_pid))
                print("server stack: weshop {}, bare {}".format(*stacks))
            print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
            bare = [await load.measure("bare Starlette JSON", f"{bare_url}/", how, pid=bare_pid)]
            runs.append(
                await load.measure(
                    "GET /api/v1/me",
                    f"{target.base_url}/api/v1/me",
                    how,
                    pid=target.pid,
                    sql=sql,
                    headers={"Authorization": authorization},
                )
            )
            for lines in args.quote_lines:
                body = json.dumps(quote_body(shop, lines)).encode()
                body_file = os.path.join(scratch, f"quote-{lines}.json")
                write_bytes(body_file, body)
                runs.append(
                    await load.measure(
                        f"POST quote, {lines} lines",
                        quote_url,
                        how,
                        pid=target.pid,
                        sql=sql,
                        method="POST",
                        body=body,
                        headers={"Authorization": authorization},
                        script=script,
                        script_env={"WRK_BODY_FILE": body_file},
                    )
                )
            bare.append(
                await load.measure("bare Starlette JSON (again)", f"{bare_url}/", how, pid=bare_pid)
            )
    load.print_table([bare[0], *runs, bare[1]], bare, show_sql=sql.available)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 1 if any(run.errors for run in runs) else 0


async def run_load(args: argparse.Namespace) -> int:
    """Build the data on the server the arguments name, then the quote under load."""
    async with target_for(args) as target:
        async with httpx.AsyncClient(base_url=target.base_url, timeout=120) as client:
            started = time.perf_counter()
            shop = await build(client, target.operator)
            print(f"data built through the API in {time.perf_counter() - started:.1f} s")
            await describe(client, shop)
        return await load_quotes(args, target, shop)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="The checkout quote through the API under load (wrk), against the bare app."
    )
    parser.add_argument(
        "--quote-lines",
        type=int,
        nargs="+",
        default=[BASELINE, LINES],
        choices=range(1, LINES + 1),
        metavar="N",
        help=f"basket sizes to quote (1..{LINES})",
    )
    load.add_load_arguments(parser)
    add_server_arguments(parser, base_url=None)
    add_load_server_arguments(parser)
    args = parser.parse_args(argv)
    if args.base_url and args.self_host:
        parser.error("give --base-url (a server you run) or --self-host, not both")
    if not args.base_url and not args.self_host:
        args.self_host = "sqlite"
    return args


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(run_load(parse_args())))
    except BenchError as exc:
        sys.exit(f"bench: {exc}")
