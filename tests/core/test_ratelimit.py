"""Fixed-window rate limits, in the database and in Redis: exact counts under concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from weshop.core import ratelimit
from weshop.core.errors import RateLimited
from weshop.core.ratelimit import (
    DatabaseRateLimiter,
    Limit,
    RateCounter,
    RedisRateLimiter,
    enforce,
)

# The start of a 60-second window (and of an hour), so tests never straddle a boundary.
WINDOW_START = datetime(2030, 1, 1, 8, 0, 0, tzinfo=UTC)


class FrozenClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    frozen = FrozenClock(WINDOW_START + timedelta(seconds=10))
    monkeypatch.setattr(ratelimit, "utcnow", frozen)
    return frozen


@pytest.fixture(params=["database", "redis"])
def make_limiter(request: pytest.FixtureRequest, runtime) -> Callable[[], ratelimit.RateLimiter]:
    if request.param == "database":
        return lambda: DatabaseRateLimiter(runtime.db)
    if runtime.redis is None:
        pytest.skip("Redis is not configured (set WESHOP_TEST_REDIS_URL)")
    return lambda: RedisRateLimiter(runtime.redis)


async def test_counts_per_subject_and_limit(make_limiter, clock: FrozenClock) -> None:
    limiter = make_limiter()
    sms = Limit("sms", max_hits=3, window_seconds=60)
    login = Limit("login", max_hits=3, window_seconds=60)
    assert [await limiter.hit(sms, "13800000001") for _ in range(3)] == [1, 2, 3]
    assert await limiter.hit(sms, "13800000002") == 1
    assert await limiter.hit(login, "13800000001") == 1
    assert await limiter.hit(sms, "13800000001") == 4


async def test_a_new_window_starts_from_zero(make_limiter, clock: FrozenClock) -> None:
    limiter = make_limiter()
    limit = Limit("sms", max_hits=2, window_seconds=60)
    assert [await limiter.hit(limit, "s") for _ in range(3)] == [1, 2, 3]
    clock.now = WINDOW_START + timedelta(seconds=59, microseconds=999_999)
    assert await limiter.hit(limit, "s") == 4  # still the same window
    clock.now = WINDOW_START + timedelta(seconds=60)
    assert await limiter.hit(limit, "s") == 1
    assert await limiter.hit(limit, "s") == 2


async def test_enforce_refuses_after_max_hits(make_limiter, clock: FrozenClock) -> None:
    limiter = make_limiter()
    limit = Limit("otp", max_hits=3, window_seconds=3600)
    for _ in range(3):
        await enforce(limiter, limit, "client:198.51.100.7")
    for _ in range(2):
        with pytest.raises(RateLimited) as raised:
            await enforce(limiter, limit, "client:198.51.100.7")
        assert raised.value.status_code == 429
        assert raised.value.code == "rate_limited"
        assert raised.value.details == {"limit": "otp", "window_seconds": 3600}
    # Refused hits still count, and another subject is unaffected.
    assert await limiter.hit(limit, "client:198.51.100.7") == 6
    await enforce(limiter, limit, "client:198.51.100.8")
    clock.now += timedelta(hours=1)
    await enforce(limiter, limit, "client:198.51.100.7")


async def test_fifty_concurrent_hits_count_exactly_fifty(make_limiter, clock: FrozenClock) -> None:
    limiter = make_limiter()
    limit = Limit("burst", max_hits=10, window_seconds=60)
    counts = await asyncio.gather(*(limiter.hit(limit, "hot") for _ in range(50)))
    # Each hit sees its own increment: 1..50, none lost, none repeated.
    assert sorted(counts) == list(range(1, 51))
    assert await limiter.hit(limit, "hot") == 51


async def test_fifty_concurrent_enforces_let_exactly_max_hits_through(
    make_limiter, clock: FrozenClock
) -> None:
    limiter = make_limiter()
    limit = Limit("flash", max_hits=10, window_seconds=60)
    results = await asyncio.gather(
        *(enforce(limiter, limit, "buyer") for _ in range(50)), return_exceptions=True
    )
    assert sum(result is None for result in results) == 10
    assert sum(isinstance(result, RateLimited) for result in results) == 40


async def test_database_counters_of_past_windows_are_cleaned_up(runtime, clock) -> None:
    limiter = DatabaseRateLimiter(runtime.db)
    limit = Limit("sms", max_hits=5, window_seconds=60)
    await limiter.hit(limit, "a")
    await limiter.hit(limit, "b")
    clock.now += timedelta(minutes=5)
    await limiter.hit(limit, "a")
    async with runtime.db.session() as session:
        rows = list((await session.scalars(select(RateCounter))).all())
    assert [(row.bucket, row.hits) for row in rows] == [("sms:a", 1)]
    assert rows[0].expires_at == WINDOW_START + timedelta(minutes=6)


async def test_database_concurrent_hits_on_many_subjects_with_expired_rows(runtime, clock) -> None:
    limiter = DatabaseRateLimiter(runtime.db)
    limit = Limit("many", max_hits=5, window_seconds=60)
    for subject in range(20):
        await limiter.hit(limit, f"old-{subject}")
    clock.now += timedelta(minutes=2)
    counts = await asyncio.gather(
        *(limiter.hit(limit, f"s{i % 10}") for i in range(50)), return_exceptions=True
    )
    assert not [c for c in counts if isinstance(c, BaseException)], counts
    async with runtime.db.session() as session:
        rows = list((await session.scalars(select(RateCounter))).all())
    assert sorted((row.bucket, row.hits) for row in rows) == [(f"many:s{i}", 5) for i in range(10)]


async def test_redis_keys_expire_after_their_window(runtime, clock) -> None:
    if runtime.redis is None:
        pytest.skip("Redis is not configured (set WESHOP_TEST_REDIS_URL)")
    limit = Limit("sms", max_hits=5, window_seconds=60)
    await RedisRateLimiter(runtime.redis).hit(limit, "ttl")
    keys = [key async for key in runtime.redis.scan_iter("weshop:rl:sms:ttl:*")]
    assert len(keys) == 1
    ttl = await runtime.redis.ttl(keys[0])
    assert 0 < ttl <= 65
