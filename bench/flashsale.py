"""Flash-sale benchmark: N clients x M attempts at one item of flash stock S, over HTTP.

Drives a running WeShop server through its public API only. It makes its own data: a store,
a product with ``--stock`` flash units (taken from twice as much regular stock), a flash
session starting a few seconds later with that item (``--limit`` per shopper), and
``--shoppers`` signed-in shoppers with an address each. When the session starts, it fires
``--attempts`` attempts (attempt ``i`` by shopper ``i % shoppers``, each with its own
Idempotency-Key), ``--connections`` at a time, with **wrk** (``bench/checkout.lua`` walking
the prepared list, each attempt sent once) or, without wrk, this process's httpx client.

Then (``--after-seconds``, 10 by default) it fires fresh attempts for that long again, the
stock sold: the refusals alone, which is most of a real peak, with their own rate, p50/p99
and ratio; the first run's p99 is the accepted attempts' while they are more than 1% of it
(each places an order).

It prints attempts/s, p50/p99, accepted, orders created (the session's figures), sold out /
limit refusals, oversold (accepted beyond the stock: must be 0) and drift (Redis stock +
sold - flash stock: must be 0; read from Redis when ``WESHOP_REDIS_URL`` is set). In the
same run it drives the bare Starlette app (``bench/bare.py``) on the same server stack with
the same attempts: with Redis, its ``/flash`` route runs the very Lua script of the attempt
path (``weshop.flashsale.gate``), so the ratio is WeShop's attempt path over the script
alone; without Redis, its plain JSON answer. One command per database::

    WESHOP_REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python bench/flashsale.py \\
        --self-host postgresql \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/weshop_bench
    .venv/bin/python bench/flashsale.py --self-host sqlite

Exit code 1 when anything was oversold, Redis drifted, or an attempt failed otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import load
from checkout import Results, client_limits, fire_wrk
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
    signed_in_shopper,
    target_for,
)

START_IN = timedelta(seconds=8)


@dataclasses.dataclass
class Sale:
    store_id: int
    owner: Headers
    session_id: int
    item_id: int
    starts_at: datetime
    shoppers: list[tuple[Headers, int]]


async def prepare(client: httpx.AsyncClient, operator: Operator, args: argparse.Namespace) -> Sale:
    operator_headers = await sign_in(client, operator.phone, operator.password)
    owner_phone, *phones = random_phones(args.shoppers + 1)
    store = expect(
        await client.post(
            "/api/v1/platform/stores",
            json={"name": f"秒杀压测 {owner_phone[-4:]}", "owner_phone": owner_phone},
            headers=operator_headers,
        ),
        201,
    )
    owner = await sign_in(client, owner_phone)
    base = f"/api/v1/merchant/stores/{store['id']}"
    product = expect(
        await client.post(
            f"{base}/products",
            json={
                "title": "秒杀压测款",
                "specs": [],
                "default_price_fen": 9900,
                "default_stock": 2 * args.stock,
                "publish": True,
            },
            headers=owner,
        ),
        201,
    )
    starts = datetime.now(UTC) + START_IN + timedelta(seconds=args.shoppers / 50)
    session = expect(
        await client.post(
            f"{base}/flash-sessions",
            json={
                "title": "压测秒杀",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=1)).isoformat(),
            },
            headers=owner,
        ),
        201,
    )
    item = expect(
        await client.post(
            f"{base}/flash-sessions/{session['id']}/items",
            json={
                "sku_id": product["skus"][0]["id"],
                "flash_price_fen": 990,
                "flash_stock": args.stock,
                "per_shopper_limit": args.limit,
            },
            headers=owner,
        ),
        201,
    )

    shoppers = []
    for start in range(0, len(phones), 50):
        shoppers += await asyncio.gather(
            *(signed_in_shopper(client, p) for p in phones[start : start + 50])
        )
    return Sale(store["id"], owner, session["id"], item["id"], starts, shoppers)


def attempts_of(sale: Sale, count: int) -> list[tuple[str, str, str]]:
    """(token, Idempotency-Key, body) of each attempt."""
    made = []
    for index in range(count):
        headers, address_id = sale.shoppers[index % len(sale.shoppers)]
        token = headers["Authorization"].removeprefix("Bearer ")
        made.append((token, uuid.uuid4().hex, json.dumps({"address_id": address_id})))
    return made


def write_attempts(path: str, attempts: list[tuple[str, str, str]]) -> None:
    """The list ``bench/checkout.lua`` walks: token, Idempotency-Key and body a line."""
    with open(path, "w", encoding="utf-8") as file:
        file.writelines(f"{token}\t{key}\t{body}\n" for token, key, body in attempts)


async def fire_python(
    base_url: str, path: str, attempts: list[tuple[str, str, str]], connections: int
) -> Results:
    results = Results()
    pending = iter(attempts)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=120, limits=client_limits(connections)
    ) as client:

        async def lane() -> None:
            for token, key, body in pending:
                started = time.perf_counter()
                response = await client.post(
                    path,
                    content=body,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Idempotency-Key": key,
                        "Content-Type": "application/json",
                    },
                )
                results.latencies_ms.append((time.perf_counter() - started) * 1000)
                if response.status_code == 201:
                    results.accepted += 1
                elif response.status_code == 409:
                    results.errors[response.json()["error"]["code"]] += 1
                else:
                    results.errors[str(response.status_code)] += 1

        started = time.perf_counter()
        await asyncio.gather(*(lane() for _ in range(connections)))
        results.elapsed_s = time.perf_counter() - started
    return results


def percentiles(results: Results) -> tuple[float, float]:
    if results.p50_ms is not None:
        return results.p50_ms, results.p99_ms or 0.0
    cuts = statistics.quantiles(results.latencies_ms or [0.0, 0.0], n=100)
    return cuts[49], cuts[98]


async def redis_stock(item_id: int) -> int | None:
    url = os.environ.get("WESHOP_REDIS_URL")
    if not url:
        return None
    from redis.asyncio import Redis

    from weshop.flashsale.gate import keys

    redis = Redis.from_url(url)
    try:
        stock = await redis.hget(keys(item_id)[0], "stock")
    finally:
        await redis.aclose()
    return None if stock is None else int(stock)


async def run_bench(args: argparse.Namespace, target: Target) -> int:
    use_wrk = args.load_tool == "wrk" or (args.load_tool == "auto" and load.WRK is not None)
    path_of = "/api/v1/me/flash-items/{}/attempts"
    with tempfile.TemporaryDirectory(prefix="weshop-flash-") as scratch:
        listing = os.path.join(scratch, "attempts.tsv")
        async with httpx.AsyncClient(base_url=target.base_url, timeout=120) as client:
            sale = await prepare(client, target.operator, args)
            attempts = attempts_of(sale, args.attempts)
            write_attempts(listing, attempts)
            await asyncio.sleep(max(0.0, (sale.starts_at - datetime.now(UTC)).total_seconds()))
            path = path_of.format(sale.item_id)
            cpu_before = load.cpu_seconds(target.pid) if target.pid else None
            if use_wrk:
                os.environ["WRK_PATH"] = path
                results = await fire_wrk(target.base_url, listing, args)
                del os.environ["WRK_PATH"]
            else:
                results = await fire_python(target.base_url, path, attempts, args.connections)
            if cpu_before is not None and target.pid and results.answered:
                spent = load.cpu_seconds(target.pid) - cpu_before
                results.cpu_ms = 1000 * spent / results.answered
            await asyncio.sleep(1)  # answers wrk stopped reading are committed by now
            after = None
            if args.after_seconds > 0 and use_wrk:
                # The peak goes on after the last unit: fresh attempts, every one refused.
                later = os.path.join(scratch, "after.tsv")
                write_attempts(later, attempts_of(sale, args.attempts))
                os.environ["WRK_PATH"] = path
                after = await fire_wrk(
                    target.base_url,
                    later,
                    argparse.Namespace(**{**vars(args), "seconds": args.after_seconds}),
                )
                del os.environ["WRK_PATH"]
            figures = expect(
                await client.get(
                    f"/api/v1/merchant/stores/{sale.store_id}/flash-sessions/"
                    f"{sale.session_id}/figures",
                    headers=sale.owner,
                ),
                200,
            )
        left = await redis_stock(sale.item_id)
        bare_results = None
        if not args.no_baseline:
            redis_url = os.environ.get("WESHOP_REDIS_URL")
            env = dict(target.env or os.environ)
            if redis_url:
                env["BARE_FLASH_REDIS_URL"] = redis_url
            bare_target = dataclasses.replace(target, env=env)
            async with bare_server(bare_target) as (bare_url, _pid, _options):
                bare_path = "/flash" if redis_url else "/"
                if use_wrk:
                    bare_results = await fire_wrk(bare_url, listing, args, path=bare_path)
                else:
                    bare_results = await fire_python(
                        bare_url, bare_path, attempts, args.connections
                    )
    return report(args, target, use_wrk, results, figures, left, bare_results, after)


def report(args, target, use_wrk, results, figures, left, bare, after=None) -> int:
    tool = f"wrk -t{args.threads} -c{args.connections} -d{args.seconds:g}s" if use_wrk else "httpx"
    answered = results.answered
    refusals = Counter({code: n for code, n in results.errors.items()})
    sold_out = refusals.pop("sold_out", 0) + results.out_of_stock
    limit = refusals.pop("limit_reached", 0)
    rate = answered / results.elapsed_s
    p50, p99 = percentiles(results)
    oversold = max(0, figures["sold"] - args.stock)
    drift = None if left is None else left + figures["sold"] - args.stock
    mode = "PostgreSQL" if "postgresql" in (target.database_url or "") else "SQLite"
    mode += " + Redis" if os.environ.get("WESHOP_REDIS_URL") else " only"
    print(f"WeShop flash-sale benchmark: {target.base_url} ({mode}, load: {tool})")
    print(
        f"  attempts            {answered} ({args.shoppers} shoppers, {args.connections} "
        f"connections, flash stock {args.stock}, limit {args.limit})"
    )
    print(f"  throughput          {rate:.1f} attempts/s ({results.elapsed_s:.2f} s)")
    print(f"  latency p50/p99     {p50:.1f} / {p99:.1f} ms")
    if results.cpu_ms is not None:
        print(f"  server CPU          {results.cpu_ms:.2f} ms per attempt")
    if bare is not None:
        bare_rate = (bare.answered + bare.plain_ok) / bare.elapsed_s
        b50, b99 = percentiles(bare)
        what = "the same Lua script" if os.environ.get("WESHOP_REDIS_URL") else "a plain JSON"
        print(
            f"  bare baseline       {bare_rate:.1f} req/s, p50/p99 {b50:.1f} / {b99:.1f} ms "
            f"(Starlette on the same uvicorn, {what}); ratio {rate / bare_rate:.3f}"
        )
    if after is not None:
        after_rate = after.answered / after.elapsed_s
        a50, a99 = percentiles(after)
        ratio = f"; ratio {after_rate / bare_rate:.3f}" if bare is not None else ""
        print(
            f"  after the last unit {after_rate:.1f} attempts/s, p50/p99 {a50:.1f} / {a99:.1f} ms "
            f"({args.after_seconds:g} s more, all refused{ratio})"
        )
    print(f"  accepted            {results.accepted}")
    print(f"  orders created      {figures['accepted']} (session figures; sold {figures['sold']})")
    print(f"  refused             sold out {sold_out}, limit {limit}")
    if after is not None:
        refusals.update(
            {
                code: n
                for code, n in after.errors.items()
                if code not in ("sold_out", "limit_reached")
            }
        )
        refusals["201 after the last unit"] += after.accepted
    other = sum(refusals.values())
    print(f"  other errors        {other} {dict(refusals) if other else ''}".rstrip())
    print(f"  oversold            {oversold}")
    print(f"  drift               {'n/a (no Redis)' if drift is None else drift}")
    bad = oversold or (drift or 0) != 0 or other or figures["accepted"] != figures["sold"]
    return 1 if bad else 0


async def main(args: argparse.Namespace) -> int:
    async with target_for(args) as target:
        return await run_bench(args, target)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Flash-sale attempts against a WeShop server: rate, latency, no oversell, "
        "no drift, and the ratio to the bare Lua script.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--connections", type=int, default=64, help="attempts in flight")
    parser.add_argument("--shoppers", type=int, default=500)
    parser.add_argument("--attempts", type=int, default=20000, help="prepared attempts")
    parser.add_argument("--stock", type=int, default=200, help="flash stock S")
    parser.add_argument("--limit", type=int, default=1, help="per shopper")
    parser.add_argument("--load-tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--seconds", type=float, default=10, help="wrk -d")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--after-seconds",
        type=float,
        default=10,
        help="then wrk for this long again with fresh attempts, the stock sold: the refusals "
        "alone (0: skip)",
    )
    add_server_arguments(parser)
    args = parser.parse_args(argv)
    args.concurrency = args.connections  # what checkout's wrk runner reads
    return args


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(parse_args())))
    except BenchError as exc:
        sys.exit(f"bench: {exc}")
