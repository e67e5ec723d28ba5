"""Stock queries. Every change of a level is one conditional UPDATE; the row count decides."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Select, delete, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.inventory.models import (
    ReservationStatus,
    StockLevel,
    StockMovement,
    StockReservation,
    Warehouse,
    WarehouseStock,
)


class LevelAfter(NamedTuple):
    available: int
    low_stock_threshold: int

    def crossed_threshold(self, available_delta: int) -> bool:
        """Whether this change took ``available`` from above the threshold to at or below."""
        before = self.available - available_delta
        return self.available <= self.low_stock_threshold < before


async def change_level(
    session: AsyncSession, *, store_id: int, sku_id: int, available_delta: int, reserved_delta: int
) -> LevelAfter | None:
    """Apply the deltas if neither count would go below zero; the new ``available`` (with the
    SKU's low-stock threshold) or None."""
    statement = (
        update(StockLevel)
        .where(
            StockLevel.sku_id == sku_id,
            StockLevel.store_id == store_id,
            StockLevel.available + available_delta >= 0,
            StockLevel.reserved + reserved_delta >= 0,
        )
        .values(
            available=StockLevel.available + available_delta,
            reserved=StockLevel.reserved + reserved_delta,
        )
        .returning(StockLevel.available, StockLevel.low_stock_threshold)
    )
    row = (await session.execute(statement)).one_or_none()
    return None if row is None else LevelAfter(row.available, row.low_stock_threshold)


async def settle_reservation(
    session: AsyncSession,
    reservation_id: int,
    *,
    from_status: ReservationStatus,
    to_status: ReservationStatus,
    now,
) -> bool:
    """Compare-and-set on a reservation: only one of two racing settlements wins."""
    result = await session.execute(
        update(StockReservation)
        .where(StockReservation.id == reservation_id, StockReservation.status == from_status)
        .values(status=to_status, settled_at=now)
    )
    return result.rowcount == 1


async def take_returned_units(session: AsyncSession, reservation_id: int, quantity: int) -> bool:
    """Compare-and-set: count ``quantity`` more units of a sold reservation as returned, only
    while it is sold and has that many left."""
    result = await session.execute(
        update(StockReservation)
        .where(
            StockReservation.id == reservation_id,
            StockReservation.status == ReservationStatus.SOLD,
            StockReservation.returned_quantity + quantity <= StockReservation.quantity,
        )
        .values(returned_quantity=StockReservation.returned_quantity + quantity)
    )
    return result.rowcount == 1


async def returned_units(session: AsyncSession, reservation_id: int) -> int:
    """Units of a reservation already put back on sale, read afresh (a concurrent return may
    have counted more since the row was loaded)."""
    return (
        await session.scalar(
            select(StockReservation.returned_quantity).where(StockReservation.id == reservation_id)
        )
        or 0
    )


async def reservations_of_sku(
    session: AsyncSession, order_id: int, sku_id: int
) -> list[StockReservation]:
    """Every reservation of one SKU for an order, whatever its status, oldest first."""
    rows = await session.scalars(
        select(StockReservation)
        .where(StockReservation.order_id == order_id, StockReservation.sku_id == sku_id)
        .order_by(StockReservation.id)
    )
    return list(rows)


async def reservations_of(
    session: AsyncSession, order_id: int, status: ReservationStatus
) -> list[StockReservation]:
    rows = await session.scalars(
        select(StockReservation)
        .where(StockReservation.order_id == order_id, StockReservation.status == status)
        .order_by(StockReservation.sku_id, StockReservation.warehouse_id)
    )
    return list(rows)


async def level(session: AsyncSession, store_id: int, sku_id: int) -> StockLevel | None:
    return await session.scalar(
        select(StockLevel).where(StockLevel.sku_id == sku_id, StockLevel.store_id == store_id)
    )


async def levels(session: AsyncSession, sku_ids: list[int]) -> dict[int, StockLevel]:
    if not sku_ids:
        return {}
    rows = await session.scalars(select(StockLevel).where(StockLevel.sku_id.in_(sku_ids)))
    return {row.sku_id: row for row in rows}


def movements_query(store_id: int, sku_id: int) -> Select:
    return select(StockMovement).where(
        StockMovement.store_id == store_id, StockMovement.sku_id == sku_id
    )


def low_stock_query(store_id: int) -> Select:
    return (
        select(StockLevel)
        .where(
            StockLevel.store_id == store_id, StockLevel.available <= StockLevel.low_stock_threshold
        )
        .order_by(StockLevel.available, StockLevel.sku_id)
    )


async def change_warehouse_stock(
    session: AsyncSession,
    *,
    sku_id: int,
    warehouse_id: int,
    available_delta: int,
    reserved_delta: int,
) -> int | None:
    """Like :func:`change_level`, for one warehouse's row of the SKU."""
    statement = (
        update(WarehouseStock)
        .where(
            WarehouseStock.sku_id == sku_id,
            WarehouseStock.warehouse_id == warehouse_id,
            WarehouseStock.available + available_delta >= 0,
            WarehouseStock.reserved + reserved_delta >= 0,
        )
        .values(
            available=WarehouseStock.available + available_delta,
            reserved=WarehouseStock.reserved + reserved_delta,
        )
        .returning(WarehouseStock.available)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def open_warehouse_row(
    session: AsyncSession, *, store_id: int, sku_id: int, warehouse_id: int, available: int = 0
) -> None:
    """The SKU's row in the warehouse, created if it is not there yet."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(WarehouseStock)
        .values(
            store_id=store_id,
            sku_id=sku_id,
            warehouse_id=warehouse_id,
            available=available,
            reserved=0,
        )
        .on_conflict_do_nothing(index_elements=["sku_id", "warehouse_id"])
    )


async def stocked_sites(
    session: AsyncSession, store_id: int, sku_ids: list[int]
) -> list[tuple[WarehouseStock, Warehouse]]:
    """The SKUs' rows in the store's warehouses (none in a store without warehouses)."""
    rows = await session.execute(
        select(WarehouseStock, Warehouse)
        .join(Warehouse, Warehouse.id == WarehouseStock.warehouse_id)
        .where(WarehouseStock.sku_id.in_(sku_ids), WarehouseStock.store_id == store_id)
        .order_by(WarehouseStock.sku_id, WarehouseStock.warehouse_id)
    )
    return [(stock, warehouse) for stock, warehouse in rows]


async def warehouses_of(session: AsyncSession, store_id: int) -> list[Warehouse]:
    rows = await session.scalars(
        select(Warehouse).where(Warehouse.store_id == store_id).order_by(Warehouse.id)
    )
    return list(rows)


async def warehouse(session: AsyncSession, store_id: int, warehouse_id: int) -> Warehouse | None:
    return await session.scalar(
        select(Warehouse).where(Warehouse.id == warehouse_id, Warehouse.store_id == store_id)
    )


async def default_warehouse(session: AsyncSession, store_id: int) -> Warehouse | None:
    return await session.scalar(
        select(Warehouse).where(Warehouse.store_id == store_id, Warehouse.is_default.is_(True))
    )


async def warehouse_name_taken(
    session: AsyncSession, store_id: int, name: str, except_id: int | None = None
) -> bool:
    query = select(Warehouse.id).where(Warehouse.store_id == store_id, Warehouse.name == name)
    if except_id is not None:
        query = query.where(Warehouse.id != except_id)
    return await session.scalar(query) is not None


async def lock_store_levels(session: AsyncSession, store_id: int) -> None:
    """Hold every stock level of the store, in SKU order (PostgreSQL; SQLite has one writer)."""
    await session.execute(
        select(StockLevel.sku_id)
        .where(StockLevel.store_id == store_id)
        .order_by(StockLevel.sku_id)
        .with_for_update()
    )


async def fill_first_warehouse(session: AsyncSession, store_id: int, warehouse_id: int) -> None:
    """The store's stock so far is in its first warehouse: copy each level into a row of it,
    and allocate the open reservations to it."""
    await session.execute(
        WarehouseStock.__table__.insert().from_select(
            ["sku_id", "warehouse_id", "store_id", "available", "reserved"],
            select(
                StockLevel.sku_id,
                literal(warehouse_id),
                StockLevel.store_id,
                StockLevel.available,
                StockLevel.reserved,
            ).where(StockLevel.store_id == store_id),
        )
    )
    await session.execute(
        update(StockReservation)
        .where(
            StockReservation.store_id == store_id,
            StockReservation.warehouse_id.is_(None),
            StockReservation.status.in_([ReservationStatus.HELD, ReservationStatus.SOLD]),
        )
        .values(warehouse_id=warehouse_id)
    )


async def warehouse_holds_stock(session: AsyncSession, warehouse_id: int) -> bool:
    total = await session.scalar(
        select(func.coalesce(func.sum(WarehouseStock.available), 0)).where(
            WarehouseStock.warehouse_id == warehouse_id
        )
    )
    return bool(total)


def warehouse_stock_query(store_id: int, warehouse_id: int) -> Select:
    return select(WarehouseStock).where(
        WarehouseStock.store_id == store_id, WarehouseStock.warehouse_id == warehouse_id
    )


async def sku_stock_by_warehouse(
    session: AsyncSession, store_id: int, sku_id: int
) -> list[WarehouseStock]:
    rows = await session.scalars(
        select(WarehouseStock)
        .where(WarehouseStock.store_id == store_id, WarehouseStock.sku_id == sku_id)
        .order_by(WarehouseStock.warehouse_id)
    )
    return list(rows)


async def allocations_of(session: AsyncSession, order_ids: list[int]) -> list[StockReservation]:
    """The orders' reservations that went to a warehouse, whatever became of them."""
    if not order_ids:
        return []
    rows = await session.scalars(
        select(StockReservation)
        .where(StockReservation.order_id.in_(order_ids), StockReservation.warehouse_id.is_not(None))
        .order_by(StockReservation.order_id, StockReservation.sku_id, StockReservation.warehouse_id)
    )
    return list(rows)


async def delete_stock_rows(session: AsyncSession, store_id: int, sku_ids: list[int]) -> None:
    """Every level, warehouse row and movement of these SKUs (reservations are kept)."""
    for model in (StockMovement, WarehouseStock, StockLevel):
        await session.execute(
            delete(model).where(model.store_id == store_id, model.sku_id.in_(sku_ids))
        )
