"""Group buying (拼团): campaigns over one product's SKUs, the groups shoppers open and the
members who join them.

A member is one shopper's order in one group. It counts only once its order is paid; the
group's ``member_count`` (paid members) is moved only by conditional UPDATEs (see
:mod:`weshop.groupbuy.membership`), so a group never holds more than its size.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.db import Base, TimestampMixin, enum_column


class CampaignStatus(enum.StrEnum):
    ACTIVE = "active"
    STOPPED = "stopped"


class FullGroupPolicy(enum.StrEnum):
    """What a payment for a group that has just filled gets."""

    NEW_GROUP = "new_group"  # a new group, with that shopper as its leader
    REFUND = "refund"  # the order is cancelled and refunded at once


class GroupState(enum.StrEnum):
    PENDING = "pending"  # opened, the leader has not paid yet (not shown to anyone)
    ABANDONED = "abandoned"  # the leader's order closed unpaid
    OPEN = "open"
    COMPLETED = "completed"
    FAILED = "failed"
    REFUNDING = "refunding"
    REFUNDED = "refunded"


class MemberRole(enum.StrEnum):
    LEADER = "leader"
    JOINER = "joiner"


class MemberState(enum.StrEnum):
    PENDING = "pending"  # the order awaits payment: no place taken yet
    JOINED = "joined"  # paid and counted
    LEFT = "left"  # closed before the group completed (unpaid, or cancelled)
    REJECTED = "rejected"  # paid for a group that had filled: refunded by the policy
    REFUNDED = "refunded"  # paid, then the order was cancelled with a refund


class GroupCampaign(TimestampMixin, Base):
    __tablename__ = "group_buy_campaigns"
    __table_args__ = (
        Index("ix_group_buy_campaigns_store_status", "store_id", "status"),
        Index("ix_group_buy_campaigns_product", "product_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    name: Mapped[str] = mapped_column(String(40))
    group_size: Mapped[int]
    fill_window_minutes: Mapped[int]
    # Units the campaign may sell; ``sold`` counts the units of live member orders (pending
    # or paid) and moves only by conditional UPDATEs.
    stock: Mapped[int]
    sold: Mapped[int] = mapped_column(default=0)
    per_shopper_limit: Mapped[int]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[CampaignStatus] = mapped_column(
        enum_column(CampaignStatus, 16), default=CampaignStatus.ACTIVE
    )
    simulated_fill: Mapped[bool] = mapped_column(default=False)
    new_customers_only: Mapped[bool] = mapped_column(default=False)
    full_group_policy: Mapped[FullGroupPolicy] = mapped_column(
        enum_column(FullGroupPolicy, 16), default=FullGroupPolicy.NEW_GROUP
    )
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class GroupPrice(Base):
    """The group price of one SKU of a campaign, and the leader's price when it differs."""

    __tablename__ = "group_buy_prices"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("group_buy_campaigns.id"), primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), primary_key=True)
    price_fen: Mapped[int]
    leader_price_fen: Mapped[int | None]


class ShopperUnits(Base):
    """Units of a campaign one shopper holds in live orders: the row the per-shopper limit is
    enforced on, by a conditional UPDATE."""

    __tablename__ = "group_buy_shopper_units"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("group_buy_campaigns.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    units: Mapped[int] = mapped_column(default=0)


class Group(TimestampMixin, Base):
    __tablename__ = "group_buy_groups"
    __table_args__ = (Index("ix_group_buy_groups_campaign_state", "campaign_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("group_buy_campaigns.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    leader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[GroupState] = mapped_column(
        enum_column(GroupState, 16), default=GroupState.PENDING
    )
    size: Mapped[int]
    # Paid members; moved only by conditional UPDATEs (``member_count < size``).
    member_count: Mapped[int] = mapped_column(default=0)
    # Set when the leader pays: the window to fill runs from then.
    opened_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    # Completed at the deadline by the campaign's simulated fill, not by paying members.
    simulated: Mapped[bool] = mapped_column(default=False)


class GroupMember(TimestampMixin, Base):
    __tablename__ = "group_buy_members"
    __table_args__ = (
        Index("ix_group_buy_members_group_state", "group_id", "status"),
        Index("ix_group_buy_members_user", "user_id", "campaign_id"),
        UniqueConstraint("order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("group_buy_groups.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("group_buy_campaigns.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Set right after the member: the member's id is the order's campaign entry.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    role: Mapped[MemberRole] = mapped_column(enum_column(MemberRole, 16))
    status: Mapped[MemberState] = mapped_column(
        enum_column(MemberState, 16), default=MemberState.PENDING
    )
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int]
    unit_price_fen: Mapped[int]
    paid_fen: Mapped[int] = mapped_column(default=0)
    # No earlier paid order at the store when the member's order was placed.
    new_customer: Mapped[bool] = mapped_column(default=False)
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
