"""A message that kills the worker on every attempt ends DEAD instead of looping forever."""

from __future__ import annotations

from datetime import timedelta

from weshop.core.clock import utcnow
from weshop.core.outbox import OutboxMessage, OutboxStatus, emit
from weshop.core.worker import HandlerRegistry, Worker


async def test_a_message_that_always_kills_the_worker_is_given_up(runtime):
    registry = HandlerRegistry()
    ran = []

    @registry.on("poison")
    async def handler(ctx) -> None:
        ran.append(ctx.message.id)

    worker = Worker(runtime.db, registry, runtime, lease=timedelta(seconds=10), max_attempts=3)
    async with runtime.db.transaction() as session:
        message = emit(session, "poison", {})
    now = utcnow()
    for attempt in range(3):  # claimed, then the process "dies": handle() never runs
        claimed = await worker.claim(now + timedelta(minutes=attempt))
        assert [m for m, _ in claimed] == [message.id]
    assert await worker.claim(now + timedelta(minutes=10)) == []
    async with runtime.db.session() as session:
        dead = await session.get_one(OutboxMessage, message.id)
    assert dead.status == OutboxStatus.DEAD
    assert dead.attempts == 3
    assert "died" in dead.last_error
    assert ran == []
