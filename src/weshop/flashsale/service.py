"""Flash-sale sessions and their items, for a store's staff or the platform's operators.

Flash stock is taken from the SKU's regular stock (an inventory adjustment) when an item is
added, and what is unsold goes back when the session ends (its deadline, or staff stopping
it). Sessions and items change only before the session starts; once it runs, staff may only
stop it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.catalog.models import Sku
from weshop.core.clock import utcnow
from weshop.core.errors import Conflict, InvalidInput, NotFound
from weshop.core.outbox import OutboxMessage, OutboxStatus, emit
from weshop.core.pagination import paginate
from weshop.core.tenancy import StoreScope
from weshop.flashsale import repository as repo
from weshop.flashsale.models import FlashAttempt, FlashItem, FlashSession, SessionStatus
from weshop.flashsale.schemas import ItemIn, ItemPatch, SessionIn, SessionPatch
from weshop.flashsale.state import SESSION_MACHINE
from weshop.inventory.models import MovementKind
from weshop.inventory.service import move_stock

# Deadline at a session's end: return what is unsold to regular stock.
SESSION_END = "flashsale.session_end"
# After a commit that gave a unit back: give it back in Redis too (idempotent per token).
GATE_RETURN = "flashsale.gate_return"
# After a session ended: forget its items in Redis.
GATE_DROP = "flashsale.gate_drop"
# The worker's periodic reconciliation of Redis with the database.
RECONCILE_SWEEP = "flashsale.reconcile_sweep"

MAX_SESSION = timedelta(days=7)


@dataclass(frozen=True)
class Owner:
    """Who runs a session: staff of ``store_id``, or the platform when it is None."""

    store_id: int | None
    actor_id: int

    @classmethod
    def of(cls, scope: StoreScope) -> Owner:
        return cls(store_id=scope.store_id, actor_id=scope.actor_id)

    @classmethod
    def platform(cls, operator_id: int) -> Owner:
        return cls(store_id=None, actor_id=operator_id)


def phase(flash: FlashSession, now: datetime) -> str:
    """``upcoming``, ``live`` or ``over`` (ended, stopped, or its end passed)."""
    if flash.status == SessionStatus.ENDED or now >= flash.ends_at:
        return "over"
    return "upcoming" if now < flash.starts_at else "live"


def _check_window(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if ends_at <= starts_at:
        raise InvalidInput("the session must end after it starts", code="invalid_window")
    if ends_at <= now:
        raise InvalidInput("the session would end in the past", code="window_in_past")
    if ends_at - starts_at > MAX_SESSION:
        raise InvalidInput("a session lasts at most 7 days", code="session_too_long")


async def _schedule_end(db: AsyncSession, flash: FlashSession) -> None:
    await _emit_once(
        db,
        SESSION_END,
        {"session_id": flash.id},
        flash.ends_at,
        f"{SESSION_END}:{flash.id}:{flash.ends_at.isoformat()}",
        store_id=flash.store_id,
    )


async def _emit_once(
    db: AsyncSession,
    topic: str,
    payload: dict[str, Any],
    due_at: datetime,
    dedupe_key: str,
    store_id: int | None = None,
) -> None:
    """Queue a message unless one with the same key was queued before."""
    await db.execute(
        repo.insert_for(db)(OutboxMessage)
        .values(
            topic=topic,
            payload=payload,
            store_id=store_id,
            dedupe_key=dedupe_key,
            due_at=due_at,
            status=OutboxStatus.PENDING,
            attempts=0,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )


async def schedule_sweep(db: AsyncSession, due_at: datetime) -> None:
    """Queue a reconciliation sweep (one per 30-second slot, however many ask)."""
    slot = int(due_at.timestamp()) // 30
    await _emit_once(db, RECONCILE_SWEEP, {}, due_at, f"{RECONCILE_SWEEP}:{slot}")


async def create_session(
    db: AsyncSession, owner: Owner, data: SessionIn, now: datetime
) -> FlashSession:
    _check_window(data.starts_at, data.ends_at, now)
    flash = FlashSession(
        store_id=owner.store_id,
        title=data.title,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        payment_window_minutes=data.payment_window_minutes,
        created_by=owner.actor_id,
    )
    db.add(flash)
    await db.flush()
    await _schedule_end(db, flash)
    await schedule_sweep(db, flash.starts_at)
    return flash


async def owned_session(db: AsyncSession, owner: Owner, session_id: int) -> FlashSession:
    flash = await repo.owned_session(db, owner.store_id, session_id)
    if flash is None:
        raise NotFound("no such flash-sale session")
    return flash


async def list_sessions(
    db: AsyncSession, owner: Owner, cursor: str | None, limit: int
) -> list[FlashSession]:
    query = paginate(repo.sessions_query(owner.store_id), FlashSession, cursor, limit)
    return list(await db.scalars(query))


def _before_start(flash: FlashSession, now: datetime) -> None:
    if phase(flash, now) != "upcoming":
        raise Conflict(
            "a session can only be changed before it starts; stop it instead",
            code="session_started",
        )


async def update_session(
    db: AsyncSession, owner: Owner, session_id: int, data: SessionPatch, now: datetime
) -> FlashSession:
    flash = await owned_session(db, owner, session_id)
    _before_start(flash, now)
    starts_at = data.starts_at or flash.starts_at
    ends_at = data.ends_at or flash.ends_at
    _check_window(starts_at, ends_at, now)
    if data.title is not None:
        flash.title = data.title
    if data.payment_window_minutes is not None:
        flash.payment_window_minutes = data.payment_window_minutes
    moved = ends_at != flash.ends_at
    flash.starts_at, flash.ends_at = starts_at, ends_at
    await db.flush()
    if moved:
        await _schedule_end(db, flash)
    await schedule_sweep(db, flash.starts_at)
    return flash


async def stop_session(
    db: AsyncSession, owner: Owner, session_id: int, now: datetime
) -> FlashSession:
    """End the session now: no more attempts; unsold units go back to regular stock; orders
    already placed stay (unpaid ones may still be paid within their window)."""
    flash = await owned_session(db, owner, session_id)
    await end_session(db, flash, now, action="stop")
    return flash


async def end_session(db: AsyncSession, flash: FlashSession, now: datetime, action: str) -> None:
    await SESSION_MACHINE.apply(db, flash, action, ended_at=now)
    items = await repo.items_of(db, [flash.id])
    for item in items:
        # ``sold`` is locked in this transaction from here: a late give-back waits for it.
        await db.refresh(item, with_for_update=True)
        unsold = item.flash_stock - item.sold - item.returned_to_stock
        if unsold > 0:
            await _regular_stock(db, flash, item, unsold, f"flash sale #{flash.id} ended")
    emit(db, GATE_DROP, {"item_ids": [item.id for item in items]}, store_id=flash.store_id)


async def _regular_stock(
    db: AsyncSession, flash: FlashSession, item: FlashItem, quantity: int, reason: str
) -> None:
    """Move ``quantity`` units between the SKU's regular stock and the item (negative: take
    from regular stock)."""
    scope = StoreScope(store_id=item.store_id, actor_id=flash.created_by, role="system")
    await move_stock(
        db, scope, item.sku_id, kind=MovementKind.ADJUST, quantity=quantity, reason=reason
    )
    if quantity > 0:
        item.returned_to_stock += quantity


async def return_unit_to_stock(
    db: AsyncSession, flash: FlashSession, item: FlashItem, quantity: int
) -> None:
    """A flash order closed after its session ended: its units go to regular stock."""
    await _regular_stock(db, flash, item, quantity, f"flash sale #{flash.id}: order closed")


async def _take_from_stock(
    db: AsyncSession, flash: FlashSession, item: FlashItem, quantity: int
) -> None:
    try:
        await _regular_stock(db, flash, item, -quantity, f"flash sale #{flash.id}")
    except Conflict as refused:
        raise InvalidInput(
            "the flash stock is more than the SKU's available stock",
            code="flash_stock_above_stock",
            details={"sku_id": item.sku_id},
        ) from refused


async def _sku_for(db: AsyncSession, owner: Owner, sku_id: int) -> Sku:
    sku = await db.get(Sku, sku_id)
    if sku is None or (owner.store_id is not None and sku.store_id != owner.store_id):
        raise NotFound("no such SKU in this store", code="sku_not_found")
    if not sku.is_active:
        raise InvalidInput("this SKU is not on sale", code="sku_inactive")
    return sku


def _check_price(sku: Sku, price_fen: int) -> None:
    if price_fen <= 0:
        raise InvalidInput("the flash price must be more than 0", code="invalid_price")
    if price_fen > sku.price_fen:
        raise InvalidInput(
            "the flash price may not be above the SKU's price",
            code="flash_price_above_price",
            details={"price_fen": sku.price_fen},
        )


async def add_item(
    db: AsyncSession, owner: Owner, session_id: int, data: ItemIn, now: datetime
) -> FlashItem:
    flash = await owned_session(db, owner, session_id)
    _before_start(flash, now)
    sku = await _sku_for(db, owner, data.sku_id)
    _check_price(sku, data.flash_price_fen)
    if any(item.sku_id == sku.id for item in await repo.items_of(db, [flash.id])):
        raise Conflict("this SKU is already in the session", code="sku_already_in_session")
    item = FlashItem(
        session_id=flash.id,
        store_id=sku.store_id,
        product_id=sku.product_id,
        sku_id=sku.id,
        flash_price_fen=data.flash_price_fen,
        flash_stock=data.flash_stock,
        per_shopper_limit=data.per_shopper_limit,
        sort_order=data.sort_order,
    )
    db.add(item)
    await db.flush()
    await _take_from_stock(db, flash, item, data.flash_stock)
    return item


async def _owned_item(
    db: AsyncSession, owner: Owner, session_id: int, item_id: int
) -> tuple[FlashSession, FlashItem]:
    flash = await owned_session(db, owner, session_id)
    item = await db.get(FlashItem, item_id)
    if item is None or item.session_id != flash.id:
        raise NotFound("no such item in this session")
    return flash, item


async def update_item(
    db: AsyncSession, owner: Owner, session_id: int, item_id: int, data: ItemPatch, now: datetime
) -> FlashItem:
    flash, item = await _owned_item(db, owner, session_id, item_id)
    _before_start(flash, now)
    if data.flash_price_fen is not None:
        _check_price(await _sku_for(db, owner, item.sku_id), data.flash_price_fen)
        item.flash_price_fen = data.flash_price_fen
    if data.per_shopper_limit is not None:
        item.per_shopper_limit = data.per_shopper_limit
    if data.sort_order is not None:
        item.sort_order = data.sort_order
    if data.flash_stock is not None and data.flash_stock != item.flash_stock:
        change = data.flash_stock - item.flash_stock
        item.flash_stock = data.flash_stock
        await db.flush()
        if change > 0:
            await _take_from_stock(db, flash, item, change)
        else:
            await _regular_stock(db, flash, item, -change, f"flash sale #{flash.id}: less stock")
            item.returned_to_stock = 0  # a correction before the start, not a return
    await db.flush()
    return item


async def remove_item(
    db: AsyncSession, owner: Owner, session_id: int, item_id: int, now: datetime
) -> None:
    flash, item = await _owned_item(db, owner, session_id, item_id)
    _before_start(flash, now)
    await _regular_stock(db, flash, item, item.flash_stock, f"flash sale #{flash.id}: removed")
    await db.execute(delete(FlashItem).where(FlashItem.id == item.id))


async def copy_session(
    db: AsyncSession, owner: Owner, session_id: int, days: int, now: datetime
) -> list[FlashSession]:
    """The same session, with its items, on each of the next ``days`` days (a recurring
    schedule: every night at 20:00 for 30 minutes). Each copy takes its own flash stock: all
    copies are made, or none (not enough stock refuses the whole request)."""
    flash = await owned_session(db, owner, session_id)
    items = await repo.items_of(db, [flash.id])
    copies = []
    for day in range(1, days + 1):
        shift = timedelta(days=day)
        copy = await create_session(
            db,
            owner,
            SessionIn(
                title=flash.title,
                starts_at=flash.starts_at + shift,
                ends_at=flash.ends_at + shift,
                payment_window_minutes=flash.payment_window_minutes,
            ),
            now,
        )
        for item in items:
            data = ItemIn(
                sku_id=item.sku_id,
                flash_price_fen=item.flash_price_fen,
                flash_stock=item.flash_stock,
                per_shopper_limit=item.per_shopper_limit,
                sort_order=item.sort_order,
            )
            await add_item(db, owner, copy.id, data, now)
        copies.append(copy)
    return copies


async def end_due_session(db: AsyncSession, session_id: int, now: datetime) -> bool:
    """The end deadline: settle the session if its end has passed and it is not settled."""
    flash = await db.get(FlashSession, session_id)
    if flash is None or flash.status != SessionStatus.ACTIVE or now < flash.ends_at:
        return False
    await end_session(db, flash, now, action="end")
    return True


async def mark_paid(db: AsyncSession, attempt_id: int, paid_at: datetime) -> None:
    await db.execute(
        update(FlashAttempt).where(FlashAttempt.id == attempt_id).values(paid_at=paid_at)
    )
