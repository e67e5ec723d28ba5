"""Payment notifications per second through verify -> decrypt -> apply, with p50/p99 latency.

Runs WeShop in-process (its ASGI app through httpx's ASGI transport, no server) on a fresh
temporary SQLite file, or on ``--database-url`` (migrated first; the run's data stays there),
configured for WeChat Pay with keys made for the run, and paysim, also in-process, as the
provider. It creates ``--notifications`` orders and starts their WeChat Pay payments, has
paysim take every payment (paysim queues each TRANSACTION.SUCCESS callback, encrypted with
the APIv3 key, and never sends it), then signs those callbacks with the platform key as
paysim's notifier does on each attempt and measures three runs of the same size:

- verify+decrypt: ``verify_notification`` alone (signature, timestamp, AES-GCM), no HTTP and
  no database: the cost floor of any callback;
- replay: every callback again after it was applied, ``--concurrency`` at a time to
  ``POST /api/v1/payments/notify/wechatpay``: verified, decrypted, then refused by the
  stored-once check (``already_applied``), changing nothing;
- apply: each callback the first time: the order paid, the payment succeeded, the ledger
  posted.

The apply run goes first (a replay needs an applied callback); signing happens before each
run's clock starts. Ratios are against verify+decrypt, measured in the same run::

    .venv/bin/python bench/payments.py --notifications 500 --concurrency 20
    .venv/bin/python bench/payments.py \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/weshop_bench
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from checkout import prepare
from serving import BenchError, create_operator, expect

from weshop.app import create_app
from weshop.core.clock import utcnow
from weshop.core.config import Settings
from weshop.core.migrations import upgrade_async
from weshop.payments.wechatpay.provider import WechatPayProvider
from weshop.payments.wechatpay.setup import build_wechatpay_provider
from weshop.paysim.app import create_app as create_paysim_app
from weshop.paysim.identity import (
    DIRECT_APPID,
    DIRECT_MCHID,
    new_merchant_keys,
    new_platform,
    pem_private,
    pem_public,
    register_merchant_keys,
)
from weshop.paysim.security import signature_headers
from weshop.paysim.simulator import PaySim
from weshop.paysim.store import Store

BASE_URL = "http://weshop.bench"
SIM_URL = "http://paysim.bench"
NOTIFY_PATH = "/api/v1/payments/notify/wechatpay"

Callback = tuple[dict[str, str], bytes]


@dataclass
class Run:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0

    @property
    def per_second(self) -> float:
        return len(self.latencies_ms) / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def configure(data_dir: Path, database_url: str) -> tuple[Settings, PaySim]:
    """WeShop's settings for WeChat Pay with fresh keys, and paysim holding the other half."""
    platform = new_platform()[0]
    merchant = new_merchant_keys()
    (data_dir / "apiclient_key.pem").write_bytes(pem_private(merchant.private_key))
    (data_dir / "platform_public_key.pem").write_bytes(
        pem_public(platform.private_key.public_key())
    )
    settings = Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key=secrets.token_urlsafe(32),
        public_base_url=BASE_URL,
        demo_mode=True,
        run_worker_in_process=False,
        log_level="WARNING",
        otp_per_phone_per_minute=1_000_000,
        otp_per_phone_per_day=1_000_000,
        otp_per_client_per_hour=1_000_000,
        wechatpay_mchid=DIRECT_MCHID,
        wechatpay_appid=DIRECT_APPID,
        wechatpay_private_key_path=data_dir / "apiclient_key.pem",
        wechatpay_cert_serial=merchant.serial,
        wechatpay_apiv3_key=merchant.apiv3_key,
        wechatpay_platform_public_key_path=data_dir / "platform_public_key.pem",
        wechatpay_platform_serial=platform.serial,
        wechatpay_api_base_url=SIM_URL,
        wechatpay_trade_type="native",
    )
    store = Store(":memory:")
    register_merchant_keys(store, merchant)
    return settings, PaySim(store, platform, base_url=SIM_URL)


async def in_lanes(count: int, concurrency: int, one: Callable[[int], Awaitable[None]]) -> float:
    """Run ``one(0..count-1)``, ``concurrency`` at a time; returns the seconds taken."""
    pending = iter(range(count))

    async def lane() -> None:
        # Each lane takes the next index as soon as its previous one is done.
        for index in pending:
            await one(index)

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return time.perf_counter() - started


async def paid_at_paysim(
    client: httpx.AsyncClient,
    sim: PaySim,
    database_url: str,
    settings: Settings,
    count: int,
    concurrency: int,
) -> list[bytes]:
    """``count`` orders with WeChat Pay payments, taken by paysim; its queued callbacks."""
    operator = await create_operator(database_url, settings)
    _, sku_id, shoppers = await prepare(
        client, operator, stock=count, shoppers=min(count, concurrency)
    )
    code_urls: list[str] = []

    async def one(index: int) -> None:
        headers, address_id = shoppers[index % len(shoppers)]
        placed = expect(
            await client.post(
                "/api/v1/me/orders",
                json={"address_id": address_id, "items": [{"sku_id": sku_id, "quantity": 1}]},
                headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            ),
            201,
        )
        payment = expect(
            await client.post(
                f"/api/v1/me/orders/{placed['orders'][0]['id']}/payments",
                params={"provider": "wechatpay"},
                headers=headers,
            ),
            201,
        )
        code_urls.append(payment["cashier_url"])

    await in_lanes(count, concurrency, one)
    for code_url in code_urls:
        # The payer scans the Native code and pays: paysim queues the encrypted callback.
        sim.trading.pay(code_token=parse_qs(urlsplit(code_url).query)["pr"][0])
    rows = sim.store.all(
        "SELECT body FROM notifications WHERE event_type = 'TRANSACTION.SUCCESS' ORDER BY id"
    )
    return [bytes(row["body"]) for row in rows]


async def post_callbacks(
    client: httpx.AsyncClient, name: str, callbacks: list[Callback], concurrency: int
) -> Run:
    run = Run(name)

    async def one(index: int) -> None:
        headers, body = callbacks[index]
        started = time.perf_counter()
        try:
            response = await client.post(NOTIFY_PATH, content=body, headers=headers)
        except httpx.HTTPError as exc:
            run.outcomes[type(exc).__name__] += 1
            return
        run.latencies_ms.append((time.perf_counter() - started) * 1000)
        answer = response.json() if response.status_code == 200 else {}
        run.outcomes[answer.get("message") or f"HTTP {response.status_code}"] += 1

    run.elapsed_s = await in_lanes(len(callbacks), concurrency, one)
    return run


def verify_only(provider: WechatPayProvider, callbacks: list[Callback]) -> Run:
    run = Run("verify+decrypt")
    started = time.perf_counter()
    for headers, body in callbacks:
        began = time.perf_counter()
        notice = provider.verify_notification(headers, body)
        run.latencies_ms.append((time.perf_counter() - began) * 1000)
        run.outcomes[notice.raw["resource"]["trade_state"]] += 1
    run.elapsed_s = time.perf_counter() - started
    return run


def report(runs: list[Run], baseline: Run, args: argparse.Namespace, database: str) -> None:
    print(
        f"payment notifications: {args.notifications} per run, concurrency {args.concurrency}, "
        f"database {database}, in-process (ASGI transport, no network)"
    )
    print(f"{'run':<16}{'per s':>10}{'p50 ms':>10}{'p99 ms':>10}{'vs verify':>11}  outcomes")
    for run in runs:
        ratio = run.per_second / baseline.per_second if baseline.per_second else 0.0
        outcomes = ", ".join(f"{name} {count}" for name, count in sorted(run.outcomes.items()))
        print(
            f"{run.name:<16}{run.per_second:>10.1f}{run.percentile(0.5):>10.2f}"
            f"{run.percentile(0.99):>10.2f}{ratio:>10.3f}x  {outcomes}"
        )


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="weshop-bench-") as data_dir:
        database_url = args.database_url or f"sqlite+aiosqlite:///{data_dir}/bench.db"
        settings, sim = configure(Path(data_dir), database_url)
        await upgrade_async(database_url)
        app = create_app(settings, check_schema=False)
        runtime = app.state.runtime
        # WeShop's WeChat Pay client talks to paysim in-process instead of over the network.
        provider = build_wechatpay_provider(
            settings,
            BASE_URL + NOTIFY_PATH,
            transport=httpx.ASGITransport(app=create_paysim_app(sim)),
        )
        runtime.components["payment_providers"]["wechatpay"] = provider
        transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 50000))
        try:
            async with httpx.AsyncClient(
                transport=transport, base_url=BASE_URL, timeout=60
            ) as client:
                bodies = await paid_at_paysim(
                    client, sim, database_url, settings, args.notifications, args.concurrency
                )
                if len(bodies) != args.notifications:
                    raise BenchError(f"paysim queued {len(bodies)} callbacks")

                def signed() -> list[Callback]:
                    # Signed afresh per run, as paysim signs each attempt (5 minutes valid).
                    now = utcnow()
                    return [
                        (
                            {
                                "Content-Type": "application/json",
                                **signature_headers(sim.platform, now, body),
                            },
                            body,
                        )
                        for body in bodies
                    ]

                applied = await post_callbacks(client, "apply", signed(), args.concurrency)
                replayed = await post_callbacks(client, "replay", signed(), args.concurrency)
                baseline = verify_only(provider, signed())
        finally:
            await runtime.components["payments"].close()
            await runtime.close()
            sim.store.close()
    report([baseline, replayed, applied], baseline, args, _database_kind(database_url))
    expected = {"apply": "applied", "replay": "already_applied"}
    wrong = [
        run.name
        for run in (applied, replayed)
        if run.outcomes != Counter({expected[run.name]: args.notifications})
    ]
    if wrong:
        print(f"unexpected outcomes in: {', '.join(wrong)}", file=sys.stderr)
        return 1
    return 0


def _database_kind(url: str) -> str:
    return "sqlite (temporary file)" if url.startswith("sqlite") else url.split(":", 1)[0]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--notifications", type=int, default=300, help="callbacks per run")
    parser.add_argument("--concurrency", type=int, default=20, help="callbacks in flight")
    parser.add_argument(
        "--database-url", help="WeShop's database (default: a temporary SQLite file)"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(parse_args())))
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(2)
