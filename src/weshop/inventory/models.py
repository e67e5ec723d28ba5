from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
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
    """Per SKU: ``available`` may be sold now; ``reserved`` is held for unpaid orders."""

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
    status: Mapped[ReservationStatus] = mapped_column(
        enum_column(ReservationStatus, 16), default=ReservationStatus.HELD
    )
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    settled_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(String(100), default="")
