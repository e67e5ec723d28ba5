"""Flash sales: a session (a time window), its items (a SKU at a flash price with flash stock
taken from the SKU's regular stock), each shopper's count per item, and every accepted attempt.

``FlashItem.sold`` counts the units of the live attempts (accepted and not given back); it
moves only by conditional UPDATEs (``sold + q <= flash_stock``), so the database alone never
sells more than the flash stock, whatever Redis says. With Redis, ``flash_stock - sold`` is
also what Redis holds as the item's remaining stock, give or take the attempts in flight
(``weshop flashsale reconcile`` proves it and repairs Redis).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, TimestampMixin, enum_column


class SessionStatus(enum.StrEnum):
    # Scheduled or running, by the clock: see FlashSession.phase.
    ACTIVE = "active"
    # Over (its end passed, or staff stopped it): what was unsold went back to regular stock.
    ENDED = "ended"


class AttemptState(enum.StrEnum):
    ACCEPTED = "accepted"  # the unit is the shopper's; the order is being placed
    ORDERED = "ordered"  # the order exists (``order_id``)
    RELEASED = "released"  # the order was cancelled or expired: its unit went back


class FlashSession(TimestampMixin, Base):
    __tablename__ = "flash_sessions"
    __table_args__ = (
        Index("ix_flash_sessions_store_starts", "store_id", "starts_at"),
        Index("ix_flash_sessions_status_ends", "status", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL: a platform session (a mall-wide event), with items of any store.
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    title: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # The time a flash order may stay unpaid before it expires and its unit goes back.
    payment_window_minutes: Mapped[int] = mapped_column(default=5)
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus, 16), default=SessionStatus.ACTIVE
    )
    ended_at: Mapped[datetime | None]
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class FlashItem(Base):
    __tablename__ = "flash_items"
    __table_args__ = (
        UniqueConstraint("session_id", "sku_id"),
        Index("ix_flash_items_sku", "sku_id"),
        CheckConstraint("sold >= 0", name="sold_not_negative"),
        CheckConstraint("sold <= flash_stock", name="sold_within_stock"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("flash_sessions.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    flash_price_fen: Mapped[int]
    # Units taken from the SKU's regular stock for this session.
    flash_stock: Mapped[int]
    # Units held by live attempts (see the module's docstring).
    sold: Mapped[int] = mapped_column(default=0)
    per_shopper_limit: Mapped[int] = mapped_column(default=1)
    sort_order: Mapped[int] = mapped_column(default=0)
    # Attempts counted. With Redis, every attempt (the gate counts; the reconciler copies the
    # count here); without, those that reached the write (a read that already shows the item
    # sold out or the shopper at the limit refuses without writing).
    attempts: Mapped[int] = mapped_column(default=0)
    # Units given back to the SKU's regular stock when the session ended (unsold), and after
    # it (orders closed late).
    returned_to_stock: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FlashBuyer(Base):
    """How many units of an item one shopper holds in live attempts: the row the per-shopper
    limit is enforced on, by a conditional upsert."""

    __tablename__ = "flash_buyers"

    item_id: Mapped[int] = mapped_column(ForeignKey("flash_items.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    units: Mapped[int] = mapped_column(default=0)


class FlashAttempt(Base):
    """An accepted attempt; it carries the shopper's idempotency token and its one order."""

    __tablename__ = "flash_attempts"
    __table_args__ = (
        UniqueConstraint("item_id", "user_id", "token"),
        Index("ix_flash_attempts_session", "session_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("flash_items.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("flash_sessions.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    state: Mapped[AttemptState] = mapped_column(
        enum_column(AttemptState, 16), default=AttemptState.ACCEPTED
    )
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    paid_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]
    release_reason: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
