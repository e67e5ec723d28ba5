"""Visits of the shop's pages, counted without a database write on the request path.

:class:`VisitCounter` (ASGI middleware, outside the response cache so that kept pages count
too) notes each successful GET of a store's pages (``/s/{id}`` and below) and of a product
page (``/p/{id}``) in :class:`VisitRecorder`, an in-process buffer. The buffer is flushed in
one short transaction every few seconds by :meth:`VisitRecorder.run`, at shutdown, and on
demand (:meth:`VisitRecorder.flush`): N views of a day become one upsert per table.

A visitor is the signed-in user or, for a guest, the browser's first-party pre-session
cookie; what is stored is a keyed hash of either (never an address, a phone or a token), so
unique visitors are counted without keeping personal data. Requests that are not a person
looking at a page (no User-Agent, a crawler or a script, a prefetch) are not counted.

Several ``weshop serve`` processes each keep their own buffer: the upserts add to the
counters and the visitor rows are unique, so their flushes add up.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import cookie_parser

from weshop.accounts.models import AuthSession
from weshop.catalog.models import Product
from weshop.catalog.visit_models import (
    BrowsingHistory,
    ProductVisitDay,
    ProductVisitor,
    StoreVisitDay,
    StoreVisitor,
)
from weshop.core.clock import CHINA_TZ, utcnow
from weshop.core.crypto import cipher
from weshop.core.db import Database
from weshop.core.security import token_digest
from weshop.stores.models import Store
from weshop.web.csrf import CSRF_COOKIE, valid_pre_session
from weshop.web.session_cookie import SESSION_COOKIE

log = structlog.get_logger(__name__)

COMPONENT = "visits"
FLUSH_SECONDS = 5.0
# A buffer this large is flushed at once rather than on the next tick.
MAX_BUFFERED = 20_000

STORE_PAGE = re.compile(r"^/s/([1-9][0-9]{0,17})(?:/[^?]*)?$")
PRODUCT_PAGE = re.compile(r"^/p/([1-9][0-9]{0,17})$")
# Crawlers, link previews and scripts name themselves; browsers all say "Mozilla".
NOT_A_PERSON = re.compile(
    r"bot|spider|crawl|slurp|preview|facebookexternalhit|curl|wget|python|httpx|go-http|java/"
    r"|okhttp|libwww|scrapy|phantomjs|lighthouse",
    re.IGNORECASE,
)
PREFETCH_HEADERS = (b"purpose", b"sec-purpose", b"x-moz", b"x-purpose")


@dataclass(frozen=True, slots=True)
class Visitor:
    """Who viewed: the digest of the session token of a signed-in visitor (resolved to the
    user when flushed), else the browser's pre-session cookie."""

    session_digest: str | None
    browser: str | None


@dataclass(slots=True)
class _Batch:
    """What was seen since the last flush, keyed as it will be written."""

    store_views: Counter[tuple[int, date]] = field(default_factory=Counter)
    store_visitors: set[tuple[int, date, Visitor]] = field(default_factory=set)
    product_views: Counter[tuple[int, date]] = field(default_factory=Counter)
    product_visitors: set[tuple[int, date, Visitor]] = field(default_factory=set)
    history: dict[tuple[str, int], datetime] = field(default_factory=dict)

    def __len__(self) -> int:
        return (
            len(self.store_views)
            + len(self.store_visitors)
            + len(self.product_views)
            + len(self.product_visitors)
            + len(self.history)
        )

    def merge(self, other: _Batch) -> None:
        self.store_views.update(other.store_views)
        self.store_visitors |= other.store_visitors
        self.product_views.update(other.product_views)
        self.product_visitors |= other.product_visitors
        for key, moment in other.history.items():
            self.history[key] = max(moment, self.history.get(key, moment))


def is_a_person(headers: list[tuple[bytes, bytes]]) -> bool:
    """The simple rule: a browser's User-Agent that names no crawler or script, and no
    prefetch header."""
    agent = b""
    for name, value in headers:
        if name in PREFETCH_HEADERS and b"prefetch" in value.lower():
            return False
        if name == b"user-agent":
            agent = value
    text = agent.decode("latin-1")
    return text.startswith("Mozilla/") and NOT_A_PERSON.search(text) is None


def visitor_of(headers: list[tuple[bytes, bytes]]) -> Visitor | None:
    cookies: dict[str, str] = {}
    for name, value in headers:
        if name == b"cookie":
            cookies = cookie_parser(value.decode("latin-1"))
    token = cookies.get(SESSION_COOKIE)
    if token:
        return Visitor(session_digest=token_digest(token), browser=None)
    browser = cookies.get(CSRF_COOKIE)
    return Visitor(None, browser) if valid_pre_session(browser) else None


def _new_browser(response_headers: list[tuple[bytes, bytes]]) -> str | None:
    """The pre-session cookie a first page gives the browser: its visitor id from now on."""
    marker = CSRF_COOKIE.encode() + b"="
    for name, value in response_headers:
        if name == b"set-cookie" and value.startswith(marker):
            found = value[len(marker) :].split(b";", 1)[0].decode("latin-1")
            return found if valid_pre_session(found) else None
    return None


class VisitRecorder:
    """The in-process buffer of visits, and its flushing (a runtime component)."""

    def __init__(self) -> None:
        self._batch = _Batch()
        self._full = asyncio.Event()
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._batch)

    def discard(self) -> None:
        """Drops what is buffered, unwritten: for a database emptied under a running process
        (the test suite between tests), whose ids the buffer would otherwise name."""
        self._batch = _Batch()
        self._full.clear()

    def store_view(self, store_id: int, visitor: Visitor, at: datetime) -> None:
        day = at.astimezone(CHINA_TZ).date()
        self._batch.store_views[(store_id, day)] += 1
        self._batch.store_visitors.add((store_id, day, visitor))
        self._check_size()

    def product_view(self, product_id: int, visitor: Visitor, at: datetime) -> None:
        """A product's page: its store is looked up when flushed (the path names only the
        product), and the view joins a signed-in shopper's history."""
        day = at.astimezone(CHINA_TZ).date()
        self._batch.product_views[(product_id, day)] += 1
        self._batch.product_visitors.add((product_id, day, visitor))
        if visitor.session_digest is not None:
            self._batch.history[(visitor.session_digest, product_id)] = at
        self._check_size()

    def _check_size(self) -> None:
        if len(self._batch) >= MAX_BUFFERED:
            self._full.set()

    async def flush(self, db: Database) -> None:
        """Writes what was buffered in one transaction. On failure the views go back into
        the buffer for the next flush (if it is not full), so a database hiccup loses none."""
        async with self._lock:
            batch, self._batch = self._batch, _Batch()
            self._full.clear()
            if not len(batch):
                return
            try:
                async with db.transaction() as session:
                    await write_batch(session, batch)
            except Exception:
                log.exception("visits.flush_failed", entries=len(batch))
                if len(self._batch) + len(batch) < MAX_BUFFERED:
                    batch.merge(self._batch)
                    self._batch = batch

    async def run(self, db: Database, stop: asyncio.Event, seconds: float = FLUSH_SECONDS) -> None:
        """Flushes every ``seconds`` (sooner when the buffer is full) until ``stop``, then
        once more, so that a clean shutdown keeps every view."""
        while not stop.is_set():
            waits = [asyncio.create_task(stop.wait()), asyncio.create_task(self._full.wait())]
            _, pending = await asyncio.wait(
                waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()
            await self.flush(db)
        await self.flush(db)


def _insert(session: AsyncSession, table: Any) -> Any:
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _visitor_key(visitor: Visitor, users: dict[str, int]) -> str | None:
    if visitor.session_digest is not None:
        user_id = users.get(visitor.session_digest)
        # A session that ended meanwhile names nobody: the view counts, the visitor not.
        return None if user_id is None else cipher().blind_index(str(user_id), kind="visit.user")
    return cipher().blind_index(visitor.browser or "", kind="visit.browser")


async def write_batch(session: AsyncSession, batch: _Batch) -> None:
    """Two reads (sessions → users, products → stores) and one statement per table."""
    digests = {v.session_digest for *_, v in batch.store_visitors | batch.product_visitors}
    digests.discard(None)
    users: dict[str, int] = {}
    if digests:
        rows = await session.execute(
            select(AuthSession.token_hash, AuthSession.user_id).where(
                AuthSession.token_hash.in_(digests)
            )
        )
        users = {digest: user_id for digest, user_id in rows}
    product_ids = {product_id for product_id, _ in batch.product_views}
    stores: dict[int, int] = {}
    if product_ids:
        rows = await session.execute(
            select(Product.id, Product.store_id).where(Product.id.in_(product_ids))
        )
        stores = {product_id: store_id for product_id, store_id in rows}

    # A store gone since its page was seen is left out, so that it never blocks the batch.
    seen_stores = {store_id for store_id, _ in batch.store_views}
    live_stores = (
        set(await session.scalars(select(Store.id).where(Store.id.in_(seen_stores))))
        if seen_stores
        else set()
    )
    # A product page is a page of its store too.
    store_views = Counter(
        {key: count for key, count in batch.store_views.items() if key[0] in live_stores}
    )
    store_visitors = {entry for entry in batch.store_visitors if entry[0] in live_stores}
    for (product_id, day), count in batch.product_views.items():
        if product_id in stores:
            store_views[(stores[product_id], day)] += count
    for product_id, day, visitor in batch.product_visitors:
        if product_id in stores:
            store_visitors.add((stores[product_id], day, visitor))

    await _add_counts(
        session,
        StoreVisitDay,
        [{"store_id": s, "day": d, "page_views": n} for (s, d), n in sorted(store_views.items())],
        ("store_id", "day"),
        "page_views",
    )
    await _add_counts(
        session,
        ProductVisitDay,
        [
            {"product_id": p, "day": d, "store_id": stores[p], "views": n}
            for (p, d), n in sorted(batch.product_views.items())
            if p in stores
        ],
        ("product_id", "day"),
        "views",
    )
    await _add_set(
        session,
        StoreVisitor,
        {
            (s, d, key)
            for s, d, visitor in store_visitors
            if (key := _visitor_key(visitor, users)) is not None
        },
        lambda s, d, key: {"store_id": s, "day": d, "visitor_key": key},
    )
    await _add_set(
        session,
        ProductVisitor,
        {
            (p, d, key)
            for p, d, visitor in batch.product_visitors
            if p in stores and (key := _visitor_key(visitor, users)) is not None
        },
        lambda p, d, key: {"product_id": p, "day": d, "visitor_key": key, "store_id": stores[p]},
    )
    latest: dict[tuple[int, int], datetime] = {}
    for (digest, product_id), moment in batch.history.items():
        user_id = users.get(digest)
        if user_id is not None and product_id in stores:
            key = (user_id, product_id)
            latest[key] = max(moment, latest.get(key, moment))
    if latest:
        statement = _insert(session, BrowsingHistory)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id", "product_id"],
                set_={"viewed_at": statement.excluded.viewed_at},
                where=BrowsingHistory.viewed_at < statement.excluded.viewed_at,
            ),
            [
                {"user_id": u, "product_id": p, "viewed_at": m}
                for (u, p), m in sorted(latest.items())
            ],
        )


async def _add_counts(
    session: AsyncSession,
    table: Any,
    rows: list[dict[str, Any]],
    keys: tuple[str, ...],
    column: str,
) -> None:
    """Adds to the counters (another process may have added to the same row meanwhile)."""
    if not rows:
        return
    statement = _insert(session, table)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={column: getattr(table, column) + getattr(statement.excluded, column)},
        ),
        rows,
    )


async def _add_set(
    session: AsyncSession, table: Any, members: set[tuple[Any, ...]], row: Any
) -> None:
    if not members:
        return
    await session.execute(
        _insert(session, table).on_conflict_do_nothing(),
        [row(*member) for member in sorted(members)],
    )


class VisitCounter:
    """ASGI middleware: notes the successful GETs of shop pages in the recorder. Only reads
    headers; the request path does no I/O for it."""

    def __init__(self, app: Any, *, recorder: VisitRecorder, enabled: bool = True) -> None:
        self.app = app
        self.recorder = recorder
        self.enabled = enabled

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not self.enabled or scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        store = STORE_PAGE.match(path)
        product = None if store else PRODUCT_PAGE.match(path)
        if (store is None and product is None) or not is_a_person(scope["headers"]):
            await self.app(scope, receive, send)
            return
        visitor = visitor_of(scope["headers"])
        status = 0

        async def watch(message: dict[str, Any]) -> None:
            nonlocal status, visitor
            if message["type"] == "http.response.start":
                status = message["status"]
                if visitor is None:
                    browser = _new_browser(message.get("headers", []))
                    visitor = Visitor(None, browser) if browser else None
            await send(message)

        await self.app(scope, receive, watch)
        if status != 200 or visitor is None:
            return
        if store is not None:
            self.recorder.store_view(int(store.group(1)), visitor, utcnow())
        elif product is not None:
            self.recorder.product_view(int(product.group(1)), visitor, utcnow())
