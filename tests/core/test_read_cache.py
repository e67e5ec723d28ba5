"""Kept reads: read once, then given again without SQL until a table they read changes;
never in a transaction that writes; time windows checked on every call."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select, text, update

from tests.support import Api, expect
from weshop.core.clock import utcnow
from weshop.core.read_cache import kept_read
from weshop.core.table_versions import recording_reads
from weshop.promotions import service as promotions
from weshop.stores.models import Store


class CountedRead:
    def __init__(self, session) -> None:
        self.session = session
        self.reads = 0

    async def __call__(self) -> tuple[str, ...]:
        self.reads += 1
        names = await self.session.scalars(select(Store.name).order_by(Store.id))
        return tuple(names)


async def test_a_read_is_kept_until_a_table_it_read_changes(api: Api, runtime):
    store_id, _ = await api.new_store("甲店")
    db = runtime.db
    async with db.session(write=False) as session, session.begin():
        read = CountedRead(session)
        first = await kept_read(session, "store names", read)
        assert await kept_read(session, "store names", read) == first == ("甲店",)
    async with db.session(write=False) as session, session.begin():
        read.session = session
        await kept_read(session, "store names", read)
    assert read.reads == 1

    async with db.transaction() as session:
        await session.execute(update(Store).where(Store.id == store_id).values(name="乙店"))
    async with db.session(write=False) as session, session.begin():
        read.session = session
        assert await kept_read(session, "store names", read) == ("乙店",)
    assert read.reads == 2


async def test_a_writing_transaction_always_reads(api: Api, runtime):
    await api.new_store("甲店")
    async with runtime.db.transaction() as session:
        read = CountedRead(session)
        await kept_read(session, "names in a writer", read)
        await kept_read(session, "names in a writer", read)
    assert read.reads == 2


async def test_a_transaction_that_wrote_is_never_given_a_kept_value(api: Api, runtime):
    store_id, _ = await api.new_store("甲店")
    async with runtime.db.session(write=False) as session, session.begin():
        await kept_read(session, "names", CountedRead(session))
    # A "read" session that writes anyway (nothing stops it on PostgreSQL): it reads its own
    # uncommitted change, and that change is not kept for others.
    async with runtime.db.session(write=False) as session:
        await session.begin()
        await session.execute(update(Store).where(Store.id == store_id).values(name="未提交"))
        read = CountedRead(session)
        assert await kept_read(session, "names", read) == ("未提交",)
        await session.rollback()
    async with runtime.db.session(write=False) as session, session.begin():
        assert await kept_read(session, "names", CountedRead(session)) == ("甲店",)


async def test_a_kept_value_tells_the_recordings_around_it_what_it_read(api: Api, runtime):
    await api.new_store("甲店")
    async with runtime.db.session(write=False) as session, session.begin():
        await kept_read(session, "names", CountedRead(session))
        with recording_reads() as reads:
            await kept_read(session, "names", CountedRead(session))
            await session.scalar(select(func.count()).select_from(text("orders")))
    assert reads.tables is None  # a text statement: unknown
    async with runtime.db.session(write=False) as session, session.begin():
        with recording_reads() as reads:
            await kept_read(session, "names", CountedRead(session))
    assert reads.tables == {"stores"}


async def test_a_kept_reduction_counts_its_window_at_each_call(api: Api, client, runtime):
    store_id, owner = await api.new_store()
    now = utcnow()
    starts = now + timedelta(hours=1)
    expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/full-reductions",
            json={
                "name": "满100减10",
                "kind": "amount",
                "tiers": [{"threshold_fen": 10000, "amount_off_fen": 1000}],
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=1)).isoformat(),
            },
            headers=owner,
        ),
        201,
    )
    async with runtime.db.session(write=False) as session, session.begin():
        windows = [
            await promotions.active_reductions_for_pricing(session, [store_id], moment)
            for moment in (now, starts, starts + timedelta(hours=2))
        ]
    assert [len(found) for found in windows] == [0, 1, 0]


class GatedRead:
    """Store names through ``Database.kept``, each read held until ``open`` is set."""

    def __init__(self) -> None:
        self.reads = 0
        self.open = asyncio.Event()

    async def __call__(self, session) -> tuple[str, ...]:
        self.reads += 1
        names = tuple(await session.scalars(select(Store.name).order_by(Store.id)))
        await self.open.wait()
        return names


async def test_callers_of_a_stale_value_share_one_read(api: Api, runtime):
    await api.new_store("甲店")
    read = GatedRead()
    callers = [asyncio.create_task(runtime.db.kept("names", read)) for _ in range(20)]
    await asyncio.sleep(0.05)
    read.open.set()
    assert set(await asyncio.gather(*callers)) == {("甲店",)}
    assert read.reads == 1


async def test_a_read_begun_before_a_write_is_not_given_to_a_caller_after_it(api: Api, runtime):
    store_id, _ = await api.new_store("甲店")
    read = GatedRead()
    early = asyncio.create_task(runtime.db.kept("names", read))
    await asyncio.sleep(0.05)  # the early read has read 甲店 and waits
    async with runtime.db.transaction() as session:
        await session.execute(update(Store).where(Store.id == store_id).values(name="乙店"))
    late = asyncio.create_task(runtime.db.kept("names", read))
    await asyncio.sleep(0.05)
    read.open.set()
    assert await early == ("甲店",)
    assert await late == ("乙店",)
    assert read.reads == 2
