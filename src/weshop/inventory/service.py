"""Stock rules: never below zero, every change a recorded movement, reservations settled once.

A multi-line reservation takes its rows in SKU-id order (no deadlocks between two orders) and
either reserves every line or raises, so the caller's transaction rolls back all of them.

Warehouses (``inventory.warehouses``): a store without any keeps one row per SKU, as always.
A store with warehouses also keeps a row per SKU and warehouse, and the SKU's row stays the
sum of them: every change updates the SKU's row first (the total's guard, and the lock that
makes its warehouses' rows take turns), then the warehouse rows in key order, each with its
own conditional UPDATE, in the same transaction. A reservation is allocated to warehouses
(``inventory.allocation``) when it is taken, with the SKU rows held, so the warehouse is
certain from the moment the order holds stock; its units go back to that warehouse when the
hold is released or the sale returned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.clock import utcnow
from weshop.core.db import lock_row
from weshop.core.errors import Conflict, InvalidInput, NotFound, OutOfStock
from weshop.core.events import announce
from weshop.core.money import MAX_LINE_QUANTITY
from weshop.core.pagination import paginate
from weshop.core.tenancy import StoreScope
from weshop.inventory import repository as repo
from weshop.inventory.allocation import Site, allocate
from weshop.inventory.events import StockRunningLow
from weshop.inventory.models import (
    MovementKind,
    ReservationStatus,
    StockLevel,
    StockMovement,
    StockReservation,
    Warehouse,
)
from weshop.stores.models import Store

MAX_STOCK = 10_000_000


async def _announce_if_low(
    session: AsyncSession, store_id: int, sku_id: int, delta: int, after: repo.LevelAfter
) -> None:
    if after.crossed_threshold(delta):
        await announce(
            session, StockRunningLow(store_id, sku_id, after.available, after.low_stock_threshold)
        )


async def open_stock_level(
    session: AsyncSession, store_id: int, sku_id: int, initial: int, actor_id: int | None
) -> StockLevel:
    """Create the level of a new SKU; initial stock is recorded as received, into the store's
    default warehouse if it has warehouses."""
    # A first warehouse being opened copies every level; the store's row makes the two take
    # turns, so no new SKU slips past the copy.
    await lock_row(session, Store, store_id)
    warehouse = await repo.default_warehouse(session, store_id)
    stock = StockLevel(store_id=store_id, sku_id=sku_id, available=initial, reserved=0)
    session.add(stock)
    if warehouse is not None:
        await session.flush()
        await repo.open_warehouse_row(
            session,
            store_id=store_id,
            sku_id=sku_id,
            warehouse_id=warehouse.id,
            available=initial,
        )
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
                warehouse_id=warehouse.id if warehouse is not None else None,
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
    warehouse_id: int | None = None,
) -> StockMovement:
    """Staff receive goods (+n) or correct a count (±n); never below zero, always recorded.

    In a store with warehouses the units go into or out of ``warehouse_id`` (default: the
    store's default warehouse), and the SKU's total with them."""
    if kind == MovementKind.RECEIVE and quantity <= 0:
        raise InvalidInput("received quantity must be positive", code="invalid_quantity")
    if kind == MovementKind.ADJUST and quantity == 0:
        raise InvalidInput("an adjustment must change the count", code="invalid_quantity")
    if kind not in (MovementKind.RECEIVE, MovementKind.ADJUST):
        raise InvalidInput("staff may only receive or adjust stock", code="invalid_movement_kind")
    if await repo.level(session, scope.store_id, sku_id) is None:
        raise NotFound("no such SKU")
    warehouse = await _moved_warehouse(session, scope.store_id, warehouse_id, quantity)
    after = await repo.change_level(
        session, store_id=scope.store_id, sku_id=sku_id, available_delta=quantity, reserved_delta=0
    )
    if after is None:
        raise Conflict("stock cannot go below zero", code="stock_would_go_negative")
    if after.available > MAX_STOCK:
        raise InvalidInput(f"stock may not exceed {MAX_STOCK}", code="invalid_quantity")
    if warehouse is not None:
        await repo.open_warehouse_row(
            session, store_id=scope.store_id, sku_id=sku_id, warehouse_id=warehouse.id
        )
        in_warehouse = await repo.change_warehouse_stock(
            session,
            sku_id=sku_id,
            warehouse_id=warehouse.id,
            available_delta=quantity,
            reserved_delta=0,
        )
        if in_warehouse is None:
            # The SKU's row changed above; raising rolls the whole request back.
            raise Conflict(
                "stock in this warehouse cannot go below zero", code="stock_would_go_negative"
            )
    movement = StockMovement(
        warehouse_id=warehouse.id if warehouse is not None else None,
        store_id=scope.store_id,
        sku_id=sku_id,
        kind=kind,
        available_delta=quantity,
        available_after=after.available,
        reason=reason,
        actor_id=scope.actor_id,
    )
    await _announce_if_low(session, scope.store_id, sku_id, quantity, after)
    session.add(movement)
    await session.flush()
    return movement


async def _moved_warehouse(
    session: AsyncSession, store_id: int, warehouse_id: int | None, quantity: int
) -> Warehouse | None:
    """The warehouse a staff movement goes into or out of, its row held so that it is not
    deactivated meanwhile; None in a store without warehouses."""
    if warehouse_id is None:
        warehouse = await repo.default_warehouse(session, store_id)
    else:
        warehouse = await repo.warehouse(session, store_id, warehouse_id)
        if warehouse is None:
            raise NotFound("no such warehouse")
    if warehouse is None:
        return None
    await lock_row(session, Warehouse, warehouse.id)
    await session.refresh(warehouse)
    if quantity > 0 and not warehouse.is_active:
        raise Conflict("this warehouse is deactivated", code="warehouse_inactive")
    return warehouse


async def reserve_stock(
    session: AsyncSession,
    *,
    store_id: int,
    order_id: int,
    lines: Iterable[tuple[int, int]],
    expires_at: datetime,
    ship_province: str | None = None,
) -> list[StockReservation]:
    """Hold ``(sku_id, quantity)`` lines for an order: all of them, or raise ``OutOfStock``.
    In a store with warehouses each line is allocated to warehouses, nearest to
    ``ship_province`` first (``inventory.allocation``); a reservation row per warehouse."""
    wanted: dict[int, int] = defaultdict(int)
    for sku_id, quantity in lines:
        if quantity <= 0 or quantity > MAX_LINE_QUANTITY:
            raise InvalidInput("quantity out of range", code="invalid_quantity")
        wanted[sku_id] += quantity
    after: dict[int, int] = {}
    for sku_id in sorted(wanted):
        level_after = await repo.change_level(
            session,
            store_id=store_id,
            sku_id=sku_id,
            available_delta=-wanted[sku_id],
            reserved_delta=wanted[sku_id],
        )
        if level_after is None:
            raise _out_of_stock(sku_id, wanted[sku_id])
        after[sku_id] = level_after.available
        await _announce_if_low(session, store_id, sku_id, -wanted[sku_id], level_after)
    plan = await _allocation(session, store_id, wanted, ship_province)
    reservations = []
    for sku_id in sorted(wanted):
        for warehouse_id, quantity in plan.get(sku_id) or [(None, wanted[sku_id])]:
            if warehouse_id is not None:
                await _take_from_warehouse(session, sku_id, warehouse_id, quantity)
            reservation = StockReservation(
                store_id=store_id,
                order_id=order_id,
                sku_id=sku_id,
                warehouse_id=warehouse_id,
                quantity=quantity,
                expires_at=expires_at,
            )
            session.add(reservation)
            session.add(
                StockMovement(
                    store_id=store_id,
                    sku_id=sku_id,
                    warehouse_id=warehouse_id,
                    kind=MovementKind.RESERVE,
                    available_delta=-quantity,
                    reserved_delta=quantity,
                    available_after=after[sku_id],
                    order_id=order_id,
                )
            )
            reservations.append(reservation)
    await session.flush()
    return reservations


def _out_of_stock(sku_id: int, quantity: int) -> OutOfStock:
    return OutOfStock(
        "not enough stock for this item", details={"sku_id": sku_id, "requested": quantity}
    )


async def _allocation(
    session: AsyncSession, store_id: int, wanted: dict[int, int], ship_province: str | None
) -> dict[int, list[tuple[int, int]]]:
    """The warehouses of each SKU, read while the SKUs' rows are held; ``{}`` in a store
    without warehouses (no rows), so it reserves exactly as before warehouses existed."""
    rows = await repo.stocked_sites(session, store_id, list(wanted))
    if not rows:
        return {}
    warehouses: dict[int, Warehouse] = {}
    available: dict[int, dict[int, int]] = defaultdict(dict)
    for stock, warehouse in rows:
        if warehouse.is_active:
            warehouses[warehouse.id] = warehouse
            available[warehouse.id][stock.sku_id] = stock.available
    sites = [
        Site(
            warehouse_id=w.id,
            province=w.province,
            regions=tuple(w.regions),
            is_default=w.is_default,
            available=available[w.id],
        )
        for w in warehouses.values()
    ]
    plan = allocate(wanted, sites, ship_province)
    if plan is None:
        # The total had the units, but some are in a deactivated warehouse.
        sku_id = min(wanted)
        raise _out_of_stock(sku_id, wanted[sku_id])
    return plan


async def _take_from_warehouse(
    session: AsyncSession, sku_id: int, warehouse_id: int, quantity: int
) -> None:
    moved = await repo.change_warehouse_stock(
        session,
        sku_id=sku_id,
        warehouse_id=warehouse_id,
        available_delta=-quantity,
        reserved_delta=quantity,
    )
    if moved is None:
        raise Conflict("stock level out of step with warehouses", code="stock_inconsistent")


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
        if from_status == ReservationStatus.SOLD:
            # Units an after-sales return already put back are not given back twice.
            quantity -= await repo.returned_units(session, reservation.id)
        available_delta = quantity if give_back else 0
        reserved_delta = -quantity if from_status == ReservationStatus.HELD else 0
        after = await repo.change_level(
            session,
            store_id=reservation.store_id,
            sku_id=reservation.sku_id,
            available_delta=available_delta,
            reserved_delta=reserved_delta,
        )
        if after is None or (
            reservation.warehouse_id is not None
            and await repo.change_warehouse_stock(
                session,
                sku_id=reservation.sku_id,
                warehouse_id=reservation.warehouse_id,
                available_delta=available_delta,
                reserved_delta=reserved_delta,
            )
            is None
        ):
            raise Conflict("stock level out of step with reservations", code="stock_inconsistent")
        session.add(
            StockMovement(
                store_id=reservation.store_id,
                sku_id=reservation.sku_id,
                warehouse_id=reservation.warehouse_id,
                kind=kind,
                available_delta=available_delta,
                reserved_delta=reserved_delta,
                available_after=after.available,
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
) -> int:
    """Put up to ``quantity`` sold units of one SKU back on sale (an after-sales return
    received, or a refund of units not shipped), recorded as RETURN movements of the order.

    The units go back to the warehouse each came from, counted on the order's sold
    reservations, so that returning the whole order later (a cancellation) gives back only
    the rest and no unit is ever put back twice. An order that holds no reservation of the
    SKU (a flash sale's order: its units came from the flash item) returns them to the
    store's default warehouse, if it has one. Returns the units put back."""
    left = quantity
    reservations = await repo.reservations_of_sku(session, order_id, sku_id)
    for reservation in reservations:
        take = min(left, reservation.quantity - reservation.returned_quantity)
        if take <= 0 or not await repo.take_returned_units(session, reservation.id, take):
            continue
        await _put_back(
            session,
            store_id=store_id,
            sku_id=sku_id,
            warehouse_id=reservation.warehouse_id,
            quantity=take,
            order_id=order_id,
            reason=reason,
            actor_id=actor_id,
        )
        left -= take
    if reservations:
        return quantity - left
    default = await repo.default_warehouse(session, store_id)
    await _put_back(
        session,
        store_id=store_id,
        sku_id=sku_id,
        warehouse_id=default.id if default is not None else None,
        quantity=quantity,
        order_id=order_id,
        reason=reason,
        actor_id=actor_id,
    )
    return quantity


async def _put_back(
    session: AsyncSession,
    *,
    store_id: int,
    sku_id: int,
    warehouse_id: int | None,
    quantity: int,
    order_id: int,
    reason: str,
    actor_id: int | None,
) -> None:
    after = await repo.change_level(
        session, store_id=store_id, sku_id=sku_id, available_delta=quantity, reserved_delta=0
    )
    if after is None:
        raise NotFound("no such SKU")
    if warehouse_id is not None:
        await repo.open_warehouse_row(
            session, store_id=store_id, sku_id=sku_id, warehouse_id=warehouse_id
        )
        if (
            await repo.change_warehouse_stock(
                session,
                sku_id=sku_id,
                warehouse_id=warehouse_id,
                available_delta=quantity,
                reserved_delta=0,
            )
            is None
        ):
            raise Conflict("stock level out of step with warehouses", code="stock_inconsistent")
    session.add(
        StockMovement(
            store_id=store_id,
            sku_id=sku_id,
            warehouse_id=warehouse_id,
            kind=MovementKind.RETURN,
            available_delta=quantity,
            available_after=after.available,
            order_id=order_id,
            reason=reason,
            actor_id=actor_id,
        )
    )


async def discard_stock(session: AsyncSession, store_id: int, sku_ids: list[int]) -> None:
    """Forget the stock of SKUs being deleted: never ordered, so nothing else names them."""
    if sku_ids:
        await repo.delete_stock_rows(session, store_id, sku_ids)


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
