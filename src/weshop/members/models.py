from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, TimestampMixin, enum_column


class MemberLevel(TimestampMixin, Base):
    """A rung of a store's ladder: reached at ``growth_threshold``, pays ``pay_percent``."""

    __tablename__ = "member_levels"
    __table_args__ = (
        UniqueConstraint("store_id", "growth_threshold"),
        UniqueConstraint("store_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    name: Mapped[str] = mapped_column(String(20))
    growth_threshold: Mapped[int]
    pay_percent: Mapped[int]


class MemberRules(TimestampMixin, Base):
    """How a store rewards its members; a store without a row uses the defaults here."""

    __tablename__ = "member_rules"

    store_id: Mapped[int] = mapped_column(
        ForeignKey("stores.id"), primary_key=True, autoincrement=False
    )
    growth_per_yuan: Mapped[int] = mapped_column(default=1)
    points_per_yuan: Mapped[int] = mapped_column(default=1)
    fen_per_point: Mapped[int] = mapped_column(default=1)
    max_share_percent: Mapped[int] = mapped_column(default=50)
    # None: points never expire. No column default: the ORM would put it in place of None.
    points_expire_days: Mapped[int | None]


class Membership(TimestampMixin, Base):
    """A shopper at one store. ``points_balance`` caches the ledger's sum and changes only by
    conditional UPDATE together with a ledger entry; the check keeps it from going below 0."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("store_id", "user_id"),
        Index("ix_memberships_user", "user_id"),
        Index("ix_memberships_store_created", "store_id", "created_at"),
        CheckConstraint("points_balance >= 0", name="points_not_negative"),
        CheckConstraint("growth_value >= 0", name="growth_not_negative"),
        CheckConstraint("points_owed >= 0", name="points_owed_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Derived from growth_value and the store's levels; recomputed whenever either changes.
    level_id: Mapped[int | None] = mapped_column(ForeignKey("member_levels.id"), index=True)
    growth_value: Mapped[int] = mapped_column(default=0)
    points_balance: Mapped[int] = mapped_column(default=0)
    # Points a refund's claw-back could not take (the balance was short): the next earnings
    # pay them off first. The sum of the entries' ``owed_delta``.
    points_owed: Mapped[int] = mapped_column(default=0)


class PointsKind(enum.StrEnum):
    EARN = "earn"
    SPEND = "spend"
    REFUND = "refund"
    EXPIRE = "expire"
    ADJUST = "adjust"
    # A refund took back part of what a completed order earned (points and growth).
    CLAWBACK = "clawback"
    # An order's earnings paid off points a claw-back left owed.
    REPAY = "repay"


class PointsEntry(Base):
    """The append-only points ledger; the only column that ever changes is ``remaining``.

    An entry with a positive ``delta`` is a credit lot: ``remaining`` is what is left of it
    (spends and expiry consume lots first-to-expire first), ``expires_at`` when that lapses.
    On a spend, ``expires_at`` is the latest expiry of the lots it consumed, which a refund of
    it inherits. The sum of ``delta`` equals the sum of ``remaining`` equals the balance.
    """

    __tablename__ = "points_entries"
    __table_args__ = (
        # What an order does once (earn, spend, the return as it is cancelled, repay) happens
        # once per order (NULLs are distinct); what follows a refund, once per refund.
        Index(
            "ix_points_entries_once_per_order",
            "store_id",
            "kind",
            "order_id",
            unique=True,
            sqlite_where=text("refund_id IS NULL"),
            postgresql_where=text("refund_id IS NULL"),
        ),
        Index(
            "ix_points_entries_once_per_refund",
            "store_id",
            "kind",
            "refund_id",
            unique=True,
            sqlite_where=text("refund_id IS NOT NULL"),
            postgresql_where=text("refund_id IS NOT NULL"),
        ),
        Index("ix_points_entries_member", "store_id", "user_id", "created_at"),
        Index("ix_points_entries_order", "order_id"),
        Index(
            "ix_points_entries_open_lots",
            "expires_at",
            sqlite_where=text("remaining > 0"),
            postgresql_where=text("remaining > 0"),
        ),
        CheckConstraint("remaining >= 0", name="remaining_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[PointsKind] = mapped_column(enum_column(PointsKind, 16))
    delta: Mapped[int]
    # Growth earned with this entry (earn entries only): growth_value is their sum.
    growth_delta: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(String(100))
    # No foreign key: orders sit above members and own their ids.
    order_id: Mapped[int | None]
    # The refund whose success caused a return or a claw-back. No foreign key: payments sit
    # above members.
    refund_id: Mapped[int | None]
    # An earning: the order money (fen) it was earned on, which claw-backs are in proportion to.
    basis_fen: Mapped[int | None]
    # Points a claw-back left owed (positive) or an earning paid off (negative).
    owed_delta: Mapped[int] = mapped_column(default=0)
    # The lot an expiry lapsed, or the spend a refund gave back.
    source_entry_id: Mapped[int | None] = mapped_column(ForeignKey("points_entries.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime | None]
    remaining: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
