"""Payment notifications per second through a real server: verify -> decrypt -> apply.

Starts ``weshop serve --no-worker`` (``--server-workers`` processes) over a fresh temporary
SQLite file or ``--database-url`` (migrated; the run's data stays there), configured for
WeChat Pay in partner mode against paysim, which runs inside this process on a port of its
own (WeShop's request signing, paysim's cashier and its APIv3-encrypted callbacks are the
real protocol). Through the server's API it creates a store (given a sub-merchant),
``--skus`` products of one SKU each (default 1: every order then shares its stock and sales
rows) and ``--notifications`` orders spread over them, and starts their WeChat Pay
payments; paysim takes every payment and queues each TRANSACTION.SUCCESS callback, which it
never sends. Those callbacks
are then signed with the platform key, as paysim's notifier does on each attempt (signing
happens before each run's clock starts), and each run sends every one once, over
``--concurrency`` keep-alive connections, from ``--client-processes`` client processes
(each callback is a distinct request sent once, which ``wrk -d`` cannot do):

- bare: the same requests to the bare Starlette app on the same uvicorn stack
  (``bench/bare.py``), first and last: the ceiling of this client and of the stack;
- apply: each callback the first time: verified, decrypted, stored once, the order paid,
  the payment succeeded, the ledger posted;
- replay: every callback again: verified, decrypted, then refused by the stored-once check
  (``already_applied``), changing nothing;
- verify+decrypt: ``verify_notification`` alone in this process (signature, timestamp,
  AES-GCM; no HTTP, no database): the cost floor of any callback.

ratio = the run's notifications/s over the bare app's mean. CPU ms is the server processes'
user+system time per notification; SQL per notification shows on PostgreSQL with
``pg_stat_statements``. Afterwards the ledger is checked (``weshop ledger check``'s rules).
The exit code is 1 when an answer was not the expected one or the ledger check failed::

    .venv/bin/python bench/payments.py --self-host sqlite
    .venv/bin/python bench/payments.py --self-host postgresql --server-workers 2 \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/weshop_bench
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import uvicorn
from checkout import client_limits, prepare
from load import CLOCK_TICKS, Sent, SqlCounter, cpu_seconds, raw_request, send_each, server_stack
from serving import BenchError, Target, bare_server, expect, free_port, hosting

from weshop.core.clock import utcnow
from weshop.core.config import Settings
from weshop.core.db import Database
from weshop.demo.wechatpay import OfflineWechatPay, open_offline_wechatpay, wechatpay_settings
from weshop.ledger.check import check_ledger
from weshop.payments import sub_merchants
from weshop.payments.wechatpay.provider import WechatPayProvider
from weshop.payments.wechatpay.setup import build_wechatpay_provider
from weshop.paysim.app import create_app as create_paysim_app
from weshop.paysim.security import signature_headers

NOTIFY_PATH = "/api/v1/payments/notify/wechatpay"
EXPECTED = {"apply": "applied", "replay": "already_applied", "bare": "HTTP 200"}
BARE_REQUESTS = 10_000


def outcome_of(status: int, body: bytes) -> str:
    """WeShop's answer to a callback (its ``message``), or the bare app's status."""
    if status == 200:
        with contextlib.suppress(ValueError, AttributeError):
            message = json.loads(body).get("message")
            if message:
                return str(message)
    return f"HTTP {status}"


@contextlib.asynccontextmanager
async def paysim_serving(scratch: Path) -> AsyncIterator[OfflineWechatPay]:
    """paysim on a free port of this process, its keys and state under ``scratch``; it
    queues callbacks and never sends them (no background loop)."""
    port = free_port()
    wechat = open_offline_wechatpay(scratch, "127.0.0.1", port)
    config = uvicorn.Config(
        create_paysim_app(wechat.sim), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            await serving
            raise BenchError("paysim did not start")
        await asyncio.sleep(0.05)
    try:
        yield wechat
    finally:
        server.should_exit = True
        await serving
        wechat.sim.store.close()


def server_env(settings: dict[str, object]) -> dict[str, str]:
    return {f"WESHOP_{name.upper()}": str(value) for name, value in settings.items()}


async def give_sub_merchant(target: Target, wechat: OfflineWechatPay, store_id: int) -> None:
    """The bench's store becomes a sub-merchant at paysim (as if its application passed)."""
    assert target.database_url is not None
    db = Database(target.database_url)
    try:
        async with db.transaction() as session:
            sub_mchid = wechat.sim.open_sub_merchant(f"压测小店 {store_id}")
            await sub_merchants.record_sub_mchid(session, store_id, "wechatpay", sub_mchid)
    finally:
        await db.dispose()


async def paid_at_paysim(
    target: Target, wechat: OfflineWechatPay, args: argparse.Namespace
) -> list[bytes]:
    """``--notifications`` orders with WeChat Pay payments, taken by paysim; its queued
    callbacks. Order ``i`` buys SKU ``i % --skus`` (one SKU: every order shares its rows)."""
    count, concurrency = args.notifications, args.concurrency
    code_urls: list[str] = []
    async with httpx.AsyncClient(
        base_url=target.base_url, timeout=120, limits=client_limits(concurrency)
    ) as client:
        shop = await prepare(
            client,
            target.operator,
            stock=count,
            skus=args.skus,
            shoppers=min(count, concurrency),
        )
        product = expect(await client.get(f"/api/v1/shop/products/{shop.product_ids[0]}"), 200)
        await give_sub_merchant(target, wechat, product["store"]["id"])
        shoppers, sku_ids = shop.shoppers, shop.sku_ids
        pending = iter(range(count))

        async def lane() -> None:
            for index in pending:
                headers, address_id = shoppers[index % len(shoppers)]
                placed = expect(
                    await client.post(
                        "/api/v1/me/orders",
                        json={
                            "address_id": address_id,
                            "items": [{"sku_id": sku_ids[index % len(sku_ids)], "quantity": 1}],
                        },
                        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                    ),
                    201,
                )
                payment = expect(
                    await client.post(
                        f"/api/v1/me/orders/{placed['orders'][0]['id']}/payments",
                        params={"provider": "wechatpay"},
                        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                    ),
                    201,
                )
                code_urls.append(payment["cashier_url"])

        await asyncio.gather(*(lane() for _ in range(concurrency)))
    for code_url in code_urls:
        # The payer scans the Native code and pays: paysim queues the encrypted callback.
        wechat.sim.trading.pay(code_token=parse_qs(urlsplit(code_url).query)["pr"][0])
    rows = wechat.sim.store.all(
        "SELECT body FROM notifications WHERE event_type = 'TRANSACTION.SUCCESS' ORDER BY id"
    )
    return [bytes(row["body"]) for row in rows]


class Measured:
    """One run: what the client saw, and the server's CPU and SQL per notification."""

    def __init__(self, name: str, sent: Sent, cpu_s: float | None, sql: int | None) -> None:
        self.name, self.sent = name, sent
        count = len(sent.latencies_ms) or 1
        self.cpu_ms = cpu_s * 1000 / count if cpu_s is not None else None
        self.sql = sql / count if sql is not None else None


async def send_run(
    name: str,
    url: str,
    requests: list[bytes],
    args: argparse.Namespace,
    pid: int | None,
    sql: SqlCounter | None = None,
) -> Measured:
    calls = await sql.calls() if sql else None
    cpu = cpu_seconds(pid) if pid else None
    sent = await send_each(
        url,
        requests,
        connections=args.concurrency,
        processes=args.client_processes,
        outcome_of=outcome_of,
    )
    cpu_s = cpu_seconds(pid) - cpu if pid and cpu is not None else None
    after = await sql.calls() if sql and calls is not None else None
    # Our own pg_stat_statements query is counted too: take it off.
    statements = after - calls - 1 if after is not None and calls is not None else None
    return Measured(name, sent, cpu_s, statements)


def verify_only(provider: WechatPayProvider, callbacks: list[tuple[dict[str, str], bytes]]) -> Sent:
    run = Sent()
    started = time.perf_counter()
    for headers, body in callbacks:
        began = time.perf_counter()
        notice = provider.verify_notification(headers, body)
        run.latencies_ms.append((time.perf_counter() - began) * 1000)
        run.outcomes[notice.raw["resource"]["trade_state"]] += 1
    run.elapsed_s = time.perf_counter() - started
    return run


async def run_bench(args: argparse.Namespace, scratch: Path) -> int:
    async with paysim_serving(scratch) as wechat:
        # Native payments: the cashier URL carries the code the payer scans at paysim.
        settings = {**wechatpay_settings(wechat, scratch), "wechatpay_trade_type": "native"}
        async with hosting(
            args.self_host,
            args.database_url,
            server_workers=args.server_workers,
            no_worker=True,
            extra_env=server_env(settings),
        ) as target:
            bodies = await paid_at_paysim(target, wechat, args)
            if len(bodies) != args.notifications:
                raise BenchError(f"paysim queued {len(bodies)} callbacks")
            notify_url = target.base_url + NOTIFY_PATH

            def signed() -> list[tuple[dict[str, str], bytes]]:
                # Signed afresh per run, as paysim signs each attempt (5 minutes valid).
                now = utcnow()
                return [
                    (
                        {
                            "Content-Type": "application/json",
                            **signature_headers(wechat.sim.platform, now, body),
                        },
                        body,
                    )
                    for body in bodies
                ]

            def wire(url: str, at_least: int = 0) -> list[bytes]:
                requests = [raw_request(url, "POST", headers, body) for headers, body in signed()]
                # The bare app answers in microseconds: repeated, its run lasts long enough.
                return requests * -(-at_least // len(requests)) if at_least else requests

            sql = SqlCounter(target.database_url)
            async with bare_server(target) as (bare_url, bare_pid, options):
                bare_requests = wire(bare_url + "/", at_least=BARE_REQUESTS)
                runs = [await send_run("bare", bare_url, bare_requests, args, bare_pid)]
                for name in ("apply", "replay"):
                    requests = wire(notify_url)
                    runs.append(await send_run(name, notify_url, requests, args, target.pid, sql))
                runs.append(await send_run("bare", bare_url, bare_requests, args, bare_pid))
                stacks = f"weshop {server_stack(target.pid)}, bare {server_stack(bare_pid)}"
            provider = build_wechatpay_provider(
                Settings(
                    database_url=target.database_url,
                    public_base_url=target.base_url,
                    **settings,
                ),
                notify_url,
            )
            floor = verify_only(provider, signed())
            ledger = await ledger_violations(target)
    report(args, runs, floor, stacks, options, ledger)
    sent = {run.name: len(run.sent.latencies_ms) for run in runs}
    wrong = [run.name for run in runs if run.sent.outcomes != {EXPECTED[run.name]: sent[run.name]}]
    wrong += [name for name in ("apply", "replay") if sent[name] != args.notifications]
    if wrong:
        print(f"unexpected answers in: {', '.join(sorted(set(wrong)))}", file=sys.stderr)
    return 1 if wrong or ledger else 0


async def ledger_violations(target: Target) -> list[str]:
    assert target.database_url is not None
    db = Database(target.database_url)
    try:
        async with db.session(write=False) as session, session.begin():
            found = await check_ledger(session)
    finally:
        await db.dispose()
    return [str(violation) for violation in found.violations]


def report(
    args: argparse.Namespace,
    runs: list[Measured],
    floor: Sent,
    stacks: str,
    options: dict[str, object],
    ledger: list[str],
) -> None:
    bare = [run.sent.per_second for run in runs if run.name == "bare"]
    base = sum(bare) / len(bare)
    where = args.database_url.split(":", 1)[0] if args.database_url else "sqlite (temporary)"
    print(
        f"payment notifications: {args.notifications} per run, {args.concurrency} keep-alive "
        f"connections from {args.client_processes} client processes, {args.skus} SKU(s); "
        f"`weshop serve "
        f"--workers {args.server_workers} --no-worker` on {where}"
    )
    print(f"server stack: {stacks}; bare app's uvicorn options: {options}")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    show_sql = any(run.sql is not None for run in runs)
    print(
        f"{'run':<16}{'per s':>9}{'ratio':>8}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms':>8}"
        + (f"{'SQL':>6}" if show_sql else "")
        + "  answers"
    )
    rows = [(run.name, run.sent, run.sent.per_second / base, run.cpu_ms, run.sql) for run in runs]
    rows.append(("verify+decrypt", floor, floor.per_second / base, None, None))
    for name, sent, ratio, cpu_ms, sql in rows:
        answers = ", ".join(f"{name} {count}" for name, count in sorted(sent.outcomes.items()))
        cpu = f"{cpu_ms:>8.2f}" if cpu_ms is not None else f"{'—':>8}"
        statements = (f"{sql:>6.1f}" if sql is not None else f"{'—':>6}") if show_sql else ""
        print(
            f"{name:<16}{sent.per_second:>9,.0f}{ratio:>8.3f}{sent.percentile(0.5):>9.1f}"
            f"{sent.percentile(0.99):>9.1f}{cpu}{statements}  {answers}"
        )
    print(
        f"ratio = per s over the bare app's mean ({base:,.0f}/s; runs: "
        f"{', '.join(f'{rate:,.0f}' for rate in bare)}): the same requests, client and "
        f"connections; the bare runs are this client's ceiling. CPU ms = server processes' "
        f"user+system time per notification (clock tick {1000 / CLOCK_TICKS:.0f} ms); "
        "verify+decrypt: in this process, one at a time"
    )
    print(f"ledger check: {'OK' if not ledger else f'{len(ledger)} violations'}")
    for violation in ledger[:20]:
        print(f"  {violation}")


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="weshop-bench-paysim-") as scratch:
        return await run_bench(args, Path(scratch))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--notifications", type=int, default=600, help="callbacks per run")
    parser.add_argument("--concurrency", type=int, default=20, help="connections (in flight)")
    parser.add_argument(
        "--skus", type=int, default=1, help="products of one SKU each that the orders spread over"
    )
    parser.add_argument(
        "--client-processes", type=int, default=2, help="processes sending the callbacks"
    )
    parser.add_argument(
        "--self-host",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="the database of the server started for the run",
    )
    parser.add_argument(
        "--database-url", help="the server's database (with --self-host postgresql)"
    )
    parser.add_argument("--server-workers", type=int, default=1, help="server processes")
    args = parser.parse_args(argv)
    counts = (args.notifications, args.concurrency, args.client_processes, args.server_workers)
    if min(*counts, args.skus) < 1:
        parser.error("counts must be at least 1")
    return args


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(parse_args())))
    except BenchError as exc:
        sys.exit(f"bench: {exc}")
