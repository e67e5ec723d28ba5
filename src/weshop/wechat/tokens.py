"""Access tokens and JS-SDK tickets: cached once for every process of the installation.

WeChat gives an app a limited number of token fetches a day, and a new token ends the
previous one a few minutes later, so every process must use the same token and only one may
fetch the next. A credential (an app's access token or jsapi ticket) lives in Redis when
configured, otherwise in the ``wechat_credentials`` table, encrypted either way. A process
that finds none that is fresh claims the refresh (Redis ``SET NX PX``; a compare-and-set on
the row), fetches, stores and releases the claim; the others poll the cache meanwhile. A claim
expires by itself, so a process that dies while fetching holds no one up for long.

Credentials are refreshed a little before WeChat's expiry (a tenth of their life, at most
five minutes), so a call never carries one that expires in flight. A token WeChat refuses
(40001/42001/40014) is invalidated only while the cache still holds that very token: a
process holding an old copy does not throw away the one another process just fetched.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import structlog
from redis.asyncio import Redis
from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.schema import CreateTable

from weshop.core.clock import utcnow
from weshop.core.crypto import cipher
from weshop.core.db import Database, PoolSize
from weshop.core.security import token_digest
from weshop.wechat.errors import WechatApiError
from weshop.wechat.models import WechatCredential

log = structlog.get_logger(__name__)

# How long one refresh may take before another process may claim it (a fetch is one call
# with retries, each bounded by the timeout).
CLAIM_SECONDS_PER_TIMEOUT = 3
POLL_SECONDS = 0.05
MAX_EARLY_REFRESH = timedelta(minutes=5)


@dataclass(frozen=True)
class Credential:
    value: str
    fresh_until: datetime


def fresh_until(now: datetime, expires_in_seconds: int) -> datetime:
    life = timedelta(seconds=max(expires_in_seconds, 1))
    return now + life - min(life / 10, MAX_EARLY_REFRESH)


class CredentialStore(Protocol):
    async def read(self, appid: str, kind: str) -> Credential | None: ...

    async def claim(self, appid: str, kind: str, holder: str, seconds: float) -> bool:
        """Become the one process that fetches the next value; False if another is."""

    async def store(self, appid: str, kind: str, holder: str, credential: Credential) -> None: ...

    async def release(self, appid: str, kind: str, holder: str) -> None: ...

    async def invalidate(self, appid: str, kind: str, value: str) -> None:
        """Forget ``value``, if it is still the cached one."""

    async def clear(self) -> None:
        """Forget every credential (a fresh start: ``weshop demo --fresh``, tests)."""

    async def aclose(self) -> None: ...


_CONTEXT = "wechat.credential"

# KEYS: the value, the claim; ARGV: the claim's holder. Deletes the claim only if held.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
# KEYS: the value; ARGV: the digest of the refused value.
_INVALIDATE = """
local cached = redis.call('GET', KEYS[1])
if cached and cjson.decode(cached)['digest'] == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisCredentialStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._release = redis.register_script(_RELEASE)
        self._invalidate = redis.register_script(_INVALIDATE)

    @staticmethod
    def _key(appid: str, kind: str) -> str:
        return f"weshop:wechat:{kind}:{appid}"

    async def read(self, appid: str, kind: str) -> Credential | None:
        raw = await self.redis.get(self._key(appid, kind))
        if raw is None:
            return None
        data = json.loads(raw)
        return Credential(
            value=cipher().decrypt(data["value"], context=_CONTEXT),
            fresh_until=datetime.fromisoformat(data["fresh_until"]),
        )

    async def claim(self, appid: str, kind: str, holder: str, seconds: float) -> bool:
        key = self._key(appid, kind) + ":claim"
        return bool(await self.redis.set(key, holder, nx=True, px=int(seconds * 1000)))

    async def store(self, appid: str, kind: str, holder: str, credential: Credential) -> None:
        data = {
            "value": cipher().encrypt(credential.value, context=_CONTEXT),
            "digest": token_digest(credential.value),
            "fresh_until": credential.fresh_until.isoformat(),
        }
        # Kept in Redis a while past freshness (only for the record: it is refreshed anyway).
        lifetime = max(credential.fresh_until - utcnow(), timedelta(seconds=1)) * 2
        await self.redis.set(
            self._key(appid, kind), json.dumps(data), px=lifetime // timedelta(milliseconds=1)
        )
        await self.release(appid, kind, holder)

    async def release(self, appid: str, kind: str, holder: str) -> None:
        await self._release(keys=[self._key(appid, kind) + ":claim"], args=[holder])

    async def invalidate(self, appid: str, kind: str, value: str) -> None:
        await self._invalidate(keys=[self._key(appid, kind)], args=[token_digest(value)])

    async def clear(self) -> None:
        keys = [key async for key in self.redis.scan_iter(match="weshop:wechat:*")]
        if keys:
            await self.redis.delete(*keys)

    async def aclose(self) -> None:
        """The Redis connection is the runtime's: closed with it."""


class DatabaseCredentialStore:
    """One row per app and kind; each step is a short transaction of its own."""

    def __init__(self, db: Database, *, own_file: bool = False) -> None:
        self.db = db
        # A file of its own has no migrations: its one table is made at first use.
        self._table_made = not own_file
        self.own_file = own_file

    async def _ready(self) -> None:
        if not self._table_made:
            async with self.db.transaction() as session:
                await session.execute(CreateTable(WechatCredential.__table__, if_not_exists=True))
            self._table_made = True

    async def clear(self) -> None:
        await self._ready()
        async with self.db.transaction() as session:
            await session.execute(delete(WechatCredential))

    async def aclose(self) -> None:
        if self.own_file:
            await self.db.dispose()

    @staticmethod
    def _row(appid: str, kind: str) -> ColumnElement[bool]:
        return (WechatCredential.appid == appid) & (WechatCredential.kind == kind)

    async def read(self, appid: str, kind: str) -> Credential | None:
        await self._ready()
        async with self.db.session(write=False) as session:
            row = await session.scalar(select(WechatCredential).where(self._row(appid, kind)))
        if row is None or row.value is None or row.fresh_until is None:
            return None
        return Credential(value=row.value, fresh_until=row.fresh_until)

    async def claim(self, appid: str, kind: str, holder: str, seconds: float) -> bool:
        await self._ready()
        now = utcnow()
        insert = sqlite_insert if self.db.is_sqlite else pg_insert
        async with self.db.transaction() as session:
            await session.execute(
                insert(WechatCredential)
                .values(appid=appid, kind=kind)
                .on_conflict_do_nothing(index_elements=["appid", "kind"])
            )
            claimed = await session.execute(
                update(WechatCredential)
                .where(
                    self._row(appid, kind),
                    or_(
                        WechatCredential.claimed_until.is_(None),
                        WechatCredential.claimed_until < now,
                    ),
                )
                .values(claimed_by=holder, claimed_until=now + timedelta(seconds=seconds))
            )
        return claimed.rowcount == 1

    async def store(self, appid: str, kind: str, holder: str, credential: Credential) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(WechatCredential)
                .where(self._row(appid, kind), WechatCredential.claimed_by == holder)
                .values(
                    value=credential.value,
                    value_digest=token_digest(credential.value),
                    fresh_until=credential.fresh_until,
                    claimed_by=None,
                    claimed_until=None,
                )
            )

    async def release(self, appid: str, kind: str, holder: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(WechatCredential)
                .where(self._row(appid, kind), WechatCredential.claimed_by == holder)
                .values(claimed_by=None, claimed_until=None)
            )

    async def invalidate(self, appid: str, kind: str, value: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(WechatCredential)
                .where(
                    self._row(appid, kind),
                    WechatCredential.value_digest == token_digest(value),
                )
                .values(value=None, value_digest=None, fresh_until=None)
            )


Fetch = Callable[[], Awaitable[tuple[str, int]]]


class Credentials:
    """The credentials of every app, for one process: kept in memory while fresh, shared with
    the other processes through the store."""

    def __init__(self, store: CredentialStore, *, claim_seconds: float) -> None:
        self.store = store
        self.claim_seconds = claim_seconds
        self._holder = secrets.token_hex(8)
        self._kept: dict[tuple[str, str], Credential] = {}
        # Requests of this process wait on one another, not each on the store.
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def get(self, appid: str, kind: str, fetch: Fetch) -> str:
        key = (appid, kind)
        kept = self._kept.get(key)
        if kept is not None and kept.fresh_until > utcnow():
            return kept.value
        async with self._locks.setdefault(key, asyncio.Lock()):
            kept = self._kept.get(key)
            if kept is not None and kept.fresh_until > utcnow():
                return kept.value
            credential = await self._shared(appid, kind, fetch)
            self._kept[key] = credential
            return credential.value

    async def _shared(self, appid: str, kind: str, fetch: Fetch) -> Credential:
        # A waiter gives up after two claims' time: by then a holder has stored or died.
        loop = asyncio.get_running_loop()
        give_up = loop.time() + 2 * self.claim_seconds
        while True:
            cached = await self.store.read(appid, kind)
            if cached is not None and cached.fresh_until > utcnow():
                return cached
            if await self.store.claim(appid, kind, self._holder, self.claim_seconds):
                return await self._refresh(appid, kind, fetch)
            if loop.time() > give_up:
                raise WechatApiError(
                    -1, f"no {kind} for {appid}: another process holds the refresh"
                )
            await asyncio.sleep(POLL_SECONDS)

    async def _refresh(self, appid: str, kind: str, fetch: Fetch) -> Credential:
        try:
            # Another process may have stored one between our read and our claim.
            cached = await self.store.read(appid, kind)
            if cached is not None and cached.fresh_until > utcnow():
                await self.store.release(appid, kind, self._holder)
                return cached
            value, expires_in = await fetch()
        except BaseException:
            await self.store.release(appid, kind, self._holder)
            raise
        credential = Credential(value=value, fresh_until=fresh_until(utcnow(), expires_in))
        await self.store.store(appid, kind, self._holder, credential)
        log.info("wechat.credential_fetched", appid=appid, kind=kind, expires_in=expires_in)
        return credential

    async def forget(self) -> None:
        """Forget every credential, here and in the store: the next call fetches anew."""
        self._kept.clear()
        await self.store.clear()

    async def invalidate(self, appid: str, kind: str, value: str) -> None:
        """WeChat refused ``value``: forget it here, and in the store if still there."""
        kept = self._kept.get((appid, kind))
        if kept is not None and kept.value == value:
            del self._kept[(appid, kind)]
        await self.store.invalidate(appid, kind, value)


def sqlite_credentials_url(database_url: str) -> str:
    """The SQLite file of the credentials beside the installation's own SQLite file."""
    path, question, query = database_url.partition("?")
    return f"{path}.wechat-credentials{question}{query}"


def credential_store(db: Database, redis: Redis | None) -> CredentialStore:
    """Redis when configured; else the database's table (PostgreSQL), or on SQLite the same
    table in a small file of its own beside the database file. SQLite has one writer at a
    time: a request that holds the write lock while it calls WeChat would wait forever for
    a refresh written to the same file; in a file of its own the refresh takes turns only
    with other refreshes (of every process using the database, as they share the file)."""
    if redis is not None:
        return RedisCredentialStore(redis)
    if db.is_sqlite:
        return DatabaseCredentialStore(
            Database(sqlite_credentials_url(db.url), PoolSize(size=2, overflow=2)), own_file=True
        )
    return DatabaseCredentialStore(db)
