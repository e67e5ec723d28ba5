"""Bargaining (砍价): campaigns on a SKU, the bargains shoppers start, their friends' helps.

Counters that concurrent requests move (a campaign's ``sold``, a bargain's price and counted
helps, a shopper's units, a helper's helps of the day) move only by conditional UPDATEs
checked by their row count, never by a read and a later write (see ``bargain.repository``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, TimestampMixin, enum_column


class CampaignStatus(enum.StrEnum):
    ACTIVE = "active"  # open between starts_at and ends_at
    STOPPED = "stopped"  # stopped by staff: no new bargains, helps or purchases


class BargainState(enum.StrEnum):
    IN_PROGRESS = "in_progress"  # friends are helping
    REACHED_FLOOR = "reached_floor"  # the K-th counted help landed on the floor price
    ORDERED = "ordered"  # an order at the bargain's price waits for payment
    BOUGHT = "bought"  # that order was paid
    # That order's money went back: cancelled after payment, or its unit refunded in full.
    REFUNDED = "refunded"
    EXPIRED = "expired"  # the window ended before a purchase


class NotCounted(enum.StrEnum):
    """Why a recorded help cut nothing (shown to the merchant)."""

    SHARED_DEVICE = "shared_device"  # the helper's device is the starter's
    SHARED_IP = "shared_ip"  # the helper's network address is the starter's


class BargainCampaign(TimestampMixin, Base):
    __tablename__ = "bargain_campaigns"
    __table_args__ = (
        Index("ix_bargain_campaigns_store_status", "store_id", "status"),
        Index("ix_bargain_campaigns_product", "product_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    name: Mapped[str] = mapped_column(String(40))
    start_price_fen: Mapped[int]
    floor_price_fen: Mapped[int]
    # Counted helps a bargain needs: fixed when min == max, else each bargain draws its own.
    helps_min: Mapped[int]
    helps_max: Mapped[int]
    window_hours: Mapped[int]
    stock: Mapped[int]
    # Units held by ordered or bought bargains; moved only by conditional UPDATEs.
    sold: Mapped[int] = mapped_column(default=0)
    per_shopper_limit: Mapped[int] = mapped_column(default=1)
    buy_before_floor: Mapped[bool] = mapped_column(default=False)
    new_users_only_helps: Mapped[bool] = mapped_column(default=False)
    helper_daily_cap: Mapped[int] = mapped_column(default=3)
    # Helps from accounts sharing the starter's device or IP that still count, per bargain.
    max_shared_helps: Mapped[int] = mapped_column(default=1)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[CampaignStatus] = mapped_column(
        enum_column(CampaignStatus, 16), default=CampaignStatus.ACTIVE
    )
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Bargain(TimestampMixin, Base):
    __tablename__ = "bargains"
    __table_args__ = (
        Index("ix_bargains_campaign_status", "campaign_id", "status"),
        Index("ix_bargains_user_campaign", "user_id", "campaign_id"),
        Index("ix_bargains_store_status", "store_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("bargain_campaigns.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    # Secret: the cuts and K are drawn from it (bargain.cuts); never sent to clients.
    seed: Mapped[int]
    helps_needed: Mapped[int]
    start_price_fen: Mapped[int]
    floor_price_fen: Mapped[int]
    current_price_fen: Mapped[int]
    counted_helps: Mapped[int] = mapped_column(default=0)
    shared_helps_counted: Mapped[int] = mapped_column(default=0)
    recorded_helps: Mapped[int] = mapped_column(default=0)
    # Advanced by every counted help: the compare-and-set guard of bargain.repository.
    version: Mapped[int] = mapped_column(default=0)
    status: Mapped[BargainState] = mapped_column(
        enum_column(BargainState, 16), default=BargainState.IN_PROGRESS
    )
    expires_at: Mapped[datetime]
    reached_floor_at: Mapped[datetime | None]
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    bought_at: Mapped[datetime | None]
    # Where the starter started from, compared with each helper's (anti-abuse).
    starter_ip: Mapped[str] = mapped_column(String(45), default="")
    starter_device: Mapped[str] = mapped_column(String(64), default="")


class BargainHelp(Base):
    __tablename__ = "bargain_helps"
    __table_args__ = (
        UniqueConstraint("bargain_id", "helper_id"),
        Index("ix_bargain_helps_helper", "helper_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bargain_id: Mapped[int] = mapped_column(ForeignKey("bargains.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    helper_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    cut_fen: Mapped[int] = mapped_column(default=0)
    counted: Mapped[bool] = mapped_column(default=False)
    # Empty when counted; else a NotCounted value.
    reason: Mapped[str] = mapped_column(String(24), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    device_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BargainShopperCounter(Base):
    """Units of a campaign one shopper holds (ordered or bought): the per-shopper limit is a
    conditional UPDATE on this row, which a shopper's concurrent purchases queue behind."""

    __tablename__ = "bargain_shopper_counters"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("bargain_campaigns.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    units: Mapped[int] = mapped_column(default=0)


class BargainHelperDay(Base):
    """Helps one account gave in a campaign on one day (China time): the daily cap."""

    __tablename__ = "bargain_helper_days"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("bargain_campaigns.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    helps: Mapped[int] = mapped_column(default=0)
