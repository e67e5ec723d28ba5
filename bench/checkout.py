"""Concurrent checkout benchmark: throughput, latency and proof of no oversell, over HTTP.

Drives a running WeShop server through its public API only. It makes its own data: a store,
``--skus`` products of one SKU each holding ``--stock`` units (default one: every checkout
fights for one stock row), and ``--shoppers`` shoppers with an address each; checkout ``i``
is shopper ``i % shoppers`` buying one unit of SKU ``i % skus`` (``--skus`` equal to
``--shoppers``: each shopper buys a SKU of their own). Then it fires the checkouts,
``--concurrency`` at a time, and prints orders/s, latency, accepted orders, out-of-stock
answers, other errors and the oversell count (accepted orders beyond the stock). Finally it
re-reads the SKUs and checks that ``stock - available`` adds up to the accepted orders. The
exit code is 1 when anything was oversold, the stock does not add up or a request failed
otherwise.

The load: **wrk** when it is installed (``--load-tool auto``; ``wrk``), with
``bench/checkout.lua`` walking the prepared list of ``--orders`` checkouts (token,
Idempotency-Key, body) for ``--seconds``, ``--threads`` threads and ``--concurrency``
connections; each checkout is sent once, and a thread that runs out stops (the report says
so: prepare more ``--orders``). Or (``--load-tool python``) this process's httpx client,
which sends all ``--orders`` and tops out near ~250 requests/s on this machine.

One command per database, with a server of its own (``weshop serve`` on a free port, a fresh
temporary SQLite file or the given database, migrated, with an operator made for the run)::

    .venv/bin/python bench/checkout.py --self-host sqlite
    .venv/bin/python bench/checkout.py --self-host postgresql \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/weshop_bench
    # distinct SKUs, two server processes, wrk for 10 s over up to 6,000 checkouts
    .venv/bin/python bench/checkout.py --self-host postgresql --server-workers 2 \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/weshop_bench \\
        --skus 50 --shoppers 50 --orders 6000 --stock 1000

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
import json
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx
import load
from serving import (
    BENCH_DIR,
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


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    accepted: int = 0
    out_of_stock: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0
    # Set by wrk, which gives percentiles rather than every latency.
    p50_ms: float | None = None
    p99_ms: float | None = None
    ran_out: int = 0
    # 200 answers: the bare app's, or GET /healthz of a wrk thread that ran out.
    plain_ok: int = 0
    # Server CPU (all its processes) per answered checkout, when the bench knows its PID.
    cpu_ms: float | None = None

    @property
    def answered(self) -> int:
        return self.accepted + self.out_of_stock + sum(self.errors.values())


@dataclass
class Shop:
    product_ids: list[int]
    sku_ids: list[int]
    shoppers: list[tuple[Headers, int]]


async def prepare(
    client: httpx.AsyncClient, operator: Operator, *, stock: int, skus: int, shoppers: int
) -> Shop:
    """Store, ``skus`` products of one SKU each and signed-in shoppers with addresses."""
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
    products = []
    for number in range(skus):
        products.append(
            expect(
                await client.post(
                    f"/api/v1/merchant/stores/{store['id']}/products",
                    json={
                        "title": f"压测限量款 {number + 1}",
                        "specs": [],
                        "default_price_fen": 9900,
                        "default_stock": stock,
                        "publish": True,
                    },
                    headers=owner,
                ),
                201,
            )
        )

    signed_in = await asyncio.gather(
        *(signed_in_shopper(client, phone) for phone in shopper_phones)
    )
    return Shop(
        [product["id"] for product in products],
        [product["skus"][0]["id"] for product in products],
        list(signed_in),
    )


def checkout_of(shop: Shop, index: int) -> tuple[Headers, dict]:
    """Checkout ``index``: shopper ``index % shoppers`` buys one unit of SKU ``index % skus``."""
    headers, address_id = shop.shoppers[index % len(shop.shoppers)]
    sku_id = shop.sku_ids[index % len(shop.sku_ids)]
    return headers, {"address_id": address_id, "items": [{"sku_id": sku_id, "quantity": 1}]}


async def fire(client: httpx.AsyncClient, shop: Shop, *, orders: int, concurrency: int) -> Results:
    results = Results()
    pending = iter(range(orders))

    async def one(index: int) -> None:
        headers, body = checkout_of(shop, index)
        started = time.perf_counter()
        try:
            response = await client.post(
                "/api/v1/me/orders",
                json=body,
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


def write_checkouts(shop: Shop, orders: int, path: str) -> None:
    """The list ``bench/checkout.lua`` walks: token, Idempotency-Key and body a line."""
    with open(path, "w", encoding="utf-8") as file:
        for index in range(orders):
            headers, body = checkout_of(shop, index)
            token = headers["Authorization"].removeprefix("Bearer ")
            file.write(f"{token}\t{uuid.uuid4().hex}\t{json.dumps(body)}\n")


async def fire_wrk(
    base_url: str, checkouts: str, args: argparse.Namespace, *, path: str | None = None
) -> Results:
    """wrk with bench/checkout.lua over the prepared checkouts, for --seconds."""
    command = [
        load.WRK or "wrk",
        f"-t{args.threads}",
        f"-c{args.concurrency}",
        f"-d{args.seconds:g}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        os.path.join(BENCH_DIR, "checkout.lua"),
        base_url,
    ]
    env = {**os.environ, "WRK_REQUESTS_FILE": checkouts, "WRK_THREADS": str(args.threads)}
    if path:  # the bare app: any path, and the list again when it runs out
        env.update(WRK_PATH=path, WRK_CYCLE="1")
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env
    )
    output = (await process.communicate())[0].decode(errors="replace")
    if process.returncode != 0:
        raise BenchError(f"wrk failed ({process.returncode}):\n{output}")
    figures = load.parse_wrk(output)
    answers = dict(re.findall(r"(\w+)=(\d+)", output.split("answers", 1)[-1].split("\n")[0]))
    ran_out = re.search(r"threads out of checkouts (\d+)", output)
    results = Results(
        accepted=int(answers.pop("201", 0)),
        out_of_stock=int(answers.pop("out_of_stock", 0)),
        elapsed_s=float(re.search(r"requests in ([\d.]+)s", output).group(1)),  # type: ignore[union-attr]
        p50_ms=figures["p50_ms"],
        p99_ms=figures["p99_ms"],
        ran_out=int(ran_out.group(1)) if ran_out else 0,
    )
    results.plain_ok = int(answers.pop("200", 0))
    results.errors.update({status: int(count) for status, count in answers.items()})
    socket = re.search(r"Socket errors: (.*)", output)
    if socket:
        results.errors[f"socket errors ({socket.group(1)})"] += 1
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
    use_wrk = args.load_tool == "wrk" or (args.load_tool == "auto" and load.WRK is not None)
    with tempfile.TemporaryDirectory(prefix="weshop-checkout-") as scratch:
        checkouts = os.path.join(scratch, "checkouts.tsv")
        async with httpx.AsyncClient(
            base_url=target.base_url, timeout=120, limits=client_limits(args.concurrency)
        ) as client:
            shop = await prepare(
                client,
                target.operator,
                stock=args.stock,
                skus=args.skus,
                shoppers=args.shoppers or args.concurrency,
            )
            if use_wrk:
                write_checkouts(shop, args.orders, checkouts)
            cpu_before = load.cpu_seconds(target.pid) if target.pid else None
            if use_wrk:
                results = await fire_wrk(target.base_url, checkouts, args)
            else:
                results = await fire(client, shop, orders=args.orders, concurrency=args.concurrency)
            if cpu_before is not None and target.pid and results.answered:
                spent = load.cpu_seconds(target.pid) - cpu_before
                results.cpu_ms = 1000 * spent / results.answered
            available = 0
            for product_id in shop.product_ids:
                product = expect(await client.get(f"/api/v1/shop/products/{product_id}"), 200)
                available += product["skus"][0]["available"]
        ceiling = None
        if not args.no_baseline:
            async with bare_server(target) as (bare_url, _pid, _options):
                if use_wrk:
                    bare = await fire_wrk(bare_url, checkouts, args, path="/")
                    ceiling = bare.plain_ok / bare.elapsed_s
                else:
                    ceiling = await client_ceiling(
                        bare_url, requests=max(args.orders, 2000), concurrency=args.concurrency
                    )
    tool = f"wrk -t{args.threads} -c{args.concurrency} -d{args.seconds:g}s" if use_wrk else "httpx"
    return report(args, target.base_url, tool, len(shop.shoppers), results, available, ceiling)


def report(
    args: argparse.Namespace,
    base_url: str,
    tool: str,
    shoppers: int,
    results: Results,
    available: int,
    ceiling: float | None,
) -> int:
    stock = args.stock * args.skus
    oversold = max(0, results.accepted - stock) if args.skus == 1 else 0
    placed = stock - available
    # wrk stops on time: checkouts in flight then are placed, but their answers never read.
    in_flight = args.concurrency if results.p50_ms is not None else 0
    errors = sum(results.errors.values())
    target = f"self-hosted {args.self_host}" if args.self_host else "external server"
    rate = results.answered / results.elapsed_s
    print(f"WeShop checkout benchmark: {base_url} ({target}, load: {tool})")
    print(
        f"  checkouts           {results.answered} of {args.orders} prepared (concurrency "
        f"{args.concurrency}, {shoppers} shoppers, {args.skus} SKUs of {args.stock} units, "
        f"server workers {args.server_workers})"
    )
    print(
        f"  throughput          {rate:.1f} checkouts/s, {results.accepted / results.elapsed_s:.1f} "
        f"orders/s ({results.elapsed_s:.2f} s)"
    )
    if results.ran_out:
        print(
            f"  note                {results.ran_out} wrk threads ran out of checkouts before "
            "the end: the rate is a lower bound, prepare more --orders"
        )
    if ceiling is not None:
        print(
            f"  client ceiling      {ceiling:.0f} req/s (this client, same requests and "
            f"concurrency, against the bare app on the same uvicorn); checkout is "
            f"{rate / ceiling:.3f} of it"
        )
    if results.cpu_ms is not None:
        print(f"  server CPU          {results.cpu_ms:.1f} ms per checkout")
    if results.p50_ms is not None:
        print(f"  latency p50/p99     {results.p50_ms:.1f} / {results.p99_ms:.1f} ms")
    else:
        latencies = results.latencies_ms or [0.0]
        cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
        print(f"  latency p50/p95/p99 {cuts[49]:.1f} / {cuts[94]:.1f} / {cuts[98]:.1f} ms")
    print(f"  accepted            {results.accepted}")
    print(f"  out of stock        {results.out_of_stock}")
    print(f"  other errors        {errors} {dict(results.errors) if errors else ''}".rstrip())
    print(f"  oversold            {oversold}")
    adds_up = 0 <= placed - results.accepted <= in_flight
    print(
        f"  stock check         stock - available = {placed}, accepted {results.accepted}"
        + (f" (+ at most {in_flight} in flight when wrk stopped)" if in_flight else "")
        + f": {'OK' if adds_up else 'MISMATCH'}"
    )
    return 1 if oversold or not adds_up or errors else 0


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
    parser.add_argument(
        "--orders",
        type=int,
        default=500,
        help="checkouts to attempt (python) or prepared for wrk to walk (its upper bound)",
    )
    parser.add_argument(
        "--stock",
        type=int,
        default=300,
        help="units of each SKU (fewer than the orders for it sells out)",
    )
    parser.add_argument("--skus", type=int, default=1, help="SKUs; checkout i buys SKU i %% skus")
    parser.add_argument("--shoppers", type=int, help="distinct shoppers (default: --concurrency)")
    parser.add_argument(
        "--load-tool",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="wrk with bench/checkout.lua when installed (auto), or this process's httpx",
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--seconds", type=float, default=10, help="wrk -d")
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the client's ceiling against the bare app",
    )
    add_server_arguments(parser)
    args = parser.parse_args(argv)
    if min(args.concurrency, args.orders, args.server_workers, args.skus, args.threads) < 1:
        parser.error(
            "--concurrency, --orders, --server-workers, --skus and --threads must be at least 1"
        )
    if args.stock < 0:
        parser.error("--stock cannot be negative")
    return args


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(parse_args())))
    except BenchError as exc:
        sys.exit(f"bench: {exc}")
