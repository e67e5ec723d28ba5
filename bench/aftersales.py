"""After-sales benchmark: the time from a shopper's fast-refund request to the refund's
success, through WeChat Pay's refund protocol against paysim.

Starts ``weshop serve`` (with its in-process outbox worker, as the embedded default runs)
over a fresh temporary SQLite file or ``--database-url`` (migrated), configured for WeChat
Pay in partner mode against paysim, which runs inside this process on a port of its own
with its background work (refunds succeed, callbacks are sent) every ``--paysim-poll``
seconds. Through the server's API it makes a store (given a sub-merchant), one product and
``--requests`` shoppers, each with one paid order (paid at paysim, the callback applied by
the server). Then, one at a time, each shopper asks for a refund of their unshipped line:
a fast refund (极速退款), approved in the request that asks; the worker sends it to paysim
after commit, paysim's REFUND.SUCCESS callback completes it, and the shopper's request reads
``refunded``. Printed: the request's own answer time and the time until ``refunded``
(median, p95, max), and the ledger check (``weshop ledger check``'s rules); the exit code
is 1 when a request did not end refunded or the ledger check failed::

    .venv/bin/python bench/aftersales.py --self-host sqlite
    .venv/bin/python bench/aftersales.py --self-host postgresql \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/weshop_bench
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from checkout import prepare
from serving import BenchError, Headers, expect, hosting

from payments import give_sub_merchant, ledger_violations, paysim_serving, server_env
from weshop.demo.wechatpay import wechatpay_settings


async def paid_orders(
    client: httpx.AsyncClient, wechat, shoppers: list[tuple[Headers, int]], sku_id: int
) -> list[tuple[Headers, dict]]:
    """One order per shopper, paid at paysim; waits until the server has applied each
    payment's callback."""
    placed = []
    for headers, address_id in shoppers:
        order = expect(
            await client.post(
                "/api/v1/me/orders",
                json={"address_id": address_id, "items": [{"sku_id": sku_id, "quantity": 1}]},
                headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            ),
            201,
        )["orders"][0]
        payment = expect(
            await client.post(
                f"/api/v1/me/orders/{order['id']}/payments",
                params={"provider": "wechatpay"},
                headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            ),
            201,
        )
        wechat.sim.trading.pay(code_token=parse_qs(urlsplit(payment["cashier_url"]).query)["pr"][0])
        placed.append((headers, order))
    for headers, order in placed:
        for _ in range(600):
            seen = expect(
                await client.get(f"/api/v1/me/orders/{order['id']}", headers=headers), 200
            )
            if seen["status"] == "paid":
                order.update(seen)
                break
            await asyncio.sleep(0.05)
        else:
            raise BenchError(f"order {order['id']} was not paid within 30 s")
    return placed


async def refund_once(
    client: httpx.AsyncClient, headers: Headers, order: dict, wait_seconds: float
) -> tuple[float, float, bool]:
    """Ask for a refund of the order's line; (answer seconds, until refunded, was it fast)."""
    started = time.perf_counter()
    asked = expect(
        await client.post(
            "/api/v1/me/aftersales",
            json={
                "order_id": order["id"],
                "order_line_id": order["lines"][0]["id"],
                "quantity": 1,
                "kind": "refund_only",
                "reason_code": "changed_mind",
            },
            headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        ),
        201,
    )
    answered = time.perf_counter() - started
    while time.perf_counter() - started < wait_seconds:
        seen = expect(
            await client.get(f"/api/v1/me/aftersales/{asked['id']}", headers=headers), 200
        )
        if seen["status"] == "refunded":
            return answered, time.perf_counter() - started, asked["fast"]
        await asyncio.sleep(0.01)
    raise BenchError(f"request {asked['id']} was not refunded within {wait_seconds} s")


def summary(name: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"{name:<22} median {statistics.median(ordered) * 1000:8.1f} ms"
        f"   p95 {p95 * 1000:8.1f} ms   max {ordered[-1] * 1000:8.1f} ms"
    )


async def run(args: argparse.Namespace, scratch: Path) -> int:
    async with paysim_serving(scratch) as wechat:
        stop = asyncio.Event()
        background = asyncio.create_task(wechat.sim.run(stop, poll_seconds=args.paysim_poll))
        settings = {**wechatpay_settings(wechat, scratch), "wechatpay_trade_type": "native"}
        try:
            async with (
                hosting(
                    args.self_host, args.database_url, extra_env=server_env(settings)
                ) as target,
                httpx.AsyncClient(base_url=target.base_url, timeout=60) as client,
            ):
                shop = await prepare(
                    client, target.operator, stock=args.requests, skus=1, shoppers=args.requests
                )
                product = expect(
                    await client.get(f"/api/v1/shop/products/{shop.product_ids[0]}"), 200
                )
                await give_sub_merchant(target, wechat, product["store"]["id"])
                orders = await paid_orders(client, wechat, shop.shoppers, shop.sku_ids[0])
                timings = [
                    await refund_once(client, headers, order, args.timeout)
                    for headers, order in orders
                ]
                ledger = await ledger_violations(target)
        finally:
            stop.set()
            with contextlib.suppress(Exception):
                await background
    print(f"after-sales fast refunds over WeChat Pay (paysim), {args.self_host or 'remote'}")
    print(f"requests: {len(timings)}, fast: {sum(fast for *_, fast in timings)}")
    print(
        "worker poll: the server's WESHOP_WORKER_POLL_SECONDS (default 1.0 s); "
        f"paysim poll {args.paysim_poll} s"
    )
    print(summary("request answered", [answered for answered, _, _ in timings]))
    print(summary("request -> refunded", [done for _, done, _ in timings]))
    print(f"ledger check: {ledger if ledger else 'clean'}")
    return 1 if ledger or not all(fast for *_, fast in timings) else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--self-host", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--database-url", help="the server's database (PostgreSQL: required)")
    parser.add_argument("--requests", type=int, default=30, help="shoppers, one request each")
    parser.add_argument("--paysim-poll", type=float, default=0.05, help="paysim's background")
    parser.add_argument("--timeout", type=float, default=60.0, help="per request, seconds")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="weshop-aftersales-") as scratch:
        try:
            return asyncio.run(run(args, Path(scratch)))
        except BenchError as exc:
            print(f"bench failed: {exc}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
