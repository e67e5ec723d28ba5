"""Table versions: which tables changed, known to every process of an installation at once.

Each table has a version that changes after every committed transaction that wrote to it.
Something computed from the database (a rendered page) remembers the versions of the tables
it read, taken before it read them, and stays good exactly as long as those versions stay
the same: a change committed by any process (a console edit, an order taking stock, the
worker releasing it) shows on the next request, without anyone having to remember to
invalidate anything.

How the two halves are learnt, on every engine of the :class:`~weshop.core.db.Database`:

- writes: every statement the driver runs is looked at (``INSERT INTO t``, ``UPDATE t``,
  ``DELETE FROM t``; anything else that is not a read or transaction control counts as a
  write to every table). The tables a connection wrote are advanced when it goes back to
  the pool after its commit, so after the data is visible; a rollback advances nothing.
  Between the commit and that moment (the pool's reset, before the writer's request is
  answered) another request may still be given what was kept before: as if it had read
  just before the commit, which no client can tell apart since the write is not answered
  yet. What must be read together with live rows (checkout's prices) is read live.
- reads: inside :func:`recording_reads`, the tables of every statement executed are
  collected from the statement itself; a statement given as text can't be read that way
  and makes the tables unknown.

The versions live in a small file mapped into memory by every process
(``<data_dir>/table-versions/<database>``), so reading them costs no system call and no
round trip. The processes of one installation share ``data_dir`` already (media, the secret
key); a deployment that serves from several hosts must not share one database between
their response caches (see ``WESHOP_RESPONSE_CACHE_SECONDS``).
"""

from __future__ import annotations

import hashlib
import mmap
import os
import re
import secrets
import struct
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.engine import Engine
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ClauseElement

SLOTS = 1024
_SLOT = struct.Struct("<Q")
# Slot 0 changes with any write whose tables are not known; every reader depends on it.
ANY_TABLE_SLOT = 0

_WRITE = re.compile(
    r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+"?(\w+)"?',
    re.IGNORECASE,
)
_NOT_WRITES = frozenset(
    {"SELECT", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "SHOW", "SET"}
)
_TRANSACTION_CONTROL = _NOT_WRITES - {"SELECT", "SHOW"}
_WRITTEN_KEY = "weshop.tables_written"
_COMMITTED_KEY = "weshop.tables_committed"
_ANY = "*"


def slot_of(table: str) -> int:
    return 1 + zlib.crc32(table.encode()) % (SLOTS - 1)


class TableVersions:
    """The shared versions of one database's tables (a table's version is an opaque number:
    only whether it changed matters, so a change writes a fresh random one and needs no
    lock between processes)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < SLOTS * _SLOT.size:
                os.ftruncate(fd, SLOTS * _SLOT.size)
            self._map = mmap.mmap(fd, SLOTS * _SLOT.size)
        finally:
            os.close(fd)
        self.path = path

    @classmethod
    def for_database(cls, data_dir: Path, database_url: str) -> TableVersions:
        name = hashlib.sha256(database_url.encode()).hexdigest()[:16]
        return cls(data_dir / "table-versions" / name)

    def snapshot(self) -> bytes:
        """Every version at once, to be read with :meth:`versions_in` later."""
        return self._map[:]

    @staticmethod
    def versions_in(snapshot: bytes, slots: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(_SLOT.unpack_from(snapshot, slot * _SLOT.size)[0] for slot in slots)

    def unchanged(self, slots: tuple[int, ...], versions: tuple[int, ...]) -> bool:
        unpack = _SLOT.unpack_from
        current = self._map
        return all(
            unpack(current, slot * _SLOT.size)[0] == version
            for slot, version in zip(slots, versions, strict=True)
        )

    def advance(self, tables: set[str]) -> None:
        if self._map.closed:  # the database was disposed of while a connection went back
            return
        slots = range(SLOTS) if _ANY in tables else {slot_of(table) for table in tables}
        for slot in slots:
            _SLOT.pack_into(self._map, slot * _SLOT.size, secrets.randbits(64))

    def close(self) -> None:
        self._map.close()


def slots_of(tables: frozenset[str]) -> tuple[int, ...]:
    """The slots a result that read ``tables`` depends on (always the any-table slot)."""
    return (ANY_TABLE_SLOT, *sorted({slot_of(table) for table in tables}))


class _ReadLog:
    """The tables read inside one :func:`recording_reads`; what it records, the enclosing
    recordings record too (a page that used a kept value read that value's tables)."""

    __slots__ = ("parent", "tables", "unknown")

    def __init__(self, parent: _ReadLog | None) -> None:
        self.parent = parent
        self.tables: set[str] = set()
        self.unknown = False

    def add(self, tables: Iterable[str]) -> None:
        log: _ReadLog | None = self
        names = tuple(tables)
        while log is not None:
            log.tables.update(names)
            log = log.parent

    def mark_unknown(self) -> None:
        log: _ReadLog | None = self
        while log is not None:
            log.unknown = True
            log = log.parent


_reads: ContextVar[_ReadLog | None] = ContextVar("weshop_table_reads", default=None)


class ReadTables:
    """What :func:`recording_reads` found: the tables read, or None when a statement's tables
    could not be known."""

    def __init__(self, log: _ReadLog) -> None:
        self._log = log

    @property
    def tables(self) -> frozenset[str] | None:
        return None if self._log.unknown else frozenset(self._log.tables)


@contextmanager
def recording_reads() -> Iterator[ReadTables]:
    """Collects the tables read by the statements this context (and the tasks it starts)
    executes, for this recording and every one it is nested in."""
    log = _ReadLog(_reads.get())
    reset = _reads.set(log)
    try:
        yield ReadTables(log)
    finally:
        _reads.reset(reset)


def note_reads(tables: Iterable[str]) -> None:
    """Tells the recordings in progress that ``tables`` were read without a statement (a value
    kept from an earlier read of them was used)."""
    log = _reads.get()
    if log is not None:
        log.add(tables)


def _record_read(_conn: Any, clause: Any, _multiparams: Any, _params: Any, _options: Any) -> None:
    log = _reads.get()
    if log is None:
        return
    if isinstance(clause, str):
        # Driver-level SQL: transaction control is not a read; anything else can't be known.
        words = clause.split(None, 1)
        if not words or words[0].upper() in _TRANSACTION_CONTROL:
            return
        log.mark_unknown()
        return
    if not isinstance(clause, ClauseElement):
        log.mark_unknown()
        return
    tables = []
    for node in visitors.iterate(clause):
        if isinstance(node, Table):
            tables.append(node.name)
        elif node.__visit_name__ == "textclause":
            # SQL written as text may name any table (a FROM, a subquery): unknown.
            log.mark_unknown()
            return
    log.add(tables)


def wrote_in(connection_info: dict[Any, Any]) -> bool:
    """Whether the transaction of the connection with this ``info`` has written anything."""
    return bool(connection_info.get(_WRITTEN_KEY))


def _tables_written(statement: str) -> str | None:
    """The table a statement writes, ``*`` for a write of unknown tables, None for a read."""
    match = _WRITE.match(statement)
    if match:
        return match.group(1).lower()
    words = statement.lstrip().split(None, 1)
    if not words or words[0].upper() in _NOT_WRITES:
        return None
    return _ANY


def track_table_versions(engine: Engine, versions: TableVersions) -> None:
    """Keeps ``versions`` up to date with what ``engine``'s transactions commit, and lets
    :func:`recording_reads` see what they read."""

    def record_write(
        conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        table = _tables_written(statement)
        if table is not None:
            conn.info.setdefault(_WRITTEN_KEY, set()).add(table)

    def on_commit(conn: Any) -> None:
        written = conn.info.pop(_WRITTEN_KEY, None)
        if written:
            conn.info.setdefault(_COMMITTED_KEY, set()).update(written)

    def on_rollback(conn: Any) -> None:
        conn.info.pop(_WRITTEN_KEY, None)

    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        # After the commit, so a reader that sees the new version also sees the new data.
        if record is None:
            return
        record.info.pop(_WRITTEN_KEY, None)
        committed = record.info.pop(_COMMITTED_KEY, None)
        if committed:
            versions.advance(committed)

    event.listen(engine, "before_execute", _record_read)
    event.listen(engine, "before_cursor_execute", record_write)
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    event.listen(engine.pool, "checkin", on_checkin)
