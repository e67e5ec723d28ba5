"""``Idempotency-Key`` support for create endpoints that move money or stock.

The key row is inserted first, inside the request's transaction (under a savepoint): a
concurrent request with the same key waits on the unique index and then replays the
answer the first one committed. The same key with a different body is refused.

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
from sqlalchemy import JSON, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base
from weshop.core.errors import IdempotencyKeyReused, InvalidInput

MAX_KEY_LENGTH = 128
REPLAYED_HEADER = "Idempotent-Replayed"

M = TypeVar("M", bound=BaseModel)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("owner", "endpoint", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(String(128))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]
    response: Mapped[Any | None] = mapped_column(JSON)
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
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters",
            code="invalid_idempotency_key",
        )
    digest = fingerprint(payload)
    record = IdempotencyRecord(owner=owner, endpoint=endpoint, key=key, fingerprint=digest)
    try:
        async with session.begin_nested():
            session.add(record)
            await session.flush()
    except IntegrityError:
        existing = await session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.owner == owner,
                IdempotencyRecord.endpoint == endpoint,
                IdempotencyRecord.key == key,
            )
        )
        if existing is None or existing.status_code is None:
            raise IdempotencyKeyReused(
                "a request with this Idempotency-Key is still in progress"
            ) from None
        if existing.fingerprint != digest:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used with a different request body"
            ) from None
        return Outcome(model.model_validate(existing.response), existing.status_code, replayed=True)
    result = await action()
    record.status_code = status_code
    record.response = result.model_dump(mode="json")
    return Outcome(result, status_code, replayed=False)
