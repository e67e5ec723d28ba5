"""What a running process shares: settings, database, optional Redis, limits, worker handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from weshop.core.config import Settings
from weshop.core.db import Database, PoolSize
from weshop.core.lockout import DatabaseLockouts, Lockouts, RedisLockouts
from weshop.core.ratelimit import DatabaseRateLimiter, RateLimiter, RedisRateLimiter
from weshop.core.table_versions import TableVersions
from weshop.core.worker import HandlerRegistry


@dataclass
class Runtime:
    settings: Settings
    db: Database
    redis: Redis | None
    rate_limiter: RateLimiter
    lockouts: Lockouts
    handlers: HandlerRegistry = field(default_factory=HandlerRegistry)
    # Domain components (payment providers, code senders) keyed by name, set at start-up.
    components: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        pool = PoolSize(
            size=settings.database_pool_size,
            overflow=settings.database_max_overflow,
            recycle_seconds=settings.database_pool_recycle_seconds,
        )
        versions = TableVersions.for_database(settings.data_dir, settings.database_url)
        db = Database(settings.database_url, pool, versions=versions)
        redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        limiter: RateLimiter = RedisRateLimiter(redis) if redis else DatabaseRateLimiter(db)
        lockouts: Lockouts = RedisLockouts(redis) if redis else DatabaseLockouts(db)
        return cls(settings=settings, db=db, redis=redis, rate_limiter=limiter, lockouts=lockouts)

    async def close(self) -> None:
        await self.db.dispose()
        if self.redis is not None:
            await self.redis.aclose()
