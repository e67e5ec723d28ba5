"""Stock rules: never below zero, every change a recorded movement, reservations settled once.

A multi-line reservation takes its rows in SKU-id order (no deadlocks between two orders) and
either reserves every line or raises, so the caller's transaction rolls back all of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.clock import utcnow
from weshop.core.errors import Conflict, InvalidInput, NotFound, OutOfStock
from weshop.core.money import MAX_LINE_QUANTITY
from weshop.core.pagination import paginate
from weshop.core.tenancy import StoreScope
from weshop.inventory import repository as repo
from weshop.inventory.models import (
    MovementKind,
    ReservationStatus,
    StockLevel,
    StockMovement,
    StockReservation,
)

MAX_STOCK = 10_000_000


async def open_stock_level(
    session: AsyncSession, store_id: int, sku_id: int, initial: int, actor_id: int | None
) -> StockLevel:
    """Create the level of a new SKU; initial stock is recorded as received."""
    stock = StockLevel(store_id=store_id, sku_id=sku_id, available=initial, reserved=0)
    session.add(stock)
    if initial:
        session.add(
            StockMovement(
                store_id=store_id,
                sku_id=sku_id,
                kind=MovementKind.RECEIVE,
                available_delta=initial,
                available_after=initial,
                reason="initial stock",
                actor_id=actor_id,
            )
        )
    return stock


async def move_stock(
    session: AsyncSession,
    scope: StoreScope,
    sku_id: int,
    *,
    kind: MovementKind,
    quantity: int,
    reason: str,
) -> StockMovement:
    """Staff receive goods (+n) or correct a count (±n); never below zero, always recorded."""
    if kind == MovementKind.RECEIVE and quantity <= 0:
        raise InvalidInput("received quantity must be positive", code="invalid_quantity")
    if kind == MovementKind.ADJUST and quantity == 0:
        raise InvalidInput("an adjustment must change the count", code="invalid_quantity")
    if kind not in (MovementKind.RECEIVE, MovementKind.ADJUST):
        raise InvalidInput("staff may only receive or adjust stock", code="invalid_movement_kind")
    if await repo.level(session, scope.store_id, sku_id) is None:
        raise NotFound("no such SKU")
    after = await repo.change_level(
        session, store_id=scope.store_id, sku_id=sku_id, available_delta=quantity, reserved_delta=0
    )
    if after is None:
        raise Conflict("stock cannot go below zero", code="stock_would_go_negative")
    if after > MAX_STOCK:
        raise InvalidInput(f"stock may not exceed {MAX_STOCK}", code="invalid_quantity")
    movement = StockMovement(
        store_id=scope.store_id,
        sku_id=sku_id,
        kind=kind,
        available_delta=quantity,
        available_after=after,
        reason=reason,
        actor_id=scope.actor_id,
    )
    session.add(movement)
    await session.flush()
    return movement


async def reserve_stock(
    session: AsyncSession,
    *,
    store_id: int,
    order_id: int,
    lines: Iterable[tuple[int, int]],
    expires_at: datetime,
) -> list[StockReservation]:
    """Hold ``(sku_id, quantity)`` lines for an order: all of them, or raise ``OutOfStock``."""
    wanted: dict[int, int] = defaultdict(int)
    for sku_id, quantity in lines:
        if quantity <= 0 or quantity > MAX_LINE_QUANTITY:
            raise InvalidInput("quantity out of range", code="invalid_quantity")
        wanted[sku_id] += quantity
    reservations = []
    for sku_id in sorted(wanted):
        quantity = wanted[sku_id]
        after = await repo.change_level(
            session,
            store_id=store_id,
            sku_id=sku_id,
            available_delta=-quantity,
            reserved_delta=quantity,
        )
        if after is None:
            raise OutOfStock(
                "not enough stock for this item",
                details={"sku_id": sku_id, "requested": quantity},
            )
        reservation = StockReservation(
            store_id=store_id,
            order_id=order_id,
            sku_id=sku_id,
            quantity=quantity,
            expires_at=expires_at,
        )
        session.add(reservation)
        session.add(
            StockMovement(
                store_id=store_id,
                sku_id=sku_id,
                kind=MovementKind.RESERVE,
                available_delta=-quantity,
                reserved_delta=quantity,
                available_after=after,
                order_id=order_id,
            )
        )
        reservations.append(reservation)
    await session.flush()
    return reservations


async def _settle(
    session: AsyncSession,
    order_id: int,
    *,
    from_status: ReservationStatus,
    to_status: ReservationStatus,
    kind: MovementKind,
    give_back: bool,
    reason: str,
) -> int:
    """Move each reservation of an order on by compare-and-set; returns units settled."""
    now = utcnow()
    units = 0
    for reservation in await repo.reservations_of(session, order_id, from_status):
        won = await repo.settle_reservation(
            session, reservation.id, from_status=from_status, to_status=to_status, now=now
        )
        if not won:
            continue  # a racing cancel or expiry already settled it
        quantity = reservation.quantity
        available_delta = quantity if give_back else 0
        reserved_delta = -quantity if from_status == ReservationStatus.HELD else 0
        after = await repo.change_level(
            session,
            store_id=reservation.store_id,
            sku_id=reservation.sku_id,
            available_delta=available_delta,
            reserved_delta=reserved_delta,
        )
        if after is None:
            raise Conflict("stock level out of step with reservations", code="stock_inconsistent")
        session.add(
            StockMovement(
                store_id=reservation.store_id,
                sku_id=reservation.sku_id,
                kind=kind,
                available_delta=available_delta,
                reserved_delta=reserved_delta,
                available_after=after,
                order_id=order_id,
                reason=reason,
            )
        )
        units += quantity
    return units


async def release_reservations(session: AsyncSession, order_id: int, reason: str) -> int:
    """Give held stock back (cancel or expiry). Releasing twice returns the stock once."""
    return await _settle(
        session,
        order_id,
        from_status=ReservationStatus.HELD,
        to_status=ReservationStatus.RELEASED,
        kind=MovementKind.RELEASE,
        give_back=True,
        reason=reason,
    )


async def sell_reservations(session: AsyncSession, order_id: int) -> int:
    """Turn held stock into a sale when the order is paid."""
    return await _settle(
        session,
        order_id,
        from_status=ReservationStatus.HELD,
        to_status=ReservationStatus.SOLD,
        kind=MovementKind.SALE,
        give_back=False,
        reason="order paid",
    )


async def return_sold_stock(session: AsyncSession, order_id: int, reason: str) -> int:
    """Put sold units back on sale (a paid order cancelled before shipping)."""
    return await _settle(
        session,
        order_id,
        from_status=ReservationStatus.SOLD,
        to_status=ReservationStatus.RETURNED,
        kind=MovementKind.RETURN,
        give_back=True,
        reason=reason,
    )


async def return_units(
    session: AsyncSession,
    *,
    store_id: int,
    sku_id: int,
    quantity: int,
    order_id: int,
    reason: str,
    actor_id: int | None = None,
) -> StockMovement:
    """Put ``quantity`` sold units of one SKU back on sale (an after-sales return received,
    or a refund of units not shipped), recorded as a RETURN movement of the order."""
    after = await repo.change_level(
        session, store_id=store_id, sku_id=sku_id, available_delta=quantity, reserved_delta=0
    )
    if after is None:
        raise NotFound("no such SKU")
    movement = StockMovement(
        store_id=store_id,
        sku_id=sku_id,
        kind=MovementKind.RETURN,
        available_delta=quantity,
        available_after=after,
        order_id=order_id,
        reason=reason,
        actor_id=actor_id,
    )
    session.add(movement)
    return movement


async def stock_levels(session: AsyncSession, sku_ids: list[int]) -> dict[int, StockLevel]:
    return await repo.levels(session, sku_ids)


async def stock_level(session: AsyncSession, scope: StoreScope, sku_id: int) -> StockLevel:
    stock = await repo.level(session, scope.store_id, sku_id)
    if stock is None:
        raise NotFound("no such SKU")
    return stock


async def movements(
    session: AsyncSession, scope: StoreScope, sku_id: int, cursor: str | None, limit: int
) -> list[StockMovement]:
    """A SKU's movements, newest first; ``limit + 1`` rows so the caller can tell if more follow."""
    await stock_level(session, scope, sku_id)
    query = paginate(repo.movements_query(scope.store_id, sku_id), StockMovement, cursor, limit)
    return list(await session.scalars(query))


async def low_stock(session: AsyncSession, scope: StoreScope, limit: int = 100) -> list[StockLevel]:
    return list(await session.scalars(repo.low_stock_query(scope.store_id).limit(limit)))


async def set_low_stock_threshold(
    session: AsyncSession, scope: StoreScope, sku_id: int, threshold: int
) -> StockLevel:
    stock = await stock_level(session, scope, sku_id)
    stock.low_stock_threshold = threshold
    return stock
