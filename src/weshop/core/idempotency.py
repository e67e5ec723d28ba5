"""``Idempotency-Key`` support for create endpoints that move money or stock.

:func:`run_idempotent` inserts the key row first, inside the request's transaction (under a
savepoint): a concurrent request with the same key waits on the unique index and then replays
the answer the first one committed. :func:`run_idempotent_after_read` is for an action that
reads first and then writes (on SQLite in a short transaction of its own): the key row goes
in last, with the answer, and a request that finds the key taken by then rolls its work back
and replays the first answer. The same key with a different body is refused.

:func:`run_idempotent` answers with the action's model, so a page goes on from it directly
and an API endpoint answers with :meth:`Outcome.response`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import String, UniqueConstraint, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, Database, EncryptedJSON
from weshop.core.errors import IdempotencyKeyReused, InvalidInput

MAX_KEY_LENGTH = 128
REPLAYED_HEADER = "Idempotent-Replayed"

M = TypeVar("M", bound=BaseModel)
P = TypeVar("P")


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("owner", "endpoint", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(String(128))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]
    # The kept answer can carry the caller's own personal data (their order's address).
    response: Mapped[Any | None] = mapped_column(EncryptedJSON("idempotency.response"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def fingerprint(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Outcome(Generic[M]):
    """An idempotent action's answer: its model, the status code it answers with, and
    whether it is an earlier request's answer given again."""

    model: M
    status_code: int
    replayed: bool

    def response(self) -> JSONResponse:
        """The HTTP answer; a replay says so in its ``Idempotent-Replayed`` header."""
        headers = {REPLAYED_HEADER: "true"} if self.replayed else None
        return JSONResponse(
            self.model.model_dump(mode="json"), status_code=self.status_code, headers=headers
        )


def _check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters",
            code="invalid_idempotency_key",
        )


async def _earlier_answer(
    session: AsyncSession, owner: str, endpoint: str, key: str, digest: str, model: type[M]
) -> Outcome[M] | None:
    """The answer stored under the key, None when there is none; refuses a key in progress
    or used with another body."""
    existing = await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.owner == owner,
            IdempotencyRecord.endpoint == endpoint,
            IdempotencyRecord.key == key,
        )
    )
    if existing is None:
        return None
    if existing.status_code is None:
        raise IdempotencyKeyReused("a request with this Idempotency-Key is still in progress")
    if existing.fingerprint != digest:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different request body")
    return Outcome(model.model_validate(existing.response), existing.status_code, replayed=True)


async def run_idempotent(
    session: AsyncSession,
    *,
    key: str | None,
    owner: str,
    endpoint: str,
    payload: Any,
    action: Callable[[], Awaitable[M]],
    model: type[M],
    status_code: int = 201,
) -> Outcome[M]:
    """Run ``action`` once per (owner, endpoint, key); repeats get the first answer, read
    back as ``model``."""
    if key is None:
        return Outcome(await action(), status_code, replayed=False)
    _check_key(key)
    digest = fingerprint(payload)
    record = IdempotencyRecord(owner=owner, endpoint=endpoint, key=key, fingerprint=digest)
    try:
        async with session.begin_nested():
            session.add(record)
            await session.flush()
    except IntegrityError:
        earlier = await _earlier_answer(session, owner, endpoint, key, digest, model)
        if earlier is None:
            raise IdempotencyKeyReused(
                "a request with this Idempotency-Key is still in progress"
            ) from None
        return earlier
    result = await action()
    record.status_code = status_code
    record.response = result.model_dump(mode="json")
    return Outcome(result, status_code, replayed=False)


class _KeyTaken(Exception):
    """Another request with the key committed first: roll back, then replay its answer."""


async def run_idempotent_after_read(
    reader: AsyncSession,
    db: Database,
    *,
    key: str | None,
    owner: str,
    endpoint: str,
    payload: Any,
    prepare: Callable[[], Awaitable[P]],
    act: Callable[[AsyncSession, P], Awaitable[M]],
    model: type[M],
    status_code: int = 201,
) -> Outcome[M]:
    """``run_idempotent`` for an action in two steps: ``prepare`` reads in ``reader``'s
    transaction, ``act`` writes, and the key row goes in last with the answer.

    On SQLite every write transaction holds the database's one write lock, so ``act`` runs in
    a transaction of its own, begun once the read has ended: the lock is held for the writes
    only. On PostgreSQL a transaction locks rows only as it writes them, so ``act`` goes on in
    ``reader``'s transaction (the request's session is bound to the one engine there): one
    connection and one BEGIN for the request."""
    digest = fingerprint(payload)
    if key is not None:
        _check_key(key)
        earlier = await _earlier_answer(reader, owner, endpoint, key, digest, model)
        if earlier is not None:
            return earlier
    prepared = await prepare()

    async def act_and_record(writer: AsyncSession) -> M:
        result = await act(writer, prepared)
        if key is not None and not await _record_answer(
            writer, owner, endpoint, key, digest, status_code, result
        ):
            raise _KeyTaken
        return result

    try:
        if db.is_sqlite:
            # The read is over: its snapshot and connection go before the write lock is taken.
            await reader.commit()
            async with db.transaction() as writer:
                result = await act_and_record(writer)
        else:
            result = await act_and_record(reader)
    except _KeyTaken:
        await reader.rollback()
        async with db.session(write=False) as fresh, fresh.begin():
            earlier = await _earlier_answer(fresh, owner, endpoint, key or "", digest, model)
        if earlier is None:  # pragma: no cover - the key was there a moment ago
            raise IdempotencyKeyReused(
                "a request with this Idempotency-Key is still in progress"
            ) from None
        return earlier
    return Outcome(result, status_code, replayed=False)


async def _record_answer(
    session: AsyncSession,
    owner: str,
    endpoint: str,
    key: str,
    digest: str,
    status_code: int,
    result: BaseModel,
) -> bool:
    """Insert the key with its answer; False when another request holds the key (on
    PostgreSQL, after waiting for that request's transaction to end)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    inserted = await session.execute(
        insert(IdempotencyRecord)
        .values(
            owner=owner,
            endpoint=endpoint,
            key=key,
            fingerprint=digest,
            status_code=status_code,
            response=result.model_dump(mode="json"),
        )
        .on_conflict_do_nothing()
        .returning(IdempotencyRecord.id)
    )
    return inserted.scalar_one_or_none() is not None
