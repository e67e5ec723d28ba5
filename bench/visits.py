"""What counting visits costs: the product page with visit recording on and off, in one run.

Two ``weshop serve`` of our own run side by side, the same code and settings but
``WESHOP_RECORD_VISITS`` (on, and off); each gets a store with one product (3 colours x 4
sizes). The product page is driven with a phone browser's User-Agent (so that it counts)
by wrk, alternately off / on / off / on, in two ways: one browser (a fixed pre-session
cookie: one visitor) and a new browser on every request (no cookie: every request a new
visitor, the buffer's worst case). Then it waits for the recorder's flush and checks that
every request the "on" server answered was written (page views of the store). Prints the
usual table with the bare Starlette app of the same run::

    .venv/bin/python bench/visits.py --self-host sqlite
    .venv/bin/python bench/visits.py --self-host sqlite --seconds 5

The exit code is 1 when a request failed or a view was lost.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import httpx
from load import Run, add_load_arguments, load_from, measure, print_table
from serving import BenchError, Target, bare_server, expect, hosting, random_phones, sign_in
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from weshop.catalog.visit_models import StoreVisitDay
from weshop.catalog.visits import FLUSH_SECONDS

PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
ONE_BROWSER = {"Accept": "text/html", "User-Agent": PHONE, "Cookie": "weshop_csrf=" + "b" * 32}
NEW_BROWSERS = {"Accept": "text/html", "User-Agent": PHONE}


async def product_path(target: Target) -> tuple[int, str]:
    """A store with one published product: (store id, the product page's path)."""
    async with httpx.AsyncClient(base_url=target.base_url, timeout=60) as client:
        admin = await sign_in(client, target.operator.phone, target.operator.password)
        (owner_phone,) = random_phones(1)
        store = expect(
            await client.post(
                "/api/v1/platform/stores",
                json={"name": "足迹压测店", "owner_phone": owner_phone},
                headers=admin,
            ),
            201,
        )
        owner = await sign_in(client, owner_phone)
        body = {
            "title": "纯棉圆领T恤",
            "specs": [
                {"name": "颜色", "values": ["白色", "黑色", "灰色"]},
                {"name": "尺码", "values": ["S", "M", "L", "XL"]},
            ],
            "default_price_fen": 5900,
            "default_stock": 200,
            "publish": True,
        }
        product = expect(
            await client.post(
                f"/api/v1/merchant/stores/{store['id']}/products", json=body, headers=owner
            ),
            201,
        )
        return store["id"], f"/p/{product['id']}"


async def written_views(database_url: str, store_id: int) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            total = await conn.scalar(
                select(func.coalesce(func.sum(StoreVisitDay.page_views), 0)).where(
                    StoreVisitDay.store_id == store_id
                )
            )
            return int(total or 0)
    finally:
        await engine.dispose()


async def run_bench(args: argparse.Namespace) -> int:
    load = load_from(args)
    on_env = {"WESHOP_RECORD_VISITS": "true"}
    off_env = {"WESHOP_RECORD_VISITS": "false"}
    async with (
        hosting(args.self_host, no_worker=True, extra_env=off_env) as off,
        hosting(args.self_host, no_worker=True, extra_env=on_env) as on,
    ):
        _, off_path = await product_path(off)
        on_store, on_path = await product_path(on)
        runs: list[Run] = []
        counted = 0
        async with bare_server(on) as (bare_url, bare_pid, _options):
            print(f"product page, recording off vs on: {load.describe()}")
            bare = [await measure("bare Starlette JSON", f"{bare_url}/", load, pid=bare_pid)]
            for round_number in (1, 2):
                for name, headers in (("one browser", ONE_BROWSER), ("new browsers", NEW_BROWSERS)):
                    for label, target, path in (("off", off, off_path), ("on", on, on_path)):
                        run = await measure(
                            f"{label:<3} {name} #{round_number}",
                            target.base_url + path,
                            load,
                            pid=target.pid,
                            headers=headers,
                        )
                        runs.append(run)
                        if label == "on":
                            counted += run.requests
            bare.append(
                await measure("bare Starlette JSON (again)", f"{bare_url}/", load, pid=bare_pid)
            )
        print_table([bare[0], *runs, bare[1]], bare, show_sql=False)
        for name in ("one browser", "new browsers"):
            off_rate = [r.per_second for r in runs if r.label.startswith(f"off {name}")]
            on_rate = [r.per_second for r in runs if r.label.startswith(f"on  {name}")]
            mean_off, mean_on = sum(off_rate) / len(off_rate), sum(on_rate) / len(on_rate)
            print(
                f"{name}: off {mean_off:,.0f} req/s, on {mean_on:,.0f} req/s "
                f"({(mean_on - mean_off) * 100 / mean_off:+.1f}%)"
            )
        await asyncio.sleep(FLUSH_SECONDS + 2)
        written = await written_views(on.database_url, on_store)
        print(
            f"views answered by the 'on' server: {counted:,}; written after the flush: {written:,}"
        )
    lost = written < counted
    return 1 if lost or any(run.errors for run in runs) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--self-host", choices=["sqlite"], default="sqlite")
    add_load_arguments(parser)
    args = parser.parse_args()
    try:
        sys.exit(asyncio.run(run_bench(args)))
    except BenchError as error:
        sys.exit(f"bench failed: {error}")


if __name__ == "__main__":
    main()
