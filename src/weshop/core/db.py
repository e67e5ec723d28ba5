"""Database: declarative base, column types, engines and sessions for SQLite and PostgreSQL.

On SQLite, every writing transaction starts with ``BEGIN IMMEDIATE`` so that two writers
queue instead of failing when one upgrades a read lock (writers of one process queue in
order on a lock; other processes on the busy timeout); reads use a second engine with
ordinary deferred transactions so they never wait behind writers (WAL).
"""

from __future__ import annotations

import asyncio
import enum
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    BigInteger,
    DateTime,
    Enum,
    Integer,
    MetaData,
    String,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import await_only

from weshop.core.clock import utcnow
from weshop.core.crypto import cipher
from weshop.core.errors import InvalidInput
from weshop.core.read_cache import READ_CACHE_KEY, ReadCache
from weshop.core.table_versions import TableVersions, track_table_versions

T = TypeVar("T")

# Integer primary keys must be INTEGER on SQLite to be rowid aliases (autoincrement).
BigInt = BigInteger().with_variant(Integer(), "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always returns timezone-aware datetimes (SQLite keeps none of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class EncryptedString(TypeDecorator[str]):
    """A personal-data field, AES-GCM encrypted at rest with the configured cipher."""

    impl = String
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else cipher().encrypt(value, context=self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else cipher().decrypt(value, context=self.context)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value that may hold personal data (an answer kept to replay it), encrypted at
    rest as :class:`EncryptedString` is."""

    impl = String
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return cipher().encrypt(json.dumps(value, ensure_ascii=False), context=self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(cipher().decrypt(value, context=self.context))


def enum_column(enum_type: type[enum.StrEnum], length: int = 24) -> Enum:
    """An enum column stored as its value (``'paid'``), in a VARCHAR both databases share."""
    return Enum(
        enum_type,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {int: BigInt, datetime: UTCDateTime()}


async def lock_row(session: AsyncSession, model: type[Base], row_id: int) -> None:
    """Hold the row of ``model`` with id ``row_id`` until the transaction ends, so that writers
    that read, check and then write on its behalf (a store's templates, an order's postings,
    a payment's refunds) take turns and never act on what another is about to change.

    PostgreSQL takes the row lock (``SELECT ... FOR UPDATE``). SQLite has no row locks and
    leaves out FOR UPDATE: there every writing transaction begins IMMEDIATE (see
    :func:`_make_engine`), so writers already run one at a time.
    """
    (key,) = inspect(model).primary_key
    await session.execute(select(key).where(key == row_id).with_for_update())


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _refuse_nul_characters(
    _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, _many: bool
) -> None:
    """PostgreSQL cannot store U+0000 in text; refuse it on every database alike, as input."""
    rows = parameters if isinstance(parameters, list) else [parameters]
    for row in rows:
        values = row.values() if isinstance(row, dict) else row or ()
        if any(isinstance(value, str) and "\x00" in value for value in values):
            raise InvalidInput("text may not contain NUL characters", code="invalid_characters")


@dataclass(frozen=True)
class PoolSize:
    """How many connections a process keeps (``size``) and may add at a peak (``overflow``);
    PostgreSQL connections older than ``recycle_seconds`` are replaced rather than pinged."""

    size: int = 20
    overflow: int = 20
    recycle_seconds: int = 1800


def _make_engine(url: str, pool: PoolSize, *, writer_lock: asyncio.Lock | None) -> AsyncEngine:
    if not url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            pool_size=pool.size,
            max_overflow=pool.overflow,
            pool_recycle=pool.recycle_seconds,
        )
        event.listen(engine.sync_engine, "before_cursor_execute", _refuse_nul_characters)
        return engine
    # Every SQLite connection is a thread of aiosqlite's with its pragmas: keep all of them,
    # since a connection opened at a peak and closed after it costs more than the request.
    engine = create_async_engine(
        url, pool_size=pool.size + pool.overflow, max_overflow=0, pool_timeout=120
    )
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    event.listen(engine.sync_engine, "before_cursor_execute", _refuse_nul_characters)
    if writer_lock is None:

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_read(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine

    # Writers of this process queue on a FIFO lock before BEGIN IMMEDIATE: SQLite's own
    # busy handler sleeps and retries, which lets newcomers overtake long waiters.
    def _release(conn: Any) -> None:
        if conn.info.pop("holds_writer_lock", False):
            writer_lock.release()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin_write(conn: Any) -> None:
        await_only(writer_lock.acquire())
        conn.info["holds_writer_lock"] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(conn)
            raise

    event.listen(engine.sync_engine, "commit", _release)
    event.listen(engine.sync_engine, "rollback", _release)
    return engine


class Database:
    """Owns the engines and hands out sessions; one per process."""

    def __init__(
        self, url: str, pool: PoolSize | None = None, *, versions: TableVersions | None = None
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        pool = pool or PoolSize()
        writer_lock = asyncio.Lock() if self.is_sqlite else None
        self.engine = _make_engine(url, pool, writer_lock=writer_lock)
        self.read_engine = (
            _make_engine(url, pool, writer_lock=None) if self.is_sqlite else self.engine
        )
        # What the process's caches check their results against (see core.table_versions).
        self.table_versions = versions
        if versions is not None:
            for engine in {self.engine, self.read_engine}:
                track_table_versions(engine.sync_engine, versions)
        self._info: dict[str, Any] = {}
        self._read_info: dict[str, Any] = {}
        if versions is not None:
            # Only read transactions use kept values (see core.read_cache).
            self._read_info[READ_CACHE_KEY] = ReadCache(versions)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(
            self.read_engine, expire_on_commit=False, info=self._read_info
        )

    def configure_sessions(self, *, info: dict[str, Any]) -> None:
        """Adds to what every session handed out from now on carries in its ``info`` (the event
        subscribers the composition wires in: :func:`weshop.core.events.wire`)."""
        self._info.update(info)
        self._read_info.update(info)
        self._sessions.configure(info=dict(self._info))
        self._read_sessions.configure(info=dict(self._read_info))

    def session(self, *, write: bool = True) -> AsyncSession:
        return (self._sessions if write else self._read_sessions)()

    async def kept(self, key: Hashable, read: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """``read`` in a read session of its own, or the value it gave before while no table
        it read has changed (:mod:`weshop.core.read_cache`; always the read without table
        versions). For the hot paths that answer without a transaction of their own: a kept
        value costs no connection at all."""

        async def read_in_session() -> T:
            async with self.session(write=False) as session:
                return await read(session)

        cache = self._read_info.get(READ_CACHE_KEY)
        if cache is None:
            return await read_in_session()
        return await cache.get(key, read_in_session)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits when the block ends, rolls back on an exception."""
        async with self.session() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()

    async def current_revision(self) -> str | None:
        """The Alembic revision of the schema; None when there is no schema yet.

        A database that cannot be reached raises: that is not the same as an empty one.
        """
        async with self.read_engine.connect() as conn:
            if not await conn.run_sync(lambda sync: inspect(sync).has_table("alembic_version")):
                return None
            result = await conn.execute(text("SELECT version_num FROM alembic_version"))
            return result.scalar_one_or_none()
