"""The attempt path (the hot path of a flash sale): decide, then place exactly one order.

With Redis, the gate's one Lua script decides an attempt (stock, per-shopper limit,
idempotency token) without touching the database; a refused attempt costs one Redis call.
An accepted one is placed synchronously, in one transaction: the attempt row, its order
(``place_campaign_order`` with ``holds_stock=True``: the flash stock holds the unit, so no
regular stock is reserved) and, last, the database's own guards: ``sold + q <= flash_stock``
and the shopper's units within the limit, by conditional UPDATEs. The order is in the
shopper's "my orders" when the answer arrives. If the transaction fails, the gate takes the
token back (the unit too, unless the database said sold out).

Without Redis the same transaction does it all, guards first: the database decides.

Why synchronous, not through the outbox: the order must exist before the shopper is told
"accepted" (they pay it next), the outbox would add the worker's poll to every accepted
attempt, and an accepted attempt is rare at a peak (most are refused by the gate), so the
transaction is not what limits the rate. ``bench/flashsale.py`` measures it.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.core.errors import Conflict, NotFound
from weshop.core.read_cache import kept_read
from weshop.flashsale import repository as repo
from weshop.flashsale.gate import FlashGate, gate_of
from weshop.flashsale.models import (
    AttemptState,
    FlashAttempt,
    FlashBuyer,
    FlashItem,
    FlashSession,
    SessionStatus,
)
from weshop.flashsale.reconcile import load_gate
from weshop.flashsale.schemas import AttemptIn, AttemptOut
from weshop.orders.campaigns import CampaignOffer, place_campaign_order
from weshop.orders.models import CampaignKind, Order
from weshop.orders.schemas import CheckoutIn

FLASH_LABEL = "秒杀价"


@dataclass(frozen=True)
class ItemTerms:
    """What an attempt needs of its item and session; changes only before the start."""

    item_id: int
    session_id: int
    store_id: int
    sku_id: int
    flash_price_fen: int
    limit: int
    starts_at: datetime
    ends_at: datetime
    ended: bool
    payment_window_minutes: int


class Refused(Conflict):
    """A refused attempt: 409 with ``sold_out``, ``limit_reached``, ``not_started``,
    ``ended`` (or ``attempt_in_progress`` for a token still being placed)."""


_MESSAGES = {
    "sold_out": "已抢光: this item is sold out",
    "limit_reached": "已达限购: you already hold as many as one shopper may",
    "not_started": "即将开抢: the session has not started yet",
    "ended": "已结束: the session is over",
    "attempt_in_progress": "this attempt is still being placed; ask again in a moment",
}


def refuse(code: str) -> Refused:
    return Refused(_MESSAGES[code], code=code)


async def item_terms(db: AsyncSession, item_id: int) -> ItemTerms:
    async def read() -> ItemTerms | None:
        row = (
            await db.execute(
                select(FlashItem, FlashSession)
                .join(FlashSession, FlashSession.id == FlashItem.session_id)
                .where(FlashItem.id == item_id)
            )
        ).first()
        if row is None:
            return None
        item, flash = row
        return ItemTerms(
            item_id=item.id,
            session_id=flash.id,
            store_id=item.store_id,
            sku_id=item.sku_id,
            flash_price_fen=item.flash_price_fen,
            limit=item.per_shopper_limit,
            starts_at=flash.starts_at,
            ends_at=flash.ends_at,
            ended=flash.status == SessionStatus.ENDED,
            payment_window_minutes=flash.payment_window_minutes,
        )

    terms = await kept_read(db, ("flashsale.item", item_id), read)
    if terms is None:
        raise NotFound("no such flash-sale item")
    return terms


def check_open(terms: ItemTerms, quantity: int, now: datetime) -> None:
    if terms.ended or now >= terms.ends_at:
        raise refuse("ended")
    if now < terms.starts_at:
        raise refuse("not_started")
    if quantity > terms.limit:
        raise refuse("limit_reached")


async def attempt(
    db: AsyncSession,
    runtime: Any,
    user: User,
    item_id: int,
    data: AttemptIn,
    key: str | None,
    now: datetime,
) -> AttemptOut:
    """One attempt; ``db`` is the request's read session, the writing has its own."""
    token = key or data.token or secrets.token_hex(16)
    terms = await item_terms(db, item_id)
    check_open(terms, data.quantity, now)
    gate = gate_of(runtime)
    if gate is None:
        refusal = await _read_refusal(db, terms, user.id, data.quantity)
        if refusal is not None:
            raise refuse(refusal)
        return await _decide_in_database(db, runtime, user, terms, data, token)
    return await _decide_in_redis(db, runtime, gate, user, terms, data, token, now)


@asynccontextmanager
async def _writing(db: AsyncSession, runtime: Any) -> AsyncIterator[AsyncSession]:
    """The attempt's write transaction, committed when the block ends. On SQLite one of its
    own, begun once the request's read has ended, so the one write lock is held for the
    writes only; on PostgreSQL the request's own transaction: a second connection per
    request would run the pool dry at a peak, each request holding one while it waits."""
    if runtime.db.is_sqlite:
        await db.commit()
        async with runtime.db.transaction() as writer:
            yield writer
        return
    try:
        yield db
    except BaseException:
        await db.rollback()
        raise
    await db.commit()


async def _decide_in_redis(
    db: AsyncSession,
    runtime: Any,
    gate: FlashGate,
    user: User,
    terms: ItemTerms,
    data: AttemptIn,
    token: str,
    now: datetime,
) -> AttemptOut:
    now_ms = int(now.timestamp() * 1000)
    verdict = await gate.attempt(terms.item_id, user.id, token, data.quantity, now_ms)
    if verdict == "missing":  # first attempt of the session, or Redis lost its keys
        await load_gate(db, gate, terms.item_id)
        verdict = await gate.attempt(terms.item_id, user.id, token, data.quantity, now_ms)
    if verdict == "repeat":
        return await _repeat(db, terms.item_id, user.id, token)
    if verdict != "accepted":
        raise refuse("sold_out" if verdict == "missing" else verdict)
    try:
        async with _writing(db, runtime) as writer:
            answer = await _place(writer, user, terms, data, token)
            refusal = await _take(writer, terms, user.id, data.quantity)
            if refusal is not None:
                raise refuse(refusal)
    except Refused as refused:
        # The database is the last word: "sold out" there means the gate had too many.
        await gate.release(
            terms.item_id,
            user.id,
            token,
            give_stock=refused.code != "sold_out",
            forget=True,
        )
        raise
    except BaseException:
        await gate.release(terms.item_id, user.id, token, give_stock=True, forget=True)
        raise
    await gate.confirmed(terms.item_id, user.id, token)
    return answer


async def _decide_in_database(
    db: AsyncSession, runtime: Any, user: User, terms: ItemTerms, data: AttemptIn, token: str
) -> AttemptOut:
    refusal = None
    async with _writing(db, runtime) as writer:
        existing = await repo.attempt_by_token(writer, terms.item_id, user.id, token)
        if existing is not None:
            return await _answer(writer, existing, repeated=True)
        await repo.count_attempt(writer, terms.item_id)
        refusal = await _take(writer, terms, user.id, data.quantity)
        if refusal is None:
            return await _place(writer, user, terms, data, token)
    # The attempt is counted (committed); the refusal changes nothing else.
    raise refuse(refusal)


async def _read_refusal(
    db: AsyncSession, terms: ItemTerms, user_id: int, quantity: int
) -> str | None:
    """Without Redis, what the read transaction already shows refuses without writing (at a
    peak most attempts are refused: they never queue for the write lock). The write still
    decides every attempt this lets through."""
    units = await db.scalar(
        select(FlashBuyer.units).where(
            FlashBuyer.item_id == terms.item_id, FlashBuyer.user_id == user_id
        )
    )
    if (units or 0) + quantity > terms.limit:
        return "limit_reached"  # checked first, as the Redis gate does
    sold, stock = (
        await db.execute(
            select(FlashItem.sold, FlashItem.flash_stock).where(FlashItem.id == terms.item_id)
        )
    ).one()
    if sold + quantity > stock:
        return "sold_out"
    return None


async def _take(db: AsyncSession, terms: ItemTerms, user_id: int, quantity: int) -> str | None:
    """The database's guards, by conditional UPDATEs: None, or the refusal's code."""
    if not await repo.take_units(db, terms.item_id, quantity):
        return "sold_out"
    if not await repo.take_shopper_units(db, terms.item_id, user_id, quantity, terms.limit):
        await repo.give_back_units(db, terms.item_id, quantity)
        return "limit_reached"
    return None


async def _place(
    db: AsyncSession, user: User, terms: ItemTerms, data: AttemptIn, token: str
) -> AttemptOut:
    """The attempt's row and its one order, in the caller's transaction."""
    row = FlashAttempt(
        item_id=terms.item_id,
        session_id=terms.session_id,
        store_id=terms.store_id,
        user_id=user.id,
        token=token,
        quantity=data.quantity,
    )
    db.add(row)
    await db.flush()
    offer = CampaignOffer(
        kind=CampaignKind.FLASH,
        campaign_id=terms.session_id,
        entry_id=row.id,
        sku_id=terms.sku_id,
        price_fen=terms.flash_price_fen,
        label=FLASH_LABEL,
        holds_stock=True,
        payment_window_minutes=terms.payment_window_minutes,
    )
    checkout = CheckoutIn.model_validate(
        {
            "items": [{"sku_id": terms.sku_id, "quantity": data.quantity}],
            "address_id": data.address_id,
        }
    )
    placed = await place_campaign_order(db, user, offer, checkout)
    (order,) = placed.orders
    row.order_id = order.id
    row.state = AttemptState.ORDERED
    await db.flush()
    return _out(row, order, repeated=False)


async def _repeat(db: AsyncSession, item_id: int, user_id: int, token: str) -> AttemptOut:
    existing = await repo.attempt_by_token(db, item_id, user_id, token)
    if existing is None:
        raise refuse("attempt_in_progress")
    return await _answer(db, existing, repeated=True)


async def _answer(db: AsyncSession, row: FlashAttempt, *, repeated: bool) -> AttemptOut:
    order = await db.get(Order, row.order_id) if row.order_id is not None else None
    return _out(row, order, repeated=repeated)


def _out(row: FlashAttempt, order: Order | None, *, repeated: bool) -> AttemptOut:
    return AttemptOut(
        attempt_id=row.id,
        item_id=row.item_id,
        session_id=row.session_id,
        quantity=row.quantity,
        state=row.state,
        order_id=order.id if order else None,
        order_no=order.order_no if order else None,
        payable_fen=order.payable_fen if order else None,
        pay_deadline=order.pay_deadline if order else None,
        repeated=repeated,
    )
