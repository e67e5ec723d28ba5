"""The response cache: a storefront page or an API read answered once is answered again,
without routing, SQL or templates, for as long as nothing it read has changed.

An endpoint opts in with :func:`cached_response`. While it answers, the tables its statements read
are recorded (:func:`weshop.core.table_versions.recording_reads`) with their versions from
before the first read; the page is served again only while every one of those versions is
unchanged, so a change committed by any process (a console edit, an order taking stock)
shows on the next request. What the database cannot tell, the clock bounds: a page is kept
at most ``WESHOP_RESPONSE_CACHE_SECONDS`` (a promotion that starts at ten shows within that
time; checkout always prices and takes stock live). ``0`` turns the cache off.

What differs between visitors of one page is put in on the way out: the CSRF token of the
visitor's forms (and the pre-session cookie of a first visit), so a page that is the same
for everyone is kept once per address, host and language. An answer that is the visitor's
own (the cart, ``GET /api/v1/me``) is kept per credential, the session cookie and the
bearer token together (:data:`Audience.SESSION`); a page kept for everyone that looked up
who is signed in is never kept, so no visitor ever sees another's answer.

Only complete 200 answers to GET whose reads were all known are kept, and only when they
set no cookie but the pre-session one.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.requests import cookie_parser
from starlette.responses import Response

from weshop.core.table_versions import TableVersions, recording_reads, slots_of
from weshop.web.csrf import (
    CSRF_COOKIE,
    new_pre_session_id,
    pre_session_cookie,
    token_for,
    valid_pre_session,
)
from weshop.web.i18n import language_of
from weshop.web.session_cookie import SESSION_COOKIE

Scope = dict[str, Any]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

AUDIENCE_ATTRIBUTE = "response_cache_audience"


class Audience(enum.StrEnum):
    """Whom one rendering of a page may be shown to."""

    EVERYONE = "everyone"
    SESSION = "session"


def cached_response(audience: Audience = Audience.EVERYONE) -> Callable[[Endpoint], Endpoint]:
    """Marks a GET endpoint whose answers the response cache may keep for ``audience``."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, AUDIENCE_ATTRIBUTE, audience)
        return endpoint

    return mark


@dataclass(slots=True)
class _Visitor:
    session: str | None
    authorization: bytes | None
    pre_session: str | None
    language: str
    credential_key: str | None = None

    @classmethod
    def of(cls, headers: list[tuple[bytes, bytes]]) -> _Visitor:
        cookie_header = authorization = None
        for name, value in headers:
            if name == b"cookie":
                cookie_header = value
            elif name == b"authorization":
                authorization = value
        cookies = cookie_parser(cookie_header.decode("latin-1")) if cookie_header else {}
        pre_session = cookies.get(CSRF_COOKIE)
        session = cookies.get(SESSION_COOKIE) or None
        credential_key = None
        if session is not None or authorization is not None:
            # Who the visitor is signed in as, by both credentials (never kept in the clear).
            credentials = (session or "").encode() + b"\n" + (authorization or b"")
            credential_key = hashlib.sha256(credentials).hexdigest()
        return cls(
            session=session,
            authorization=authorization,
            pre_session=pre_session if valid_pre_session(pre_session) else None,
            language=language_of(cookies),
            credential_key=credential_key,
        )


@dataclass(slots=True)
class _Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    token: bytes
    slots: tuple[int, ...]
    versions: tuple[int, ...]
    expires_at: float


class ResponseCache:
    """ASGI middleware in front of the routes: answers kept pages, keeps new ones."""

    def __init__(
        self,
        app: Any,
        *,
        versions: TableVersions,
        csrf_key: bytes,
        seconds: float,
        max_entries: int,
    ) -> None:
        self.app = app
        self.versions = versions
        self.csrf_key = csrf_key
        self.seconds = seconds
        self.max_entries = max_entries
        self.answers: OrderedDict[tuple[Any, ...], _Answer] = OrderedDict()
        self.rendering: dict[tuple[Any, ...], asyncio.Future[None]] = {}

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or self.seconds <= 0:
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        visitor = _Visitor.of(headers)
        host = next((value for name, value in headers if name == b"host"), b"")
        address = (scope["scheme"], host, scope["path"], scope["query_string"], visitor.language)
        page, known = self._kept(address, visitor)
        # One rendering at a time of a page known to be kept: when it has just changed, the
        # requests arriving meanwhile wait for it instead of all rendering it again.
        flight = (address, visitor.credential_key)
        rendering = self.rendering.get(flight)
        if page is None and rendering is not None:
            await asyncio.shield(rendering)
            page, known = self._kept(address, visitor)
        if page is not None:
            await self._answer(page, visitor, scope, send)
            return
        if not known or flight in self.rendering:
            await self._render(address, visitor, scope, receive, send)
            return
        done = self.rendering[flight] = asyncio.get_running_loop().create_future()
        try:
            await self._render(address, visitor, scope, receive, send)
        finally:
            del self.rendering[flight]
            done.set_result(None)

    def _kept(self, address: tuple[Any, ...], visitor: _Visitor) -> tuple[_Answer | None, bool]:
        """The page kept for this visitor if it is still good, and whether one was kept at
        all (a stale one stays until it is rendered again or dropped)."""
        keys = [address]
        session_key = visitor.credential_key
        if session_key is not None:
            keys.append((*address, session_key))
        for key in keys:
            page = self.answers.get(key)
            if page is None:
                continue
            if page.expires_at > time.monotonic() and self.versions.unchanged(
                page.slots, page.versions
            ):
                return page, True
            return None, True
        return None, False

    def _token(self, visitor: _Visitor, pre_session: str) -> bytes:
        return token_for(self.csrf_key, visitor.session, pre_session).encode()

    async def _answer(self, page: _Answer, visitor: _Visitor, scope: Scope, send: Any) -> None:
        headers = list(page.headers)
        pre_session = visitor.pre_session
        if visitor.session is None and pre_session is None:
            pre_session = new_pre_session_id()
            cookie = Response()
            pre_session_cookie(cookie, pre_session, secure=scope["scheme"] == "https")
            headers += [h for h in cookie.raw_headers if h[0] == b"set-cookie"]
        token = self._token(visitor, pre_session or "")
        body = page.body if token == page.token else page.body.replace(page.token, token)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": page.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _render(
        self, address: tuple[Any, ...], visitor: _Visitor, scope: Scope, receive: Any, send: Any
    ) -> None:
        started = time.monotonic()
        snapshot = self.versions.snapshot()
        pre_session = visitor.pre_session
        if visitor.session is None and pre_session is None:
            # Made here rather than by the page, so that the token in the page is known.
            pre_session = new_pre_session_id()
            scope.setdefault("state", {})["new_pre_session_id"] = pre_session
        response = _Captured()

        async def capture(message: dict[str, Any]) -> None:
            response.add(message)
            await send(message)

        with recording_reads() as reads:
            await self.app(scope, receive, capture)

        key = self._key_to_keep(address, visitor, scope, reads.tables, response)
        if key is None:
            # What was kept here before is no longer what this address answers.
            self.answers.pop(address, None)
            self.answers.pop((*address, visitor.credential_key), None)
            return
        slots = slots_of(reads.tables or frozenset())
        self.answers[key] = _Answer(
            status=200,
            headers=response.headers_to_keep(),
            body=b"".join(response.chunks),
            token=self._token(visitor, pre_session or ""),
            slots=slots,
            versions=TableVersions.versions_in(snapshot, slots),
            expires_at=started + self.seconds,
        )
        self.answers.move_to_end(key)
        while len(self.answers) > self.max_entries:
            self.answers.popitem(last=False)

    @staticmethod
    def _key_to_keep(
        address: tuple[Any, ...],
        visitor: _Visitor,
        scope: Scope,
        tables: frozenset[str] | None,
        response: _Captured,
    ) -> tuple[Any, ...] | None:
        """Where the answer just given is kept, or None when it may not be."""
        audience = getattr(scope.get("endpoint"), AUDIENCE_ATTRIBUTE, None)
        if audience is None or tables is None or not response.keepable():
            return None
        if audience == Audience.EVERYONE:
            looked_up_user = (scope.get("state") or {}).get("page_user") is not None
            return None if looked_up_user else address
        session_key = visitor.credential_key
        return None if session_key is None else (*address, session_key)


class _Captured:
    """An answer as it goes out."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.complete = False

    def add(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
            self.complete = not message.get("more_body", False)

    def keepable(self) -> bool:
        """A complete 200 that sets no cookie but the pre-session one (made per visitor)."""
        cookies = [value for name, value in self.headers if name == b"set-cookie"]
        return (
            self.status == 200
            and self.complete
            and all(value.startswith(CSRF_COOKIE.encode() + b"=") for value in cookies)
        )

    def headers_to_keep(self) -> list[tuple[bytes, bytes]]:
        return [
            (name, value)
            for name, value in self.headers
            if name not in (b"set-cookie", b"content-length")
        ]
