"""Locks after repeated failures, in the database and in Redis: the limit holds under
concurrency, the lock doubles up to its cap, a success clears or takes back, quiet time
forgets. The clock is moved, never slept on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from weshop.core import lockout
from weshop.core.lockout import Backoff, DatabaseLockouts, Locked, Lockouts, RedisLockouts


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock(datetime(2030, 1, 1, 8, 0, 0, tzinfo=UTC))
    monkeypatch.setattr(lockout, "utcnow", moved)
    return moved


@pytest.fixture(params=["database", "redis"])
def make_lockouts(request: pytest.FixtureRequest, runtime) -> Callable[[], Lockouts]:
    if request.param == "database":
        return lambda: DatabaseLockouts(runtime.db)
    if runtime.redis is None:
        pytest.skip("Redis is not configured (set WESHOP_TEST_REDIS_URL)")
    return lambda: RedisLockouts(runtime.redis)


def backoff(*, reset_on_success: bool = True, max_failures: int = 3) -> Backoff:
    return Backoff(
        name=f"test.{reset_on_success}",
        max_failures=max_failures,
        first_lock_seconds=60,
        max_lock_seconds=200,
        forget_after_seconds=3600,
        reset_on_success=reset_on_success,
    )


async def attempts_allowed(lockouts: Lockouts, limit: Backoff, subject: str, tries: int) -> int:
    allowed = 0
    for _ in range(tries):
        try:
            await lockouts.attempt(limit, subject)
            allowed += 1
        except Locked:
            pass
    return allowed


async def locked_for(lockouts: Lockouts, limit: Backoff, subject: str) -> int:
    with pytest.raises(Locked) as refused:
        await lockouts.attempt(limit, subject)
    return refused.value.retry_after_seconds


async def test_the_lock_doubles_up_to_its_cap_and_ends_on_time(make_lockouts, clock) -> None:
    lockouts, limit = make_lockouts(), backoff()
    assert await attempts_allowed(lockouts, limit, "a", 3) == 3
    assert await locked_for(lockouts, limit, "a") == 60
    assert await attempts_allowed(lockouts, limit, "b", 3) == 3  # others are not locked
    clock.advance(59)
    assert await locked_for(lockouts, limit, "a") == 1
    clock.advance(2)
    assert await attempts_allowed(lockouts, limit, "a", 3) == 3
    assert await locked_for(lockouts, limit, "a") == 120
    clock.advance(121)
    assert await attempts_allowed(lockouts, limit, "a", 4) == 3
    assert await locked_for(lockouts, limit, "a") == 200  # 240, capped


async def test_a_success_clears_the_record_or_takes_back_its_attempt(
    make_lockouts, clock, runtime
) -> None:
    lockouts = make_lockouts()
    account, client = backoff(reset_on_success=True), backoff(reset_on_success=False)
    for limit in (account, client):
        assert await attempts_allowed(lockouts, limit, "x", 3) == 3
        async with runtime.db.transaction() as session:
            await lockouts.succeeded(limit, "x", session)
    assert await attempts_allowed(lockouts, account, "x", 4) == 3
    assert await attempts_allowed(lockouts, client, "x", 2) == 1


async def test_concurrent_attempts_never_pass_the_limit(make_lockouts, clock) -> None:
    lockouts, limit = make_lockouts(), backoff(max_failures=5)

    async def one() -> bool:
        try:
            await lockouts.attempt(limit, "burst")
            return True
        except Locked:
            return False

    results = await asyncio.gather(*(one() for _ in range(40)))
    assert sum(results) == 5


async def test_quiet_time_forgets_failures_and_past_locks(make_lockouts, clock) -> None:
    lockouts, limit = make_lockouts(), backoff()
    assert await attempts_allowed(lockouts, limit, "q", 4) == 3  # locked once
    clock.advance(61)
    assert await attempts_allowed(lockouts, limit, "q", 2) == 2
    clock.advance(3601)
    assert await attempts_allowed(lockouts, limit, "q", 4) == 3
    assert await locked_for(lockouts, limit, "q") == 60  # a first lock again, not a second
