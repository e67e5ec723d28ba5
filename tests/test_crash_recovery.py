"""A worker killed between a change and its commit loses nothing and repeats nothing.

A real process runs the expiry of an unpaid order and is killed (SIGKILL) inside the
handler, after the change was made but before it committed. Another worker then does the
work exactly once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from datetime import timedelta

from sqlalchemy import func, select

from tests.orders.conftest import open_shop
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.inventory.models import MovementKind, StockLevel, StockMovement

DYING_WORKER = textwrap.dedent(
    """
    import asyncio
    from datetime import timedelta

    from weshop.app import build_runtime
    from weshop.core.clock import utcnow
    from weshop.core.config import Settings
    from weshop.core.worker import HandlerRegistry, Worker
    from weshop.orders.checkout import PAYMENT_DEADLINE


    async def main() -> None:
        runtime = build_runtime(Settings())
        expire = runtime.handlers.handlers[PAYMENT_DEADLINE]
        registry = HandlerRegistry()

        @registry.on(PAYMENT_DEADLINE)
        async def expire_then_hang(ctx):
            await expire(ctx)
            print("CHANGED-NOT-COMMITTED", flush=True)
            await asyncio.sleep(3600)

        worker = Worker(runtime.db, registry, runtime, lease=timedelta(minutes=5))
        await worker.run_once(utcnow() + timedelta(hours=1))


    asyncio.run(main())
    """
)


async def stock(runtime, sku_id: int) -> tuple[int, int, int]:
    async with runtime.db.session(write=False) as session:
        level = await session.scalar(select(StockLevel).where(StockLevel.sku_id == sku_id))
        releases = await session.scalar(
            select(func.count())
            .select_from(StockMovement)
            .where(StockMovement.sku_id == sku_id, StockMovement.kind == MovementKind.RELEASE)
        )
    return level.available, level.reserved, releases


async def test_a_killed_worker_loses_nothing_and_repeats_nothing(api, runtime, runner, settings):
    shop = await open_shop(api, stock=10)
    placed = expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 4)]), 201
    )
    order_id = placed["orders"][0]["id"]

    env = dict(
        os.environ,
        WESHOP_DATABASE_URL=settings.database_url,
        WESHOP_DATA_DIR=str(settings.data_dir),
        WESHOP_SECRET_KEY=settings.secret_key.get_secret_value(),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", DYING_WORKER, env=env, stdout=asyncio.subprocess.PIPE
    )
    line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    assert line.strip() == b"CHANGED-NOT-COMMITTED"
    process.send_signal(signal.SIGKILL)
    await process.wait()

    assert (await api.order(shop.shopper, order_id))["status"] == "pending_payment"
    assert await stock(runtime, shop.sku_id) == (6, 4, 0)

    # Before the dead worker's lease ends nobody takes the row; after it, it runs once.
    await runner.run(utcnow() + timedelta(hours=1, minutes=1))
    assert (await api.order(shop.shopper, order_id))["status"] == "pending_payment"
    await runner.run(utcnow() + timedelta(hours=2))
    assert (await api.order(shop.shopper, order_id))["status"] == "cancelled"
    assert await stock(runtime, shop.sku_id) == (10, 0, 1)
    await runner.run(utcnow() + timedelta(hours=3))
    assert await stock(runtime, shop.sku_id) == (10, 0, 1)
