"""Stock queries. Every change of a level is one conditional UPDATE; the row count decides."""

from __future__ import annotations

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.inventory.models import ReservationStatus, StockLevel, StockMovement, StockReservation


async def change_level(
    session: AsyncSession, *, store_id: int, sku_id: int, available_delta: int, reserved_delta: int
) -> int | None:
    """Apply the deltas if neither count would go below zero; the new ``available`` or None."""
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
        .returning(StockLevel.available)
    )
    return (await session.execute(statement)).scalar_one_or_none()


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


async def reservations_of(
    session: AsyncSession, order_id: int, status: ReservationStatus
) -> list[StockReservation]:
    rows = await session.scalars(
        select(StockReservation)
        .where(StockReservation.order_id == order_id, StockReservation.status == status)
        .order_by(StockReservation.sku_id)
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
