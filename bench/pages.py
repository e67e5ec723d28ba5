"""The storefront's main pages under concurrent load: time to first byte and page weight.

Fills a store of its own through the API (products with a spec matrix, a coupon), then
requests each main storefront page ``--requests`` times, ``--concurrency`` connections at a
time (50 by default, as phones arriving from a shared link), and prints for each page the
requests per second, the time to first byte (p50/p95/p99) and the weight of the page: its
HTML and the CSS and JS it links (fetched once), before images — the storefront's budget is
50 KB. ``GET /healthz`` under the same load is the baseline of the ratios, measured in the
same run. Signed-in pages (cart, my orders) carry the shopper's session cookie::

    .venv/bin/python bench/pages.py --self-host sqlite
    .venv/bin/python bench/pages.py --self-host postgresql \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/weshop_bench
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from dataclasses import dataclass

import httpx
from serving import (
    BenchError,
    Operator,
    add_server_arguments,
    expect,
    random_phones,
    server_for,
    sign_in,
)

BUDGET_BYTES = 50 * 1024
ASSETS = re.compile(r'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="([^"]+)"')


@dataclass
class Page:
    name: str
    path: str
    signed_in: bool = False


@dataclass
class Result:
    page: Page
    per_second: float
    ttfb_ms: list[float]
    html_bytes: int
    asset_bytes: int
    failures: int

    def percentile(self, share: float) -> float:
        ordered = sorted(self.ttfb_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def prepare(client: httpx.AsyncClient, operator: Operator) -> tuple[list[Page], str]:
    """A store with 24 products (3 colours x 4 sizes each) and a coupon; a shopper with an
    item in the cart. Returns the pages to measure and the shopper's session token."""
    admin = await sign_in(client, operator.phone, operator.password)
    owner_phone, shopper_phone = random_phones(2)
    store = expect(
        await client.post(
            "/api/v1/platform/stores",
            json={"name": "压测小店", "owner_phone": owner_phone},
            headers=admin,
        ),
        201,
    )
    owner = await sign_in(client, owner_phone)
    merchant = f"/api/v1/merchant/stores/{store['id']}"
    specs = [
        {"name": "颜色", "values": ["白色", "黑色", "灰色"]},
        {"name": "尺码", "values": ["S", "M", "L", "XL"]},
    ]
    products = []
    for number in range(24):
        body = {
            "title": f"纯棉圆领T恤 {number + 1} 号款",
            "specs": specs,
            "default_price_fen": 5900 + 100 * number,
            "default_stock": 200,
            "publish": True,
        }
        products.append(
            expect(await client.post(f"{merchant}/products", json=body, headers=owner), 201)
        )
    coupon = {
        "name": "满100减10",
        "kind": "fixed",
        "amount_off_fen": 1000,
        "threshold_fen": 10000,
        "valid_days_after_claim": 7,
        "total_quantity": 1000,
        "per_shopper_limit": 1,
    }
    expect(await client.post(f"{merchant}/coupon-templates", json=coupon, headers=owner), 201)
    shopper = await sign_in(client, shopper_phone)
    sku = products[0]["skus"][0]["id"]
    expect(
        await client.post(
            "/api/v1/me/cart/items", json={"sku_id": sku, "quantity": 2}, headers=shopper
        ),
        201,
    )
    token = shopper["Authorization"].removeprefix("Bearer ")
    pages = [
        Page("mall home", "/"),
        Page("store home", f"/s/{store['id']}"),
        Page("product", f"/p/{products[0]['id']}"),
        Page("search", "/search?q=T恤"),
        Page("coupon centre", "/coupons"),
        Page("cart", "/cart", signed_in=True),
        Page("my orders", "/me/orders", signed_in=True),
    ]
    return pages, token


async def weigh(client: httpx.AsyncClient, page: Page, cookies: dict[str, str]) -> tuple[int, int]:
    """Bytes of the page's HTML and of the CSS and JS it links."""
    html = await client.get(page.path, cookies=cookies if page.signed_in else None)
    if html.status_code != 200:
        raise BenchError(f"GET {page.path} answered {html.status_code}")
    assets = 0
    for href in sorted(set(ASSETS.findall(html.text))):
        asset = await client.get(href)
        if asset.status_code != 200:
            raise BenchError(f"GET {href} (linked by {page.path}) answered {asset.status_code}")
        assets += len(asset.content)
    return len(html.content), assets


async def load(
    base_url: str, page: Page, cookies: dict[str, str], requests: int, concurrency: int
) -> tuple[float, list[float], int]:
    """``requests`` GETs, ``concurrency`` connections at a time: (per second, TTFBs, failures)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    ttfb: list[float] = []
    failures = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(requests):
        queue.put_nowait(number)

    async with httpx.AsyncClient(
        base_url=base_url,
        limits=limits,
        timeout=60,
        cookies=cookies if page.signed_in else None,
        headers={"Accept": "text/html"},
    ) as client:

        async def lane() -> None:
            nonlocal failures
            while not queue.empty():
                queue.get_nowait()
                started = time.perf_counter()
                async with client.stream("GET", page.path) as response:
                    first_byte = time.perf_counter()
                    await response.aread()
                ttfb.append((first_byte - started) * 1000)
                if response.status_code != 200:
                    failures += 1

        started = time.perf_counter()
        await asyncio.gather(*(lane() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return requests / elapsed, ttfb, failures


async def run_bench(args: argparse.Namespace, base_url: str, operator: Operator) -> int:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        pages, token = await prepare(client, operator)
        cookies = {"weshop_session": token}
        weights = {page.path: await weigh(client, page, cookies) for page in pages}
    baseline = Page("GET /healthz (baseline)", "/healthz")
    rate, ttfb, failures = await load(base_url, baseline, {}, args.requests, args.concurrency)
    results = [Result(baseline, rate, ttfb, 0, 0, failures)]
    for page in pages:
        rate, ttfb, failures = await load(base_url, page, cookies, args.requests, args.concurrency)
        html, assets = weights[page.path]
        results.append(Result(page, rate, ttfb, html, assets, failures))
    report(results, args, base_url)
    return 1 if any(result.failures for result in results) else 0


def report(results: list[Result], args: argparse.Namespace, base_url: str) -> None:
    base = results[0]
    print(
        f"storefront pages: {args.requests} requests per page, {args.concurrency} connections, "
        f"server {base_url}"
    )
    print(
        f"{'page':<26}{'req/s':>8}{'TTFB p50':>10}{'p95':>8}{'p99':>8}{'vs base':>9}"
        f"{'HTML KB':>9}{'CSS+JS KB':>11}{'total KB':>10}  budget  failures"
    )
    for result in results:
        p50 = statistics.median(result.ttfb_ms)
        total = result.html_bytes + result.asset_bytes
        weighed = result is not base
        print(
            f"{result.page.name:<26}{result.per_second:>8.1f}{p50:>10.1f}"
            f"{result.percentile(0.95):>8.1f}{result.percentile(0.99):>8.1f}"
            f"{statistics.median(base.ttfb_ms) / p50 if p50 else 0:>8.3f}x"
            + (
                f"{result.html_bytes / 1024:>9.1f}{result.asset_bytes / 1024:>11.1f}"
                f"{total / 1024:>10.1f}  {'OK  ' if total <= BUDGET_BYTES else 'OVER'}"
                if weighed
                else f"{'':>9}{'':>11}{'':>10}  {'':4}"
            )
            + f"  {result.failures:>8}"
        )
    print("TTFB in ms; 'vs base' is the baseline's p50 TTFB over the page's; weight before images")


async def main(args: argparse.Namespace) -> int:
    async with server_for(args) as (base_url, operator):
        return await run_bench(args, base_url, operator)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time to first byte and page weight of the storefront's main pages under "
        "concurrent load.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--concurrency", type=int, default=50, help="connections at a time")
    parser.add_argument("--requests", type=int, default=500, help="requests per page")
    add_server_arguments(parser)
    args = parser.parse_args(argv)
    if min(args.concurrency, args.requests, args.server_workers) < 1:
        parser.error("--concurrency, --requests and --server-workers must be at least 1")
    return args


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(parse_args())))
    except BenchError as exc:
        sys.exit(f"bench: {exc}")
