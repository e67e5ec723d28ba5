"""The outbox and the worker: written with its cause, run exactly once, never lost.

Every test builds its own ``HandlerRegistry`` so that only test handlers run.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from weshop.core.clock import utcnow
from weshop.core.outbox import OutboxMessage, OutboxStatus, emit
from weshop.core.worker import HandlerRegistry, TaskContext, Worker, retry_delay


class Boom(Exception):
    pass


async def _emit(runtime, topic: str, payload: dict | None = None, **kwargs) -> int:
    async with runtime.db.transaction() as session:
        message = emit(session, topic, payload or {}, **kwargs)
        await session.flush()
        return message.id


async def _message(runtime, message_id: int) -> OutboxMessage:
    async with runtime.db.session() as session:
        return await session.get_one(OutboxMessage, message_id)


async def _messages(runtime, topic: str | None = None) -> list[OutboxMessage]:
    async with runtime.db.session() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if topic is not None:
            query = query.where(OutboxMessage.topic == topic)
        return list((await session.scalars(query)).all())


def test_registry_refuses_a_second_handler_for_a_topic() -> None:
    registry = HandlerRegistry()

    @registry.on("t")
    async def first(ctx: TaskContext) -> None:
        pass

    with pytest.raises(ValueError):
        registry.on("t")(first)
    other = HandlerRegistry()
    other.on("t")(first)
    with pytest.raises(ValueError):
        registry.merge(other)


def test_retry_delay_grows_exponentially_and_is_capped() -> None:
    assert [retry_delay(n).total_seconds() for n in range(1, 6)] == [5, 10, 20, 40, 80]
    assert retry_delay(0) == timedelta(seconds=5)
    assert retry_delay(11) == timedelta(hours=1)
    assert retry_delay(50) == timedelta(hours=1)


async def test_a_message_emitted_in_a_rolled_back_transaction_never_runs(runtime) -> None:
    registry = HandlerRegistry()
    calls: list[int] = []

    @registry.on("test.event")
    async def handler(ctx: TaskContext) -> None:
        calls.append(ctx.message.id)

    with pytest.raises(Boom):
        async with runtime.db.transaction() as session:
            emit(session, "test.event", {"n": 1})
            await session.flush()
            raise Boom

    worker = Worker(runtime.db, registry, runtime)
    assert await worker.run_once(utcnow() + timedelta(days=1)) == 0
    assert calls == []
    assert await _messages(runtime) == []


async def test_a_committed_message_runs_exactly_once(runtime) -> None:
    registry = HandlerRegistry()
    seen: list[tuple[int, dict, object]] = []

    @registry.on("test.event")
    async def handler(ctx: TaskContext) -> None:
        seen.append((ctx.message.id, ctx.payload, ctx.runtime))

    payload = {"order_id": 7, "note": "发货通知", "amount_fen": 12345}
    message_id = await _emit(runtime, "test.event", payload, store_id=3)
    worker = Worker(runtime.db, registry, runtime)
    now = utcnow()
    assert await worker.run_once(now) == 1
    assert await worker.run_once(now + timedelta(minutes=5)) == 0
    assert await worker.drain(now + timedelta(days=30)) == 0
    assert seen == [(message_id, payload, runtime)]

    message = await _message(runtime, message_id)
    assert message.status == OutboxStatus.DONE
    assert message.done_at == now
    assert message.attempts == 1
    assert message.locked_until is None
    assert message.last_error is None
    assert message.store_id == 3


async def test_a_failing_handler_is_retried_with_backoff_then_dead(runtime) -> None:
    registry = HandlerRegistry()
    calls: list[int] = []

    @registry.on("test.flaky")
    async def handler(ctx: TaskContext) -> None:
        calls.append(ctx.message.attempts)
        raise Boom(f"provider down (attempt {ctx.message.attempts})")

    message_id = await _emit(runtime, "test.flaky")
    worker = Worker(runtime.db, registry, runtime, max_attempts=3)
    t0 = utcnow()

    assert await worker.run_once(t0) == 0
    message = await _message(runtime, message_id)
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert message.due_at == t0 + timedelta(seconds=5)
    assert message.locked_until is None
    assert "provider down (attempt 1)" in (message.last_error or "")

    # Not due again before the backoff has passed.
    assert await worker.run_once(t0 + timedelta(seconds=4)) == 0
    assert calls == [1]

    t1 = t0 + timedelta(seconds=5)
    assert await worker.run_once(t1) == 0
    message = await _message(runtime, message_id)
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 2
    assert message.due_at == t1 + timedelta(seconds=10)
    assert "attempt 2" in (message.last_error or "")

    assert await worker.run_once(t1 + timedelta(seconds=9)) == 0
    t2 = t1 + timedelta(seconds=10)
    assert await worker.run_once(t2) == 0
    message = await _message(runtime, message_id)
    assert message.status == OutboxStatus.DEAD
    assert message.attempts == 3
    assert "attempt 3" in (message.last_error or "")
    assert message.done_at is None

    # A dead message is kept for inspection and never runs again.
    assert await worker.drain(t2 + timedelta(days=365)) == 0
    assert calls == [1, 2, 3]


async def test_a_handler_that_recovers_finishes_once(runtime) -> None:
    registry = HandlerRegistry()
    calls: list[int] = []

    @registry.on("test.recovering")
    async def handler(ctx: TaskContext) -> None:
        calls.append(ctx.message.attempts)
        if ctx.message.attempts < 3:
            raise Boom("not yet")

    message_id = await _emit(runtime, "test.recovering")
    worker = Worker(runtime.db, registry, runtime)
    now = utcnow()
    for _ in range(6):
        await worker.run_once(now)
        now += timedelta(hours=1)
    assert calls == [1, 2, 3]
    message = await _message(runtime, message_id)
    assert message.status == OutboxStatus.DONE
    assert message.attempts == 3


async def test_a_message_without_a_handler_is_kept_and_retried_not_dropped(runtime) -> None:
    message_id = await _emit(runtime, "test.nobody.listens")
    worker = Worker(runtime.db, HandlerRegistry(), runtime, max_attempts=2)
    now = utcnow()
    assert await worker.run_once(now) == 0
    message = await _message(runtime, message_id)
    assert message.status == OutboxStatus.PENDING
    assert "no handler" in (message.last_error or "")
    assert await worker.run_once(now + timedelta(hours=1)) == 0
    assert (await _message(runtime, message_id)).status == OutboxStatus.DEAD


async def test_a_deadline_runs_at_its_time_not_before(runtime) -> None:
    registry = HandlerRegistry()
    ran_at: list = []

    @registry.on("test.deadline")
    async def handler(ctx: TaskContext) -> None:
        ran_at.append(ctx.now)

    now = utcnow()
    due = now + timedelta(minutes=30)
    message_id = await _emit(runtime, "test.deadline", {"order_id": 1}, due_at=due)
    worker = Worker(runtime.db, registry, runtime)

    assert await worker.run_once(now) == 0
    assert await worker.run_once(due - timedelta(microseconds=1)) == 0
    assert ran_at == []
    message = await _message(runtime, message_id)
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 0

    later = due + timedelta(seconds=1)
    assert await worker.run_once(later) == 1
    assert ran_at == [later]
    assert await worker.run_once(later + timedelta(days=1)) == 0
    assert (await _message(runtime, message_id)).status == OutboxStatus.DONE


async def test_due_messages_run_oldest_first(runtime) -> None:
    registry = HandlerRegistry()
    order: list[str] = []

    @registry.on("test.ordered")
    async def handler(ctx: TaskContext) -> None:
        order.append(ctx.payload["name"])

    now = utcnow()
    await _emit(runtime, "test.ordered", {"name": "c"}, due_at=now - timedelta(seconds=1))
    await _emit(runtime, "test.ordered", {"name": "a"}, due_at=now - timedelta(seconds=3))
    await _emit(runtime, "test.ordered", {"name": "b"}, due_at=now - timedelta(seconds=2))
    await _emit(runtime, "test.ordered", {"name": "later"}, due_at=now + timedelta(seconds=1))
    assert await Worker(runtime.db, registry, runtime).run_once(now) == 3
    assert order == ["a", "b", "c"]


async def test_a_crashed_worker_loses_nothing_and_repeats_nothing(runtime) -> None:
    registry = HandlerRegistry()
    calls: list[int] = []

    @registry.on("test.crash")
    async def handler(ctx: TaskContext) -> None:
        calls.append(ctx.message.id)

    message_id = await _emit(runtime, "test.crash")
    lease = timedelta(seconds=120)
    first = Worker(runtime.db, registry, runtime, lease=lease)
    second = Worker(runtime.db, registry, runtime, lease=lease)
    t0 = utcnow()

    claimed = await first.claim(t0)
    assert [message_id for message_id, _ in claimed] == [message_id]
    [(_, old_token)] = claimed
    # ... and the first worker dies here, never calling handle().

    message = await _message(runtime, message_id)
    assert message.status == OutboxStatus.PENDING
    assert message.locked_until == t0 + lease
    assert message.attempts == 1

    assert await second.run_once(t0 + timedelta(seconds=60)) == 0
    assert await second.run_once(t0 + lease) == 0
    assert calls == []

    assert await second.run_once(t0 + lease + timedelta(seconds=1)) == 1
    assert calls == [message_id]

    # The first worker wakes up and tries to finish with its stale lease: nothing happens.
    assert await first.handle(message_id, old_token, t0 + lease + timedelta(seconds=2)) is False
    assert calls == [message_id]
    message = await _message(runtime, message_id)
    assert message.status == OutboxStatus.DONE
    assert message.attempts == 2
    assert message.last_error is None
    assert await first.drain(t0 + timedelta(days=1)) == 0
    assert calls == [message_id]


async def test_a_worker_cancelled_inside_the_handler_leaves_the_message_for_later(
    runtime,
) -> None:
    """A process killed mid-handler (here: its task cancelled) commits nothing of the handler."""
    registry = HandlerRegistry()
    calls: list[int] = []

    @registry.on("test.crash")
    async def handler(ctx: TaskContext) -> None:
        calls.append(ctx.message.attempts)
        emit(ctx.session, "test.child", {})
        await ctx.session.flush()
        if len(calls) == 1:
            raise asyncio.CancelledError

    message_id = await _emit(runtime, "test.crash")
    worker = Worker(runtime.db, registry, runtime)
    t0 = utcnow()
    with pytest.raises(asyncio.CancelledError):
        await worker.run_once(t0)
    message = await _message(runtime, message_id)
    assert message.status == OutboxStatus.PENDING
    assert message.locked_until == t0 + worker.lease
    assert await _messages(runtime, "test.child") == []

    assert await worker.run_once(t0 + worker.lease) == 0
    assert await worker.run_once(t0 + worker.lease + timedelta(seconds=1)) == 1
    assert calls == [1, 2]
    assert len(await _messages(runtime, "test.child")) == 1
    assert (await _message(runtime, message_id)).status == OutboxStatus.DONE


async def test_run_forever_handles_messages_until_stopped(runtime) -> None:
    registry = HandlerRegistry()
    handled = asyncio.Event()
    calls: list[int] = []

    @registry.on("test.loop")
    async def handler(ctx: TaskContext) -> None:
        calls.append(ctx.message.id)
        if len(calls) == 2:
            handled.set()

    worker = Worker(runtime.db, registry, runtime)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop, poll_seconds=0.01))
    try:
        first = await _emit(runtime, "test.loop")
        await asyncio.sleep(0.05)
        second = await _emit(runtime, "test.loop")
        await asyncio.wait_for(handled.wait(), timeout=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    assert calls == [first, second]


async def test_a_stale_lease_cannot_finish_a_message_another_worker_holds(runtime) -> None:
    registry = HandlerRegistry()
    calls: list[int] = []

    @registry.on("test.crash")
    async def handler(ctx: TaskContext) -> None:
        calls.append(ctx.message.id)
        raise Boom("should not be recorded for the stale worker")

    message_id = await _emit(runtime, "test.crash")
    first = Worker(runtime.db, registry, runtime)
    second = Worker(runtime.db, registry, runtime)
    t0 = utcnow()
    [(_, old_token)] = await first.claim(t0)
    later = t0 + first.lease + timedelta(seconds=1)
    [(_, new_token)] = await second.claim(later)
    assert new_token != old_token

    assert await first.handle(message_id, old_token, later) is False
    assert calls == []
    message = await _message(runtime, message_id)
    assert message.status == OutboxStatus.PENDING
    assert message.lock_token == new_token
    assert message.last_error is None

    # The holder's failure is recorded once, and its lease is released for the retry.
    assert await second.handle(message_id, new_token, later) is False
    assert calls == [message_id]
    message = await _message(runtime, message_id)
    assert message.attempts == 2
    assert message.locked_until is None
    assert message.due_at == later + retry_delay(2)
    assert "should not be recorded" in (message.last_error or "")


async def test_handler_writes_commit_together_with_the_done_mark(runtime) -> None:
    registry = HandlerRegistry()

    @registry.on("test.parent")
    async def parent(ctx: TaskContext) -> None:
        emit(ctx.session, "test.child", {"parent": ctx.message.id})

    children: list[int] = []

    @registry.on("test.child")
    async def child(ctx: TaskContext) -> None:
        children.append(ctx.payload["parent"])

    parent_id = await _emit(runtime, "test.parent")
    worker = Worker(runtime.db, registry, runtime)
    now = utcnow()
    assert await worker.run_once(now) == 1
    [child_row] = await _messages(runtime, "test.child")
    assert child_row.payload == {"parent": parent_id}
    assert child_row.status == OutboxStatus.PENDING
    assert await worker.drain(utcnow()) == 1
    assert children == [parent_id]


async def test_handler_writes_roll_back_when_the_handler_fails(runtime) -> None:
    registry = HandlerRegistry()
    attempts: list[int] = []

    @registry.on("test.parent")
    async def parent(ctx: TaskContext) -> None:
        attempts.append(ctx.message.attempts)
        emit(ctx.session, "test.child", {"parent": ctx.message.id})
        await ctx.session.flush()  # the row really reaches the database before the failure
        raise Boom("after writing")

    @registry.on("test.child")
    async def child(ctx: TaskContext) -> None:
        raise AssertionError("a child of a failed handler must never exist")

    parent_id = await _emit(runtime, "test.parent")
    worker = Worker(runtime.db, registry, runtime, max_attempts=2)
    now = utcnow()
    assert await worker.run_once(now) == 0
    assert await _messages(runtime, "test.child") == []
    message = await _message(runtime, parent_id)
    assert message.status == OutboxStatus.PENDING  # the DONE mark was rolled back too
    assert message.done_at is None

    assert await worker.run_once(now + timedelta(hours=1)) == 0
    assert await _messages(runtime, "test.child") == []
    assert (await _message(runtime, parent_id)).status == OutboxStatus.DEAD
    assert attempts == [1, 2]


async def test_concurrent_workers_handle_each_message_exactly_once(runtime) -> None:
    registry = HandlerRegistry()
    counts: Counter[int] = Counter()

    @registry.on("test.bulk")
    async def handler(ctx: TaskContext) -> None:
        await asyncio.sleep(0)  # let the other workers interleave
        counts[ctx.message.id] += 1
        await asyncio.sleep(0.001)

    async with runtime.db.transaction() as session:
        messages = [emit(session, "test.bulk", {"i": i}) for i in range(60)]
        await session.flush()
        ids = {message.id for message in messages}
    assert len(ids) == 60

    now = utcnow()
    workers = [Worker(runtime.db, registry, runtime, batch_size=7) for _ in range(3)]
    handled_total = 0
    for _ in range(30):
        handled = await asyncio.gather(*(worker.run_once(now) for worker in workers))
        handled_total += sum(handled)
        if sum(handled) == 0:
            break

    assert set(counts) == ids
    assert max(counts.values()) == 1, {k: v for k, v in counts.items() if v > 1}
    assert handled_total == 60
    rows = await _messages(runtime, "test.bulk")
    assert {row.status for row in rows} == {OutboxStatus.DONE}
    assert {row.attempts for row in rows} == {1}


async def test_concurrent_first_batches_are_disjoint(runtime) -> None:
    """Three workers claiming at once get different rows (SKIP LOCKED / the write lock)."""
    registry = HandlerRegistry()
    counts: Counter[int] = Counter()

    @registry.on("test.bulk")
    async def handler(ctx: TaskContext) -> None:
        counts[ctx.message.id] += 1

    async with runtime.db.transaction() as session:
        for i in range(60):
            emit(session, "test.bulk", {"i": i})

    now = utcnow()
    workers = [Worker(runtime.db, registry, runtime, batch_size=20) for _ in range(3)]
    claims = await asyncio.gather(*(worker.claim(now) for worker in workers))
    claimed_ids = [message_id for claim in claims for message_id, _ in claim]
    assert len(claimed_ids) == 60
    assert len(set(claimed_ids)) == 60
    results = await asyncio.gather(
        *(
            worker.handle(message_id, token, now)
            for worker, claim in zip(workers, claims, strict=True)
            for message_id, token in claim
        )
    )
    assert results == [True] * 60
    assert sorted(counts.values()) == [1] * 60


async def test_dedupe_key_is_unique(runtime) -> None:
    await _emit(runtime, "test.once", {"n": 1}, dedupe_key="order:1:paid")
    with pytest.raises(IntegrityError):
        await _emit(runtime, "test.once", {"n": 2}, dedupe_key="order:1:paid")
    await _emit(runtime, "test.once", {"n": 3}, dedupe_key="order:2:paid")
    # Messages without a key never collide.
    await _emit(runtime, "test.once", {"n": 4})
    await _emit(runtime, "test.once", {"n": 5})

    rows = await _messages(runtime, "test.once")
    assert [row.payload["n"] for row in rows] == [1, 3, 4, 5]
    async with runtime.db.session() as session:
        keyed = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.dedupe_key == "order:1:paid")
        )
    assert keyed == 1


async def test_a_duplicate_dedupe_key_rolls_back_its_whole_transaction(runtime) -> None:
    await _emit(runtime, "test.once", {"n": 1}, dedupe_key="refund:9")
    with pytest.raises(IntegrityError):
        async with runtime.db.transaction() as session:
            emit(session, "test.other", {"n": 2})
            emit(session, "test.once", {"n": 3}, dedupe_key="refund:9")
    assert [row.payload for row in await _messages(runtime)] == [{"n": 1}]
