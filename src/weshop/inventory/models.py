from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, enum_column


class MovementKind(enum.StrEnum):
    RECEIVE = "receive"  # goods arrived
    ADJUST = "adjust"  # stock-take correction, up or down
    RESERVE = "reserve"  # held for an unpaid order
    RELEASE = "release"  # a hold given back (cancelled or expired order)
    SALE = "sale"  # a hold turned into a sale on payment
    RETURN = "return"  # goods came back after a sale


class StockLevel(Base):
    """Per SKU: ``available`` may be sold now; ``reserved`` is held for unpaid orders.

    In a store with warehouses the row is the sum of the SKU's :class:`WarehouseStock` rows,
    kept equal in the same transaction as every change of them."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        CheckConstraint("available >= 0", name="available_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    )

    sku_id: Mapped[int] = mapped_column(
        ForeignKey("skus.id"), primary_key=True, autoincrement=False
    )
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    available: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    low_stock_threshold: Mapped[int] = mapped_column(default=5)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class StockMovement(Base):
    __tablename__ = "stock_movements"
    __table_args__ = (Index("ix_stock_movements_sku", "store_id", "sku_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    kind: Mapped[MovementKind] = mapped_column(enum_column(MovementKind, 16))
    # Change of ``available`` (reserve: -n, release: +n, sale: 0) and of ``reserved``.
    available_delta: Mapped[int]
    reserved_delta: Mapped[int] = mapped_column(default=0)
    available_after: Mapped[int]
    # The warehouse the units moved in or out of; None in a store without warehouses.
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    reason: Mapped[str] = mapped_column(String(200), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    order_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReservationStatus(enum.StrEnum):
    HELD = "held"
    SOLD = "sold"
    RELEASED = "released"
    RETURNED = "returned"  # sold, then given back before it left the warehouse


class StockReservation(Base):
    __tablename__ = "stock_reservations"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    order_id: Mapped[int] = mapped_column(index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int]
    # The warehouse the units are allocated to (and go back to); None without warehouses.
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    status: Mapped[ReservationStatus] = mapped_column(
        enum_column(ReservationStatus, 16), default=ReservationStatus.HELD
    )
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    settled_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(String(100), default="")


class Warehouse(Base):
    """A place a store keeps and ships stock from. ``regions``: the provinces it serves
    first (empty: none in particular). The store's first warehouse is its default: staff
    moves and campaign stock that name no warehouse use it, and it cannot be deactivated."""

    __tablename__ = "warehouses"
    __table_args__ = (UniqueConstraint("store_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    name: Mapped[str] = mapped_column(String(30))
    province: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(30))
    address: Mapped[str] = mapped_column(String(200), default="")
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WarehouseStock(Base):
    """Per SKU and warehouse, like :class:`StockLevel`. The primary key leads with the SKU,
    so the rows of one SKU are locked in key order after that SKU's level row."""

    __tablename__ = "warehouse_stocks"
    __table_args__ = (
        CheckConstraint("available >= 0", name="available_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    )

    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(
        ForeignKey("warehouses.id"), primary_key=True, index=True
    )
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    available: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
