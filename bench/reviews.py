"""The store page and the DSR with 10,000 reviews: what the scores cost, cold and kept.

Builds a database of its own (a fresh SQLite file, or the PostgreSQL database given, whose
tables it drops), opens a store through the API, completes one order, then writes 10,000
more completed orders of it with a review and the order's stars each, spread over 180 days
(rows copied in bulk by SQL: the API would take minutes). It then times, in-process (ASGI,
no server; medians of ``--rounds``):

- the bare statement: ``SELECT count(*) FROM reviews WHERE store_id = ?``, the baseline;
- the DSR's two aggregates as ``reviews.service.store_scores`` runs them, uncached;
- ``GET /api/v1/shop/stores/{id}/scores`` and the store page ``GET /s/{id}``, each cold
  (a review was just written, so no cache holds) and warm (nothing changed since)::

    .venv/bin/python bench/reviews.py
    .venv/bin/python bench/reviews.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/weshop_bench
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from weshop.app import create_app
from weshop.core.clock import utcnow
from weshop.core.config import Settings
from weshop.core.migrations import upgrade_async
from weshop.reviews import repository as repo
from weshop.reviews.service import dsr_windows

REVIEWS = 10_000
HTML = {"Accept": "text/html"}


async def timed(rounds: int, step: Callable[[], Awaitable[Any]]) -> float:
    """Median milliseconds of ``step``."""
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        await step()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


async def answer(client: httpx.AsyncClient, method: str, path: str, **kw: Any) -> Any:
    response = await client.request(method, path, **kw)
    if response.status_code >= 400:
        raise SystemExit(f"{method} {path}: {response.status_code} {response.text[:300]}")
    return response.json() if "json" in response.headers.get("content-type", "") else None


async def sign_in(client: httpx.AsyncClient, phone: str) -> dict[str, str]:
    sent = await answer(client, "POST", "/api/v1/auth/codes", json={"phone": phone})
    body = {"phone": phone, "code": sent["demo_code"]}
    session = await answer(client, "POST", "/api/v1/auth/sessions", json=body)
    return {"Authorization": f"Bearer {session['token']}"}


async def one_reviewed_order(client: httpx.AsyncClient, runtime: Any) -> tuple[int, dict]:
    from weshop.accounts import service as accounts

    async with runtime.db.transaction() as session:
        await accounts.create_operator(session, "13900000000", "bench-password", "运营")
    login = {"phone": "13900000000", "password": "bench-password"}
    token = (await answer(client, "POST", "/api/v1/auth/sessions", json=login))["token"]
    operator = {"Authorization": f"Bearer {token}"}
    body = {"name": "评价压测店", "owner_phone": "13900000001"}
    store = await answer(client, "POST", "/api/v1/platform/stores", json=body, headers=operator)
    owner = await sign_in(client, "13900000001")
    base = f"/api/v1/merchant/stores/{store['id']}"
    product = await answer(
        client,
        "POST",
        f"{base}/products",
        json={
            "title": "压测商品",
            "specs": [],
            "default_price_fen": 100,
            "default_stock": 99,
            "publish": True,
        },
        headers=owner,
    )
    shopper = await sign_in(client, "13900000002")
    address = await answer(
        client,
        "POST",
        "/api/v1/me/addresses",
        json={
            "recipient": "张三",
            "phone": "13900000002",
            "province": "浙江省",
            "city": "杭州市",
            "detail": "文三路 1 号",
        },
        headers=shopper,
    )
    items = [{"sku_id": product["skus"][0]["id"], "quantity": 1}]
    placed = await answer(
        client,
        "POST",
        "/api/v1/me/orders",
        json={"address_id": address["id"], "items": items},
        headers=shopper,
    )
    order = placed["orders"][0]
    payment = await answer(
        client, "POST", f"/api/v1/me/orders/{order['id']}/payments", headers=shopper
    )
    await answer(client, "POST", f"{httpx.URL(payment['cashier_url']).path}/confirm")
    await answer(
        client,
        "POST",
        f"{base}/orders/{order['id']}/shipments",
        json={"packages": [{"carrier": "顺丰", "tracking_no": "SF100001"}]},
        headers=owner,
    )
    await answer(
        client, "POST", f"/api/v1/me/orders/{order['id']}/confirm-receipt", headers=shopper
    )
    review = {
        "lines": [{"order_line_id": order["lines"][0]["id"], "stars": 5, "text": "好"}],
        "service_stars": 5,
        "logistics_stars": 5,
    }
    await answer(
        client, "POST", f"/api/v1/me/orders/{order['id']}/reviews", json=review, headers=shopper
    )
    return store["id"], {"order": order, "shopper": shopper}


def _copy(table: str, columns: list[str], changed: dict[str, str], where: str) -> str:
    listed = ", ".join(columns)
    chosen = ", ".join(changed.get(column, column) for column in columns)
    return f"INSERT INTO {table} ({listed}) SELECT {chosen} FROM {table} WHERE {where}"


async def fill(url: str, order_id: int) -> None:
    """10,000 copies of the order, its line, its review and its stars, over 180 days."""
    engine = create_async_engine(url)
    now = utcnow()
    async with engine.begin() as conn:

        def columns(table: str) -> Callable[[Any], list[str]]:
            from sqlalchemy import inspect

            return lambda sync: [c["name"] for c in inspect(sync).get_columns(table)]

        tables = {
            t: await conn.run_sync(columns(t))
            for t in ("orders", "order_lines", "reviews", "order_ratings")
        }
        for n in range(1, REVIEWS + 1):
            moment = now - timedelta(minutes=n * 180 * 24 * 60 // REVIEWS)
            stars = 1 + n % 5
            new_order = await conn.execute(
                text(
                    _copy(
                        "orders",
                        [c for c in tables["orders"] if c != "id"],
                        {"order_no": ":no", "checkout_no": ":no"},
                        "id = :id",
                    )
                    + " RETURNING id"
                ),
                {"no": f"B{n:012d}", "id": order_id},
            )
            new_id = new_order.scalar_one()
            line = await conn.execute(
                text(
                    _copy(
                        "order_lines",
                        [c for c in tables["order_lines"] if c != "id"],
                        {"order_id": ":new"},
                        "order_id = :id",
                    )
                    + " RETURNING id"
                ),
                {"new": new_id, "id": order_id},
            )
            line_id = line.scalar_one()
            await conn.execute(
                text(
                    _copy(
                        "reviews",
                        [c for c in tables["reviews"] if c != "id"],
                        {
                            "order_id": ":new",
                            "order_line_id": ":line",
                            "stars": ":stars",
                            "created_at": ":at",
                            "has_photos": ":photos",
                        },
                        "order_id = :id",
                    )
                ),
                {
                    "new": new_id,
                    "line": line_id,
                    "stars": stars,
                    "at": moment,
                    "photos": n % 7 == 0,
                    "id": order_id,
                },
            )
            await conn.execute(
                text(
                    _copy(
                        "order_ratings",
                        [c for c in tables["order_ratings"] if c != "id"],
                        {"order_id": ":new", "service_stars": ":stars", "created_at": ":at"},
                        "order_id = :id",
                    )
                ),
                {"new": new_id, "stars": stars, "at": moment, "id": order_id},
            )
        if url.startswith("postgresql"):
            await conn.execute(text("ANALYZE"))
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="weshop-bench-reviews-"))
    url = args.database_url or f"sqlite+aiosqlite:///{data_dir}/bench.db"
    if url.startswith("postgresql"):
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    await upgrade_async(url)
    settings = Settings(
        database_url=url,
        data_dir=data_dir,
        secret_key="bench-secret-not-for-production",
        demo_mode=True,
        sandbox_payments=True,
        run_worker_in_process=False,
        public_base_url="http://bench",
    )
    app = create_app(settings, check_schema=False)
    runtime = app.state.runtime
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        store_id, made = await one_reviewed_order(client, runtime)
        await fill(url, made["order"]["id"])
        since, middle, until = dsr_windows(utcnow().date())

        async def bare() -> None:
            async with runtime.db.session(write=False) as session:
                await session.scalar(
                    text("SELECT count(*) FROM reviews WHERE store_id = :s"), {"s": store_id}
                )

        async def aggregates() -> None:
            async with runtime.db.session(write=False) as session:
                await repo.description_sums(session, store_id, since, middle, until)
                await repo.rating_sums(session, store_id, since, middle, until)

        async def touch() -> None:
            # A write to the reviews table: every cache that read it must read again.
            async with runtime.db.transaction() as session:
                await session.execute(
                    text(
                        "UPDATE reviews SET flagged = flagged"
                        " WHERE id = (SELECT min(id) FROM reviews)"
                    )
                )

        async def cold(path: str, headers: dict | None = None) -> None:
            await touch()
            await client.get(path, headers=headers)

        scores_path = f"/api/v1/shop/stores/{store_id}/scores"
        shown = await answer(client, "GET", scores_path)
        figures = [
            ("bare count(*) of the store's reviews", await timed(args.rounds, bare)),
            ("DSR aggregates (2 statements)", await timed(args.rounds, aggregates)),
            ("GET scores API, cold", await timed(args.rounds, lambda: cold(scores_path))),
            ("GET scores API, warm", await timed(args.rounds, lambda: client.get(scores_path))),
            (
                "GET /s/{id} store page, cold",
                await timed(args.rounds, lambda: cold(f"/s/{store_id}", HTML)),
            ),
            (
                "GET /s/{id} store page, warm",
                await timed(args.rounds, lambda: client.get(f"/s/{store_id}", headers=HTML)),
            ),
        ]
        print(f"database: {url.split(':')[0]}  reviews: {REVIEWS + 1}  rounds: {args.rounds}")
        print(f"DSR: {shown['description']} / {shown['service']} / {shown['logistics']}")
        bare_ms = figures[0][1]
        for name, ms in figures:
            print(f"{name:40s} {ms:8.2f} ms   x{ms / bare_ms:6.1f} of the bare statement")
    await runtime.close()


if __name__ == "__main__":
    asyncio.run(main())
