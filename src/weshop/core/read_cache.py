"""Values read from the database and kept while no table they were read from has changed.

A service wraps a read in :func:`kept_read` with a key naming what it reads (``("stacking",
store_ids)``). The first call runs the read and records its tables with their versions from
before it (:mod:`weshop.core.table_versions`); later calls get the same value, without SQL,
for as long as every one of those versions is unchanged, so a change committed by any
process is read anew by the next call.

Rules for what may be kept:

- only immutable values (frozen models, tuples), never ORM objects: one value is handed to
  every request;
- nothing that depends on the time of the call: read what does not change by itself (a
  coupon's window, not "the coupons valid now") and filter by the clock after the call;
- only in read transactions: sessions of the read engine carry the cache
  (:meth:`weshop.core.db.Database.session` with ``write=False``). A writing transaction
  reads what it is about to change, uncommitted, and must never keep or be given a kept
  value, so there the read always runs.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.table_versions import (
    TableVersions,
    note_reads,
    recording_reads,
    slots_of,
    wrote_in,
)

T = TypeVar("T")

# The key of a read session's cache in its ``info``.
READ_CACHE_KEY = "weshop.read_cache"


@dataclass(frozen=True, slots=True)
class _Kept:
    value: Any
    tables: frozenset[str]
    slots: tuple[int, ...]
    versions: tuple[int, ...]


@dataclass(slots=True)
class _Reading:
    """A read of one key in flight, and what it gave, for the requests waiting on it."""

    began: int
    done: asyncio.Event = field(default_factory=asyncio.Event)
    succeeded: bool = False
    value: Any = None
    tables: frozenset[str] | None = None


class ReadCache:
    """The values one process keeps, the least recently kept dropped beyond ``max_entries``."""

    def __init__(self, versions: TableVersions, max_entries: int = 10_000) -> None:
        self.versions = versions
        self.max_entries = max_entries
        self.entries: OrderedDict[Hashable, _Kept] = OrderedDict()
        self.reading: dict[Hashable, _Reading] = {}
        self.reads_begun = 0

    async def get(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        # One read of a key at a time: when a write makes a value stale at a peak, the
        # requests that all want it wait for one read rather than each take a connection.
        # A waiter takes that read's value only if the read began after the waiter came (it
        # is then as fresh as a read of its own); otherwise it waits for the next one.
        came = self.reads_begun
        while True:
            kept = self.entries.get(key)
            if kept is not None and self.versions.unchanged(kept.slots, kept.versions):
                note_reads(kept.tables)
                value: T = kept.value
                return value
            reading = self.reading.get(key)
            if reading is None:
                break
            await reading.done.wait()
            if reading.began > came and reading.succeeded and reading.tables is not None:
                note_reads(reading.tables)
                return reading.value  # type: ignore[no-any-return]
        self.reads_begun += 1
        reading = self.reading[key] = _Reading(self.reads_begun)
        try:
            reading.value = await self._read(key, read, reading)
            reading.succeeded = True
            return reading.value  # type: ignore[no-any-return]
        finally:
            del self.reading[key]
            reading.done.set()

    async def _read(self, key: Hashable, read: Callable[[], Awaitable[T]], reading: _Reading) -> T:
        snapshot = self.versions.snapshot()
        with recording_reads() as reads:
            value = await read()
        tables = reading.tables = reads.tables
        if tables is None:
            self.entries.pop(key, None)
            return value
        slots = slots_of(tables)
        self.entries[key] = _Kept(value, tables, slots, TableVersions.versions_in(snapshot, slots))
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)
        return value


async def kept_read(session: AsyncSession, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
    """``await read()``, or the value it gave before if nothing it read has changed since;
    always the read itself in a writing transaction (see the module's rules)."""
    cache = session.info.get(READ_CACHE_KEY)
    if not isinstance(cache, ReadCache) or wrote_in((await session.connection()).info):
        return await read()
    return await cache.get(key, read)


@contextmanager
def live_reads(session: AsyncSession) -> Iterator[None]:
    """Every ``kept_read`` of ``session`` inside the block reads the database, for what must
    be read live: the prices a checkout charges. (A table's version advances when the writer's
    connection goes back to the pool, a moment after its commit; a kept value may lag by that
    moment.)"""
    cache = session.info.pop(READ_CACHE_KEY, None)
    try:
        yield
    finally:
        if cache is not None:
            session.info[READ_CACHE_KEY] = cache
