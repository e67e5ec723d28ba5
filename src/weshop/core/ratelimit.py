"""Fixed-window rate limits: in Redis when configured, otherwise in the database.

Both count atomically (``INCR`` in Redis, an upsert in SQL), so concurrent requests from
several server processes share one limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from redis.asyncio import Redis
from sqlalchemy import String, UniqueConstraint, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, Database
from weshop.core.errors import RateLimited


class RateCounter(Base):
    __tablename__ = "rate_counters"
    __table_args__ = (UniqueConstraint("bucket", "window_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(160))
    window_start: Mapped[int]
    hits: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(index=True)


@dataclass(frozen=True)
class Limit:
    name: str
    max_hits: int
    window_seconds: int


class RateLimiter(Protocol):
    async def hit(self, limit: Limit, subject: str) -> int:
        """Count one hit of ``subject`` against ``limit``; return the hits in this window."""


async def enforce(limiter: RateLimiter, limit: Limit, subject: str) -> None:
    hits = await limiter.hit(limit, subject)
    if hits > limit.max_hits:
        window_ends = (_window(limit, utcnow()) + 1) * limit.window_seconds
        raise RateLimited(
            f"too many requests; try again in up to {limit.window_seconds} seconds",
            details={"limit": limit.name, "window_seconds": limit.window_seconds},
            retry_after_seconds=max(1, math.ceil(window_ends - utcnow().timestamp())),
        )


def _window(limit: Limit, now: datetime) -> int:
    return int(now.timestamp()) // limit.window_seconds


class RedisRateLimiter:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def hit(self, limit: Limit, subject: str) -> int:
        window = _window(limit, utcnow())
        key = f"weshop:rl:{limit.name}:{subject}:{window}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, limit.window_seconds + 5)
            hits, _ = await pipe.execute()
        return int(hits)


class DatabaseRateLimiter:
    """Counts in its own short transaction so a refused request still counts."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def hit(self, limit: Limit, subject: str) -> int:
        now = utcnow()
        window = _window(limit, now)
        bucket = f"{limit.name}:{subject}"[:160]
        insert = sqlite_insert if self.db.is_sqlite else pg_insert
        expires = datetime.fromtimestamp((window + 1) * limit.window_seconds, tz=now.tzinfo)
        statement = insert(RateCounter).values(
            bucket=bucket, window_start=window, hits=1, expires_at=expires
        )
        statement = statement.on_conflict_do_update(
            index_elements=["bucket", "window_start"],
            set_={"hits": RateCounter.hits + 1},
        )
        async with self.db.transaction() as session:
            await session.execute(statement)
            hits = await session.scalar(
                select(RateCounter.hits).where(
                    RateCounter.bucket == bucket, RateCounter.window_start == window
                )
            )
            await session.execute(delete(RateCounter).where(RateCounter.expires_at < now))
        return int(hits or 0)
