"""Clicks: a visit through a promoter's link, written once as the evidence attribution rests
on, and the shopper it binds (signed in, or a browser known by its referral cookie).

A click and a checkout of the same shopper take turns (:func:`hold_shopper`): a click is
either committed before the checkout reads the shopper's clicks, or stamped after the
checkout's decision. So every decision follows from the clicks recorded, also when clicks
and checkouts of one shopper race.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates.models import Click, ClickChannel, Promoter, PromoterStatus
from weshop.core.clock import utcnow
from weshop.core.crypto import cipher

# The browser's referral cookie: a random visitor id, set when a share link is followed, so
# that a shopper who signs in after clicking is still bound.
VISITOR_COOKIE = "weshop_ref"
VISITOR_COOKIE_SECONDS = 90 * 24 * 3600
_VISITOR_ID_BYTES = 16

_current_visitor: ContextVar[str | None] = ContextVar("weshop_referral_visitor", default=None)


def new_visitor_id() -> str:
    return secrets.token_urlsafe(_VISITOR_ID_BYTES)


def valid_visitor_id(value: str | None) -> bool:
    return value is not None and len(value) == 22 and all(c.isalnum() or c in "-_" for c in value)


def current_visitor() -> str | None:
    """The referral cookie of the request being served, if it carries a valid one."""
    return _current_visitor.get()


class ReferralVisitor:
    """ASGI middleware: makes the request's referral cookie known to the checkout
    (:func:`current_visitor`), whichever route places the orders. Only reads a header."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        visitor = _visitor_of(scope)
        token = _current_visitor.set(visitor)
        try:
            await self.app(scope, receive, send)
        finally:
            _current_visitor.reset(token)


def _visitor_of(scope: Any) -> str | None:
    marker = VISITOR_COOKIE.encode() + b"="
    for name, value in scope.get("headers", ()):
        if name == b"cookie" and marker in value:
            cookie: SimpleCookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header names no visitor
                return None
            morsel = cookie.get(VISITOR_COOKIE)
            found = morsel.value if morsel else None
            return found if valid_visitor_id(found) else None
    return None


def client_key(address: str, user_agent: str) -> str:
    """A keyed hash of who sent the request, never the address itself (personal data): what
    the fraud rules compare to find click bursts from one client."""
    return cipher().blind_index(f"{address}|{user_agent[:200]}", kind="affiliates.client")


async def hold_shopper(session: AsyncSession, user_id: int | None, visitor_id: str | None) -> None:
    """Take turns with every other click and checkout of this shopper until the transaction
    ends. PostgreSQL: transaction-level advisory locks, in a fixed order. SQLite runs one
    writer at a time already; the first statement begins the writing transaction."""
    keys = sorted(
        [f"affiliates.user:{user_id}"] * (user_id is not None)
        + [f"affiliates.visitor:{visitor_id}"] * (visitor_id is not None)
    )
    if session.bind.dialect.name != "postgresql":
        await session.execute(select(1))
        return
    for key in keys:
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )


@dataclass(frozen=True)
class Visit:
    """Who followed a link: the signed-in user and/or the browser's visitor id, and a keyed
    hash of the client. ``new_visitor``: the visitor id was drawn for this very request, so
    no checkout can know it yet."""

    user_id: int | None
    visitor_id: str | None
    client_key: str = ""
    new_visitor: bool = False


async def record_click(
    session: AsyncSession,
    promoter: Promoter,
    store_id: int,
    product_id: int | None,
    channel: ClickChannel,
    visit: Visit,
    share_link_id: int | None = None,
) -> int | None:
    """Record a visit through ``promoter``'s link, stamped once it holds its turn (see the
    module), and answer the click's id. A link of a promoter who is not approved records
    nothing; a visit nobody can be told by (no user, no visitor id) neither."""
    if promoter.status != PromoterStatus.APPROVED:
        return None
    if visit.user_id is None and visit.visitor_id is None:
        return None
    if visit.user_id is not None or not visit.new_visitor:
        # A browser seen for the first time has no checkout to race with.
        await hold_shopper(session, visit.user_id, visit.visitor_id)
    click_id: int = await session.scalar(  # type: ignore[assignment]
        insert(Click)
        .values(
            promoter_id=promoter.id,
            share_link_id=share_link_id,
            store_id=store_id,
            product_id=product_id,
            channel=channel,
            user_id=visit.user_id,
            visitor_id=visit.visitor_id,
            client_key=visit.client_key,
            at=utcnow(),
        )
        .returning(Click.id)
    )
    return click_id


async def claim_visitor_clicks(session: AsyncSession, user_id: int, visitor_id: str) -> None:
    """The clicks this browser made before its shopper signed in become the shopper's."""
    await session.execute(
        update(Click)
        .where(Click.visitor_id == visitor_id, Click.user_id.is_(None))
        .values(user_id=user_id)
    )


async def shopper_clicks(
    session: AsyncSession, user_id: int, store_ids: Sequence[int]
) -> list[Click]:
    """Every click of the shopper on these stores, oldest first: a binding may rest on a chain
    of clicks, so none is left out."""
    rows = await session.scalars(
        select(Click)
        .where(Click.user_id == user_id, Click.store_id.in_(set(store_ids)))
        .order_by(Click.at, Click.id)
    )
    return list(rows)
