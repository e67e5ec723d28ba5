"""Concurrent checkout benchmark: throughput, latency and proof of no oversell, over HTTP.

Drives a running WeShop server through its public API only. It makes its own data: a store,
one product whose single SKU holds ``--stock`` units, and ``--shoppers`` shoppers with an
address each; then it fires ``--orders`` checkouts of one unit, ``--concurrency`` at a time,
and prints orders/s, p50/p95/p99 latency, accepted orders, out-of-stock answers, other
errors and the oversell count (accepted orders beyond the stock). Finally it re-reads the
SKU and checks that ``available == stock - accepted``. The exit code is 1 when anything was
oversold, the stock does not add up or a request failed otherwise.

One command per database, with a server of its own (``weshop serve`` on a free port, a fresh
temporary SQLite file or the given database, migrated, with an operator made for the run)::

    .venv/bin/python bench/checkout.py --self-host sqlite
    .venv/bin/python bench/checkout.py --self-host postgresql \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/weshop_bench

``WESHOP_REDIS_URL`` in the environment is passed on to the self-hosted server.

Against a server you run yourself: shoppers sign in with codes, so the server must be in
demo mode and allow this many codes from one client address::

    WESHOP_DEMO_MODE=true WESHOP_OTP_PER_CLIENT_PER_HOUR=100000 weshop serve --workers 4
    .venv/bin/python bench/checkout.py --base-url http://127.0.0.1:8000 \\
        --operator-phone 13900000001 --operator-password weshop-admin

(or, instead of the operator flags, ``--database-url`` of that server's database, with the
same ``WESHOP_SECRET_KEY``/``WESHOP_DATA_DIR`` as the server, to create an operator).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx
from serving import (
    BenchError,
    Headers,
    Operator,
    Target,
    add_server_arguments,
    bare_server,
    expect,
    random_phones,
    sign_in,
    target_for,
)


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    accepted: int = 0
    out_of_stock: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0


async def prepare(
    client: httpx.AsyncClient, operator: Operator, *, stock: int, shoppers: int
) -> tuple[int, int, list[tuple[Headers, int]]]:
    """Store, product and signed-in shoppers with addresses: (product id, SKU id, shoppers)."""
    operator_headers = await sign_in(client, operator.phone, operator.password)
    owner_phone, *shopper_phones = random_phones(shoppers + 1)
    store = expect(
        await client.post(
            "/api/v1/platform/stores",
            json={"name": f"压测小店 {owner_phone[-4:]}", "owner_phone": owner_phone},
            headers=operator_headers,
        ),
        201,
    )
    owner = await sign_in(client, owner_phone)
    product = expect(
        await client.post(
            f"/api/v1/merchant/stores/{store['id']}/products",
            json={
                "title": "压测限量款",
                "specs": [],
                "default_price_fen": 9900,
                "default_stock": stock,
                "publish": True,
            },
            headers=owner,
        ),
        201,
    )

    async def shopper(phone: str) -> tuple[Headers, int]:
        headers = await sign_in(client, phone)
        address = expect(
            await client.post(
                "/api/v1/me/addresses",
                json={
                    "recipient": "压测用户",
                    "phone": phone,
                    "province": "浙江省",
                    "city": "杭州市",
                    "district": "西湖区",
                    "detail": "文三路 100 号",
                },
                headers=headers,
            ),
            201,
        )
        return headers, address["id"]

    signed_in = await asyncio.gather(*(shopper(phone) for phone in shopper_phones))
    return product["id"], product["skus"][0]["id"], list(signed_in)


async def fire(
    client: httpx.AsyncClient,
    sku_id: int,
    shoppers: list[tuple[Headers, int]],
    *,
    orders: int,
    concurrency: int,
) -> Results:
    results = Results()
    pending = iter(range(orders))

    async def one(index: int) -> None:
        headers, address_id = shoppers[index % len(shoppers)]
        started = time.perf_counter()
        try:
            response = await client.post(
                "/api/v1/me/orders",
                json={"address_id": address_id, "items": [{"sku_id": sku_id, "quantity": 1}]},
                headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            )
        except httpx.HTTPError as exc:
            results.errors[type(exc).__name__] += 1
            return
        results.latencies_ms.append((time.perf_counter() - started) * 1000)
        if response.status_code == 201:
            results.accepted += len(response.json()["orders"])
            return
        code = response.json().get("error", {}).get("code", "") if response.content else ""
        if response.status_code == 409 and code == "out_of_stock":
            results.out_of_stock += 1
        else:
            results.errors[f"{response.status_code} {code}".strip()] += 1

    async def lane() -> None:
        # Each lane takes the next order as soon as its previous one is answered.
        for index in pending:
            await one(index)

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    results.elapsed_s = time.perf_counter() - started
    return results


def client_limits(concurrency: int) -> httpx.Limits:
    return httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)


async def client_ceiling(base_url: str, *, requests: int, concurrency: int) -> float:
    """Requests/s this client reaches against the bare app with the checkout's body, headers
    and concurrency: what the measurement could show at most (check it first)."""
    body = {"address_id": 1, "items": [{"sku_id": 1, "quantity": 1}]}
    pending = iter(range(requests))
    async with httpx.AsyncClient(
        base_url=base_url, timeout=120, limits=client_limits(concurrency)
    ) as client:

        async def lane() -> None:
            for _ in pending:
                headers = {"Authorization": "Bearer x", "Idempotency-Key": uuid.uuid4().hex}
                await client.post("/", json=body, headers=headers)

        started = time.perf_counter()
        await asyncio.gather(*(lane() for _ in range(concurrency)))
        return requests / (time.perf_counter() - started)


async def run_bench(args: argparse.Namespace, target: Target) -> int:
    async with httpx.AsyncClient(
        base_url=target.base_url, timeout=120, limits=client_limits(args.concurrency)
    ) as client:
        product_id, sku_id, shoppers = await prepare(
            client, target.operator, stock=args.stock, shoppers=args.shoppers or args.concurrency
        )
        results = await fire(
            client, sku_id, shoppers, orders=args.orders, concurrency=args.concurrency
        )
        product = expect(await client.get(f"/api/v1/shop/products/{product_id}"), 200)
    available = product["skus"][0]["available"]
    ceiling = None
    if not args.no_baseline:
        async with bare_server(target) as (bare_url, _pid, _options):
            ceiling = await client_ceiling(
                bare_url, requests=max(args.orders, 2000), concurrency=args.concurrency
            )
    return report(args, target.base_url, len(shoppers), results, available, ceiling)


def report(
    args: argparse.Namespace,
    base_url: str,
    shoppers: int,
    results: Results,
    available: int,
    ceiling: float | None,
) -> int:
    oversold = max(0, results.accepted - args.stock)
    expected = args.stock - results.accepted
    latencies = results.latencies_ms or [0.0]
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    errors = sum(results.errors.values())
    target = f"self-hosted {args.self_host}" if args.self_host else "external server"
    print(f"WeShop checkout benchmark: {base_url} ({target})")
    print(
        f"  orders              {args.orders} (concurrency {args.concurrency}, "
        f"{shoppers} shoppers, stock {args.stock})"
    )
    print(
        f"  throughput          {args.orders / results.elapsed_s:.1f} orders/s "
        f"({results.elapsed_s:.2f} s)"
    )
    if ceiling is not None:
        rate = args.orders / results.elapsed_s
        print(
            f"  client ceiling      {ceiling:.0f} req/s (this client, same body and concurrency, "
            f"against the bare app on the same uvicorn); checkout is {rate / ceiling:.3f} of it"
        )
    print(f"  latency p50/p95/p99 {cuts[49]:.1f} / {cuts[94]:.1f} / {cuts[98]:.1f} ms")
    print(f"  accepted            {results.accepted}")
    print(f"  out of stock        {results.out_of_stock}")
    print(f"  other errors        {errors} {dict(results.errors) if errors else ''}".rstrip())
    print(f"  oversold            {oversold}")
    verdict = "OK" if available == expected else "MISMATCH"
    print(f"  stock check         available {available}, stock - accepted = {expected}: {verdict}")
    return 1 if oversold or available != expected or errors else 0


async def main(args: argparse.Namespace) -> int:
    async with target_for(args) as target:
        return await run_bench(args, target)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Concurrent checkouts against a WeShop server: throughput, latency, "
        "and proof that nothing is oversold.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight")
    parser.add_argument("--orders", type=int, default=500, help="checkouts to attempt")
    parser.add_argument(
        "--stock", type=int, default=300, help="units of the SKU (fewer than --orders sells out)"
    )
    parser.add_argument("--shoppers", type=int, help="distinct shoppers (default: --concurrency)")
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the client's ceiling against the bare app",
    )
    add_server_arguments(parser)
    args = parser.parse_args(argv)
    if min(args.concurrency, args.orders, args.server_workers) < 1:
        parser.error("--concurrency, --orders and --server-workers must be at least 1")
    if args.stock < 0:
        parser.error("--stock cannot be negative")
    return args


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(parse_args())))
    except BenchError as exc:
        sys.exit(f"bench: {exc}")
