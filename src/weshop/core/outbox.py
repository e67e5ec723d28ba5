"""The outbox: side effects and deadlines as rows, written in the same transaction as their cause.

A message due now is an event (a webhook, a refund to send, a notification); a message due
later is a deadline (an unpaid order's expiry, auto-confirm of receipt). The worker
(:mod:`weshop.core.worker`) claims due rows and runs their handler exactly once.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, enum_column


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    store_id: Mapped[int | None]
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, 16), default=OutboxStatus.PENDING
    )
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    lock_token: Mapped[str | None] = mapped_column(String(32))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]


def emit(
    session: AsyncSession,
    topic: str,
    payload: dict[str, Any],
    *,
    due_at: datetime | None = None,
    store_id: int | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    """Queue a side effect (or, with ``due_at`` in the future, a deadline) in this transaction."""
    message = OutboxMessage(
        topic=topic,
        payload=payload,
        store_id=store_id,
        dedupe_key=dedupe_key,
        due_at=due_at or utcnow(),
    )
    session.add(message)
    return message
