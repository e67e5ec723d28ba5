"""The worker loop: claims due outbox rows and runs each handler exactly once.

Claiming takes a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite),
so several workers never take the same row. A handler runs in one transaction together with
the compare-and-set that marks its row done: either both commit or neither does. A worker
that dies mid-way leaves the row pending; once the lease passes, another worker takes it.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.clock import utcnow
from weshop.core.db import Database
from weshop.core.outbox import OutboxMessage, OutboxStatus

log = structlog.get_logger(__name__)


@dataclass
class TaskContext:
    session: AsyncSession
    message: OutboxMessage
    now: datetime
    runtime: Any

    @property
    def payload(self) -> dict[str, Any]:
        return self.message.payload


Handler = Callable[[TaskContext], Awaitable[None]]


@dataclass
class HandlerRegistry:
    handlers: dict[str, Handler] = field(default_factory=dict)

    def on(self, topic: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if topic in self.handlers:
                raise ValueError(f"a handler for {topic!r} is already registered")
            self.handlers[topic] = handler
            return handler

        return register

    def merge(self, other: HandlerRegistry) -> None:
        for topic, handler in other.handlers.items():
            self.on(topic)(handler)


def nudge_worker(runtime: Any) -> None:
    """Nudge this process's in-process worker, if it runs one; a worker of another process
    finds the row at its next poll."""
    worker = runtime.components.get("worker")
    if worker is not None:
        worker.nudge()


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff capped at one hour."""
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 3600))


class Worker:
    def __init__(
        self,
        db: Database,
        registry: HandlerRegistry,
        runtime: Any = None,
        *,
        batch_size: int = 20,
        lease: timedelta = timedelta(seconds=120),
        max_attempts: int = 12,
    ) -> None:
        self.db = db
        self.registry = registry
        self.runtime = runtime
        self.batch_size = batch_size
        self.lease = lease
        self.max_attempts = max_attempts
        self.nudged = asyncio.Event()

    def nudge(self) -> None:
        """Something became due that should not wait for the next poll (a fast refund to
        send once its request has committed): the idle loop looks again at once."""
        self.nudged.set()

    async def claim(self, now: datetime) -> list[tuple[int, str]]:
        token = secrets.token_hex(16)
        async with self.db.transaction() as session:
            # A message whose every attempt ended with the worker dead (its lease ran out
            # with no failure recorded) would otherwise be claimed forever.
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.attempts >= self.max_attempts,
                    OutboxMessage.locked_until < now,
                )
                .values(
                    status=OutboxStatus.DEAD,
                    locked_until=None,
                    last_error="gave up: the worker died during every attempt",
                )
            )
            due = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.due_at <= now,
                    or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
                )
                .order_by(OutboxMessage.due_at, OutboxMessage.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            )
            ids = list((await session.scalars(due)).all())
            if not ids:
                return []
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(
                    lock_token=token,
                    locked_until=now + self.lease,
                    attempts=OutboxMessage.attempts + 1,
                )
            )
        return [(message_id, token) for message_id in ids]

    async def run_once(self, now: datetime | None = None) -> int:
        """Claim and handle one batch of due messages; returns how many were handled."""
        now = now or utcnow()
        claimed = await self.claim(now)
        handled = 0
        for message_id, token in claimed:
            if await self.handle(message_id, token, now):
                handled += 1
        return handled

    async def drain(self, now: datetime | None = None, *, max_rounds: int = 100) -> int:
        """Run batches until nothing is due (handlers may emit further messages)."""
        total = 0
        for _ in range(max_rounds):
            handled = await self.run_once(now)
            total += handled
            if handled == 0:
                break
        return total

    async def handle(self, message_id: int, token: str, now: datetime) -> bool:
        try:
            async with self.db.transaction() as session:
                finished = await session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id == message_id,
                        OutboxMessage.lock_token == token,
                        OutboxMessage.status == OutboxStatus.PENDING,
                    )
                    .values(status=OutboxStatus.DONE, done_at=now, locked_until=None)
                )
                if finished.rowcount != 1:
                    return False  # another worker took it after our lease ran out
                message = await session.get_one(OutboxMessage, message_id)
                handler = self.registry.handlers.get(message.topic)
                if handler is None:
                    raise LookupError(f"no handler for topic {message.topic!r}")
                await handler(TaskContext(session, message, now, self.runtime))
            return True
        except Exception as exc:  # a failing handler is retried later, never lost
            log.warning("outbox.handler_failed", message_id=message_id, error=repr(exc))
            await self._record_failure(message_id, token, now, exc)
            return False

    async def _record_failure(
        self, message_id: int, token: str, now: datetime, exc: Exception
    ) -> None:
        async with self.db.transaction() as session:
            message = await session.get(OutboxMessage, message_id)
            if message is None or message.lock_token != token:
                return
            message.last_error = repr(exc)[:2000]
            message.locked_until = None
            if message.attempts >= self.max_attempts:
                message.status = OutboxStatus.DEAD
                log.error("outbox.dead", message_id=message_id, topic=message.topic)
            else:
                message.due_at = now + retry_delay(message.attempts)

    async def run_forever(self, stop: asyncio.Event, poll_seconds: float = 1.0) -> None:
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception as exc:  # the loop must survive a lost connection
                log.error("worker.loop_error", error=repr(exc))
                handled = 0
            if handled == 0:
                await self._idle(stop, poll_seconds)

    async def _idle(self, stop: asyncio.Event, poll_seconds: float) -> None:
        """Wait for the next poll, a nudge or the stop, whichever comes first."""
        waits = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.nudged.wait())}
        _, pending = await asyncio.wait(
            waits, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED
        )
        for wait in pending:
            wait.cancel()
        self.nudged.clear()
