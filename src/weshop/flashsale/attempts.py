"""The attempt path (the hot path of a flash sale): decide, then place exactly one order.

An attempt answers without a transaction of its own until it is accepted: who is calling
(:func:`weshop.accounts.service.signed_in_user_id`) and the item's terms are kept in memory
while their tables do not change (:meth:`weshop.core.db.Database.kept`), so at a peak, when
almost every attempt is refused, a refusal costs no connection and no SQL.

With Redis, the gate's one Lua script decides an attempt (stock, per-shopper limit,
idempotency token); a refused attempt costs that one Redis call. An accepted one is placed
synchronously, in one transaction: the attempt row, its order (``place_campaign_order`` with
``holds_stock=True``: the flash stock holds the unit, so no regular stock is reserved) and,
last, the database's own guards: ``sold + q <= flash_stock`` and the shopper's units within
the limit, by conditional UPDATEs. The order is in the shopper's "my orders" when the answer
arrives. If the transaction fails, the gate takes the token back (the unit too, unless the
database said sold out).

Without Redis the database decides, in the same transaction; what it last said (units
left, the shopper's units: kept values, which only the writes of an accepted attempt
change) refuses without writing, so refusals never queue for SQLite's one write lock.

Why synchronous, not through the outbox (both measured with ``bench/flashsale.py``, 200
units, 64 connections, PostgreSQL + Redis): placing an order costs about 11 ms of CPU
wherever it runs. Accepting into the outbox (the attempt row and a task, no order) answered
2,325 attempts/s against 1,941, but the worker, behind the peak, made the orders a median
10 s after their "accepted" (160 of 200 by the end of the burst); placed here, the order is
in the answer, and the shopper pays it next.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.core.db import Database
from weshop.core.errors import Conflict, NotFound
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
# Enough to overlap one placement's database round trips with another's work.
PLACEMENTS_AT_ONCE = 4


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


async def item_terms(db: Database, item_id: int) -> ItemTerms:
    async def read(session: AsyncSession) -> ItemTerms | None:
        row = (
            await session.execute(
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

    terms = await db.kept(("flashsale.item", item_id), read)
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
    runtime: Any,
    user_id: int,
    item_id: int,
    data: AttemptIn,
    key: str | None,
    now: datetime,
) -> AttemptOut:
    """One attempt by a signed-in shopper; ``key`` (the Idempotency-Key) names it, else
    ``data.token``, else it is new."""
    token = key or data.token or secrets.token_hex(16)
    terms = await item_terms(runtime.db, item_id)
    check_open(terms, data.quantity, now)
    gate = gate_of(runtime)
    if gate is None:
        return await _decide_in_database(runtime, user_id, terms, data, token)
    return await _decide_in_redis(runtime, gate, user_id, terms, data, token, now)


def _placements(runtime: Any) -> asyncio.Semaphore:
    """Accepted attempts are placed a few at a time. Placing an order costs about ten
    milliseconds of the process's one event loop; at the start of a peak every accepted
    attempt places at once, and placed together they would all finish late and hold every
    refusal behind them. In turn, the first accepted are answered first, and refusals (most
    of a peak) keep their pace."""
    placements = runtime.components.get("flash_placements")
    if placements is None:
        placements = runtime.components["flash_placements"] = asyncio.Semaphore(PLACEMENTS_AT_ONCE)
    return placements


async def _decide_in_redis(
    runtime: Any,
    gate: FlashGate,
    user_id: int,
    terms: ItemTerms,
    data: AttemptIn,
    token: str,
    now: datetime,
) -> AttemptOut:
    db: Database = runtime.db
    now_ms = int(now.timestamp() * 1000)
    verdict = await gate.attempt(terms.item_id, user_id, token, data.quantity, now_ms)
    if verdict == "missing":  # first attempt of the session, or Redis lost its keys
        async with db.session(write=False) as reader:
            await load_gate(reader, gate, terms.item_id)
        verdict = await gate.attempt(terms.item_id, user_id, token, data.quantity, now_ms)
    if verdict == "repeat":
        async with db.session(write=False) as reader:
            return await _repeat(reader, terms.item_id, user_id, token)
    if verdict != "accepted":
        raise refuse("sold_out" if verdict == "missing" else verdict)
    try:
        async with _placements(runtime), db.transaction() as writer:
            answer = await _place(writer, user_id, terms, data, token)
            refusal = await _take(writer, terms, user_id, data.quantity)
            if refusal is not None:
                raise refuse(refusal)
    except Refused as refused:
        # The database is the last word: "sold out" there means the gate had too many.
        await gate.release(
            terms.item_id,
            user_id,
            token,
            give_stock=refused.code != "sold_out",
            forget=True,
        )
        raise
    except BaseException:
        await gate.release(terms.item_id, user_id, token, give_stock=True, forget=True)
        raise
    await gate.confirmed(terms.item_id, user_id, token)
    return answer


async def _decide_in_database(
    runtime: Any, user_id: int, terms: ItemTerms, data: AttemptIn, token: str
) -> AttemptOut:
    db: Database = runtime.db
    refusal = await _known_refusal(db, terms, user_id, data.quantity)
    if refusal is not None:
        # Only a shopper who holds units can be repeating an accepted attempt.
        if await _shopper_units(db, terms.item_id, user_id) > 0:
            async with db.session(write=False) as reader:
                existing = await repo.attempt_by_token(reader, terms.item_id, user_id, token)
                if existing is not None:
                    return await _answer(reader, existing, repeated=True)
        raise refuse(refusal)
    async with _placements(runtime), db.transaction() as writer:
        existing = await repo.attempt_by_token(writer, terms.item_id, user_id, token)
        if existing is not None:
            return await _answer(writer, existing, repeated=True)
        await repo.count_attempt(writer, terms.item_id)
        refusal = await _take(writer, terms, user_id, data.quantity)
        if refusal is None:
            return await _place(writer, user_id, terms, data, token)
    # The attempt is counted (committed); the refusal changes nothing else.
    raise refuse(refusal)


async def _known_refusal(db: Database, terms: ItemTerms, user_id: int, quantity: int) -> str | None:
    """What the database last said refuses without writing (at a peak most attempts are
    refused: they never queue for the write lock). The write still decides every attempt
    this lets through, so a value kept a moment too long only lets one through."""
    units = await _shopper_units(db, terms.item_id, user_id)
    if units + quantity > terms.limit:
        return "limit_reached"  # checked first, as the Redis gate does

    async def read_left(session: AsyncSession) -> int:
        sold, stock = (
            await session.execute(
                select(FlashItem.sold, FlashItem.flash_stock).where(FlashItem.id == terms.item_id)
            )
        ).one()
        return int(stock - sold)

    if await db.kept(("flashsale.left", terms.item_id), read_left) < quantity:
        return "sold_out"
    return None


async def _shopper_units(db: Database, item_id: int, user_id: int) -> int:
    async def read(session: AsyncSession) -> int:
        units = await session.scalar(
            select(FlashBuyer.units).where(
                FlashBuyer.item_id == item_id, FlashBuyer.user_id == user_id
            )
        )
        return units or 0

    return await db.kept(("flashsale.units", item_id, user_id), read)


async def _take(db: AsyncSession, terms: ItemTerms, user_id: int, quantity: int) -> str | None:
    """The database's guards, by conditional UPDATEs: None, or the refusal's code."""
    if not await repo.take_units(db, terms.item_id, quantity):
        return "sold_out"
    if not await repo.take_shopper_units(db, terms.item_id, user_id, quantity, terms.limit):
        await repo.give_back_units(db, terms.item_id, quantity)
        return "limit_reached"
    return None


async def _place(
    db: AsyncSession, user_id: int, terms: ItemTerms, data: AttemptIn, token: str
) -> AttemptOut:
    """The attempt's row and its one order, in the caller's transaction."""
    user = await db.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    row = FlashAttempt(
        item_id=terms.item_id,
        session_id=terms.session_id,
        store_id=terms.store_id,
        user_id=user_id,
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
