"""Promotions: coupon templates and the coupons shoppers hold, full reductions, stacking rules.

A template's terms never change once created (only its status does), so a coupon reads its
terms from its template instead of copying them: what the shopper claimed is what they use.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.db import Base, TimestampMixin, enum_column
from weshop.pricing.inputs import CAMPAIGNS_WITHOUT_PROMOTIONS_DEFAULT


class CouponKind(enum.StrEnum):
    FIXED = "fixed"  # amount off once the threshold is reached (满 100 减 10)
    PERCENT = "percent"  # percent off, optionally capped (9 折, at most 20 yuan off)
    NO_THRESHOLD = "no_threshold"  # amount off any order (无门槛)


class TemplateStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class CouponStatus(enum.StrEnum):
    AVAILABLE = "available"
    LOCKED = "locked"
    USED = "used"
    EXPIRED = "expired"


class ReductionKind(enum.StrEnum):
    AMOUNT = "amount"  # 满减
    PERCENT = "percent"  # 满折


class ReductionStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class CouponTemplate(TimestampMixin, Base):
    __tablename__ = "coupon_templates"
    __table_args__ = (Index("ix_coupon_templates_store_status", "store_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL: a platform coupon, created by an operator and funded by the platform.
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    name: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[CouponKind] = mapped_column(enum_column(CouponKind, 16))
    amount_off_fen: Mapped[int] = mapped_column(default=0)
    percent_off: Mapped[int] = mapped_column(default=0)
    cap_fen: Mapped[int | None]
    threshold_fen: Mapped[int] = mapped_column(default=0)
    # {"kind": "all" | "products" | "categories", "product_ids": [...], "category_ids": [...]}
    scope: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Either a fixed window or a number of days from the claim.
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    valid_days_after_claim: Mapped[int | None]
    total_quantity: Mapped[int]
    per_shopper_limit: Mapped[int] = mapped_column(default=1)
    return_on_refund: Mapped[bool] = mapped_column(default=False)
    status: Mapped[TemplateStatus] = mapped_column(
        enum_column(TemplateStatus, 16), default=TemplateStatus.ACTIVE
    )
    # Moved only by conditional UPDATEs (never read-modify-write): see promotions.claims.
    claimed_count: Mapped[int] = mapped_column(default=0)
    used_count: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class CouponClaimCounter(Base):
    """How many coupons of a template one shopper has claimed: the row the per-shopper
    limit is enforced on, by a conditional UPDATE that concurrent claims queue behind."""

    __tablename__ = "coupon_claim_counters"

    template_id: Mapped[int] = mapped_column(ForeignKey("coupon_templates.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    claimed: Mapped[int] = mapped_column(default=0)


class ShopperCoupon(TimestampMixin, Base):
    __tablename__ = "shopper_coupons"
    __table_args__ = (
        Index("ix_shopper_coupons_user_status", "user_id", "status"),
        Index("ix_shopper_coupons_template_status", "template_id", "status"),
        Index("ix_shopper_coupons_status_valid_until", "status", "valid_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("coupon_templates.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[CouponStatus] = mapped_column(
        enum_column(CouponStatus, 16), default=CouponStatus.AVAILABLE
    )
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    # The order holding (locked) or having used the coupon. No foreign key: orders sit above
    # promotions, and the order id is all this domain needs to know of them.
    order_id: Mapped[int | None] = mapped_column(index=True)
    # The discount the order's quote gave, recorded at lock for the redemption figures.
    discount_fen: Mapped[int] = mapped_column(default=0)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime]
    locked_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]
    return_count: Mapped[int] = mapped_column(default=0)
    last_return_reason: Mapped[str] = mapped_column(String(40), default="")


class FullReductionRule(TimestampMixin, Base):
    __tablename__ = "full_reduction_rules"
    __table_args__ = (Index("ix_full_reduction_rules_store_status", "store_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    name: Mapped[str] = mapped_column(String(40))
    kind: Mapped[ReductionKind] = mapped_column(enum_column(ReductionKind, 16))
    # [{"threshold_fen": 10000, "amount_off_fen": 1000, "percent_off": null}, ...], ascending.
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    scope: Mapped[dict[str, Any]] = mapped_column(JSON)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    priority: Mapped[int] = mapped_column(default=0)
    status: Mapped[ReductionStatus] = mapped_column(
        enum_column(ReductionStatus, 16), default=ReductionStatus.ACTIVE
    )


class StoreStackingSettings(TimestampMixin, Base):
    """Which promotion groups of a store may not be combined; no row: all combine."""

    __tablename__ = "store_stacking_settings"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), primary_key=True)
    # [["full_reduction", "store_coupon"], ...], each pair sorted, the list sorted.
    exclusive_pairs: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    # Campaign kinds ("group", "bargain", "flash") whose prices take no full reduction and
    # no coupon, sorted (pricing.inputs.StackingRules).
    campaigns_without_promotions: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: sorted(CAMPAIGNS_WITHOUT_PROMOTIONS_DEFAULT)
    )
