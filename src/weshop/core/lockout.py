"""Locks after repeated failures, with a backoff that doubles: in Redis when configured,
otherwise in the database.

An attempt is counted as a failure *before* it is checked, atomically, so that a burst of
concurrent guesses cannot slip past the limit while the first ones are still being checked;
a success then takes its attempt back (or, for a backoff that says so, clears the record).
When more than ``max_failures`` attempts are counted, the subject is locked for the first lock
time, then twice as long at each further lock, up to the cap; its failures then start again
from zero. A subject that fails nothing for ``forget_after_seconds`` starts afresh.

Times come from :func:`weshop.core.clock.utcnow` (stored as absolute times, never as Redis
expiry alone), so a test can move the clock instead of sleeping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from redis.asyncio import Redis
from sqlalchemy import String, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, Database


class FailureLock(Base):
    __tablename__ = "failure_locks"

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(160), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    locks: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime] = mapped_column(index=True)


@dataclass(frozen=True)
class Backoff:
    name: str
    max_failures: int
    first_lock_seconds: int
    max_lock_seconds: int
    forget_after_seconds: int
    # True: a success clears the record (an account whose owner got in); False: a success only
    # takes back its own attempt (a client address, shared by many, guessing many accounts).
    reset_on_success: bool

    def lock_seconds(self, locks_before: int) -> int:
        return min(self.first_lock_seconds * 2 ** min(locks_before, 32), self.max_lock_seconds)


class Locked(Exception):
    """The subject is locked; try again in ``retry_after_seconds``."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"locked for {retry_after_seconds} more seconds")
        self.retry_after_seconds = retry_after_seconds


def _seconds_left(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


class Lockouts(Protocol):
    async def attempt(self, backoff: Backoff, subject: str) -> None:
        """Count an attempt of ``subject``; raise :class:`Locked` if it is (or now becomes)
        locked. Call before the request's own transaction touches the database."""

    async def succeeded(self, backoff: Backoff, subject: str, session: AsyncSession) -> None:
        """The attempt succeeded: take it back, or clear the record. Written with the
        request's ``session`` where the record lives in the database, so it only counts if
        the success commits."""


# KEYS[1] the record; ARGV: now (ms), max_failures, first lock (ms), cap (ms), forget (ms),
# key lifetime (s). Returns 0 when the attempt may go on, else the lock's end (ms).
_ATTEMPT = """
local now = tonumber(ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
if now - last > tonumber(ARGV[5]) then
  redis.call('DEL', KEYS[1])
end
local locked_until = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if locked_until > now then
  return locked_until
end
redis.call('HSET', KEYS[1], 'last', now)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[6]))
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if failures <= tonumber(ARGV[2]) then
  return 0
end
local locks = tonumber(redis.call('HGET', KEYS[1], 'locks') or '0')
local seconds = math.min(tonumber(ARGV[3]) * 2 ^ math.min(locks, 32), tonumber(ARGV[4]))
locked_until = now + seconds
redis.call('HSET', KEYS[1], 'until', locked_until, 'failures', 0, 'locks', locks + 1)
return locked_until
"""

_TAKE_BACK = """
if tonumber(redis.call('HGET', KEYS[1], 'failures') or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], 'failures', -1)
end
return 0
"""


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class RedisLockouts:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._attempt = redis.register_script(_ATTEMPT)
        self._take_back = redis.register_script(_TAKE_BACK)

    @staticmethod
    def _key(backoff: Backoff, subject: str) -> str:
        return f"weshop:lock:{backoff.name}:{subject}"

    async def attempt(self, backoff: Backoff, subject: str) -> None:
        now = utcnow()
        lifetime = backoff.forget_after_seconds + backoff.max_lock_seconds
        locked_until = int(
            await self._attempt(
                keys=[self._key(backoff, subject)],
                args=[
                    _ms(now),
                    backoff.max_failures,
                    backoff.first_lock_seconds * 1000,
                    backoff.max_lock_seconds * 1000,
                    backoff.forget_after_seconds * 1000,
                    lifetime,
                ],
            )
        )
        if locked_until:
            until = datetime.fromtimestamp(locked_until / 1000, tz=now.tzinfo)
            raise Locked(_seconds_left(until, now))

    async def succeeded(self, backoff: Backoff, subject: str, session: AsyncSession) -> None:
        key = self._key(backoff, subject)
        if backoff.reset_on_success:
            await self.redis.delete(key)
        else:
            await self._take_back(keys=[key], args=[])


class DatabaseLockouts:
    """Counts in its own short transaction so a refused attempt still counts."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def _bucket(backoff: Backoff, subject: str) -> str:
        return f"{backoff.name}:{subject}"[:160]

    async def attempt(self, backoff: Backoff, subject: str) -> None:
        now = utcnow()
        bucket = self._bucket(backoff, subject)
        insert = sqlite_insert if self.db.is_sqlite else pg_insert
        create = (
            insert(FailureLock)
            .values(bucket=bucket, failures=0, locks=0, last_attempt_at=now)
            .on_conflict_do_nothing(index_elements=["bucket"])
        )
        async with self.db.transaction() as session:
            await session.execute(create)
            record = await session.scalar(
                select(FailureLock).where(FailureLock.bucket == bucket).with_for_update()
            )
            assert record is not None
            if now - record.last_attempt_at > timedelta(seconds=backoff.forget_after_seconds):
                record.failures, record.locks, record.locked_until = 0, 0, None
            if record.locked_until is not None and record.locked_until > now:
                raise Locked(_seconds_left(record.locked_until, now))
            record.last_attempt_at = now
            record.failures += 1
            if record.failures > backoff.max_failures:
                record.locked_until = now + timedelta(seconds=backoff.lock_seconds(record.locks))
                record.failures, record.locks = 0, record.locks + 1
            locked_until = record.locked_until
            forgotten = now - timedelta(
                seconds=backoff.forget_after_seconds + backoff.max_lock_seconds
            )
            await session.execute(
                delete(FailureLock).where(FailureLock.last_attempt_at < forgotten)
            )
        if locked_until is not None and locked_until > now:
            raise Locked(_seconds_left(locked_until, now))

    async def succeeded(self, backoff: Backoff, subject: str, session: AsyncSession) -> None:
        bucket = self._bucket(backoff, subject)
        if backoff.reset_on_success:
            await session.execute(delete(FailureLock).where(FailureLock.bucket == bucket))
        else:
            await session.execute(
                update(FailureLock)
                .where(FailureLock.bucket == bucket, FailureLock.failures > 0)
                .values(failures=FailureLock.failures - 1)
            )
