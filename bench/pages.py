"""The storefront's main pages under load, against the bare app of the same run; page weight.

Fills a store of its own through the API (24 products with a spec matrix, a coupon, a
shopper with an item in the cart), weighs each main storefront page (its HTML and the CSS
and JS it links, fetched once, before images: the budget is 50 KB), then drives each
measured path with ``wrk -t2 -c32 -d10s --latency`` (Debian package ``wrk``; without it,
client processes of our own, see ``bench/load.py``): the bare Starlette app first (served by
the same uvicorn call as ``weshop serve``, see ``bench/bare.py``), /healthz, mall home,
store home, product page and cart (signed in: the session cookie goes in a ``-H`` header),
and the bare app again at the end. It prints, per path, req/s, the ratio to the bare app's
mean req/s, p50 and p99 latency, the server's CPU ms per request (its utime+stime before
and after), SQL statements per request (PostgreSQL with pg_stat_statements only) and
errors::

    .venv/bin/python bench/pages.py --self-host sqlite
    .venv/bin/python bench/pages.py --self-host postgresql \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/weshop_bench
    .venv/bin/python bench/pages.py --self-host sqlite --paths all --seconds 5

The self-hosted server runs ``weshop serve --no-worker`` (``--with-worker`` for the
in-process outbox worker). The exit code is 1 when a request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from dataclasses import dataclass

import httpx
from load import Load, Run, SqlCounter, add_load_arguments, load_from, measure, print_table
from load import server_stack as stack_of
from serving import (
    BenchError,
    Operator,
    Target,
    add_load_server_arguments,
    add_server_arguments,
    bare_server,
    expect,
    random_phones,
    sign_in,
    target_for,
)

BUDGET_BYTES = 50 * 1024
ASSETS = re.compile(r'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="([^"]+)"')


DEFAULT_PATHS = ("healthz", "mall home", "store home", "product", "cart")


@dataclass
class Page:
    name: str
    path: str
    signed_in: bool = False


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


async def run_bench(args: argparse.Namespace, target: Target) -> int:
    load = load_from(args)
    async with httpx.AsyncClient(base_url=target.base_url, timeout=60) as client:
        pages, token = await prepare(client, target.operator)
        cookies = {"weshop_session": token}
        weights = {page.name: await weigh(client, page, cookies) for page in pages}
    chosen = [Page("healthz", "/healthz"), *pages]
    if args.paths != "all":
        names = [name.strip() for name in args.paths.split(",")]
        unknown = set(names) - {page.name for page in chosen}
        if unknown:
            raise BenchError(f"unknown --paths {sorted(unknown)}: {[p.name for p in chosen]}")
        chosen = [page for page in chosen if page.name in names]
    sql = SqlCounter(target.database_url)
    runs: list[Run] = []
    async with bare_server(target) as (bare_url, bare_pid, options):
        print_header(args, load, target, bare_pid, options)
        bare = [await measure("bare Starlette JSON", f"{bare_url}/", load, pid=bare_pid)]
        for page in chosen:
            headers = {"Accept": "text/html"}
            if page.signed_in:
                headers["Cookie"] = f"weshop_session={token}"
            runs.append(
                await measure(
                    f"{page.name} {page.path}",
                    target.base_url + page.path,
                    load,
                    pid=target.pid,
                    sql=sql,
                    headers=headers,
                )
            )
        bare.append(
            await measure("bare Starlette JSON (again)", f"{bare_url}/", load, pid=bare_pid)
        )
    print_table([bare[0], *runs, bare[1]], bare, show_sql=sql.available)
    print_weights(pages, weights)
    return 1 if any(run.errors for run in runs) else 0


def print_header(
    args: argparse.Namespace, load: Load, target: Target, bare_pid: int, options: dict
) -> None:
    served = {k: v for k, v in options.items() if k not in ("host", "port", "weshop_target")}
    where = f"self-hosted {args.self_host}" if args.self_host else "external server"
    print(f"storefront pages: {load.describe()}; {target.base_url} ({where})")
    if target.pid:
        print(f"server stack: weshop {stack_of(target.pid)}, bare {stack_of(bare_pid)}")
    print(f"bare app's uvicorn options (as `weshop serve` passes them): {served}")
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


def print_weights(pages: list[Page], weights: dict[str, tuple[int, int]]) -> None:
    print(f"\npage weight, before images (budget {BUDGET_BYTES // 1024} KB)")
    print(f"{'page':<16}{'path':<28}{'HTML KB':>9}{'CSS+JS KB':>11}{'total KB':>10}  budget")
    for page in pages:
        html, assets = weights[page.name]
        total = html + assets
        print(
            f"{page.name:<16}{page.path[:27]:<28}{html / 1024:>9.1f}{assets / 1024:>11.1f}"
            f"{total / 1024:>10.1f}  {'OK' if total <= BUDGET_BYTES else 'OVER'}"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


async def main(args: argparse.Namespace) -> int:
    async with target_for(args) as target:
        return await run_bench(args, target)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="The storefront's main pages under load against the bare app of the same "
        "run (wrk when installed), and their weight.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--paths",
        default=",".join(DEFAULT_PATHS),
        help="pages to load, by name (healthz, mall home, store home, product, search, "
        "coupon centre, cart, my orders), comma-separated, or 'all'",
    )
    add_load_arguments(parser)
    add_server_arguments(parser)
    add_load_server_arguments(parser)
    args = parser.parse_args(argv)
    if min(args.threads, args.connections, args.client_processes, args.server_workers) < 1:
        parser.error("--threads, --connections, --client-processes, --server-workers: >= 1")
    if args.seconds <= 0:
        parser.error("--seconds must be positive")
    return args


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(parse_args())))
    except BenchError as exc:
        sys.exit(f"bench: {exc}")
