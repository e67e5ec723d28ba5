"""Promoters, the platform's affiliate policy, and the alliance pool: a store's listing of one
product and the plans (commission terms) it has had.

Plans are immutable rows numbered by ``version``: a change of terms adds a version and moves
the listing's ``plan_version`` to it, so that a click can later be attributed to the plan in
force when it happened.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, EncryptedString, TimestampMixin, enum_column
from weshop.payments.provider_settlement import MAX_SPLIT_BPS as PROVIDER_MAX_SPLIT_BPS

DEFAULT_MAX_DEPTH = 1
DEFAULT_BINDING_WINDOW_DAYS = 7
DEFAULT_MIN_WITHDRAWAL_FEN = 100
DEFAULT_AFTER_SALES_FREEZE_DAYS = 7
# What profit sharing may take from one payment, platform fee and commissions together, in
# basis points: WeChat Pay's default maximum split ratio (a sub-merchant authorises at most
# 30% unless it chooses otherwise) and the 30% cap on remuneration of 直销管理条例 art. 24.
# The policy may lower it, never raise it.
MAX_SPLIT_BPS = PROVIDER_MAX_SPLIT_BPS
DEFAULT_MAX_SPLIT_BPS = MAX_SPLIT_BPS


class PromoterStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ListingStatus(enum.StrEnum):
    PENDING = "pending"  # awaiting the platform's review
    APPROVED = "approved"  # in the pool
    REJECTED = "rejected"
    TAKEN_DOWN = "taken_down"  # removed from the pool by the platform
    ENDED = "ended"  # unlisted by the store


class Audience(enum.StrEnum):
    OPEN = "open"  # every approved promoter
    LISTED = "listed"  # the plan's promoters only


class SelfPurchase(enum.StrEnum):
    COMMISSION = "commission"  # a promoter buying through their own link earns on it
    NONE = "none"


class AffiliatePolicy(TimestampMixin, Base):
    """The platform's one policy row (id 1); the defaults above hold while it is absent."""

    __tablename__ = "affiliate_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Levels of commission: 1, or 2 (the inviter earns too). Never more: beyond two levels
    # multi-level distribution is illegal pyramid selling.
    max_depth: Mapped[int]
    binding_window_days: Mapped[int]
    min_withdrawal_fen: Mapped[int]
    after_sales_freeze_days: Mapped[int]
    # A plan whose rates with the agency rate and the store's platform fee would split more
    # than this from a payment is refused: WeChat Pay would refuse its settlement.
    max_split_bps: Mapped[int]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Promoter(TimestampMixin, Base):
    __tablename__ = "promoters"
    __table_args__ = (
        UniqueConstraint("user_id"),
        UniqueConstraint("code"),
        Index("ix_promoters_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    real_name: Mapped[str] = mapped_column(EncryptedString("promoters.real_name"))
    phone: Mapped[str] = mapped_column(EncryptedString("promoters.phone"))
    status: Mapped[PromoterStatus] = mapped_column(
        enum_column(PromoterStatus, 16), default=PromoterStatus.PENDING
    )
    # The share code, given on approval.
    code: Mapped[str | None] = mapped_column(String(8))
    # The promoter whose code came with the application, kept whatever the policy; the parent
    # (second level of commission) only when the policy allowed two levels at the time.
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("promoters.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("promoters.id"), index=True)
    review_reason: Mapped[str] = mapped_column(String(200), default="")
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Where the provider sends the promoter's commission: their WeChat openid under the
    # platform's appid (a PERSONAL_OPENID profit-sharing receiver). Until it is set, settled
    # commission stays owed in the ledger and is not split.
    payout_openid: Mapped[str | None] = mapped_column(String(64))


class AffiliateListing(TimestampMixin, Base):
    __tablename__ = "affiliate_listings"
    __table_args__ = (
        # One live listing per product: the product while the listing is pending or approved,
        # NULL once it is rejected, taken down or ended (so the product may be listed again).
        UniqueConstraint("live_product_id"),
        Index("ix_affiliate_listings_store_created", "store_id", "created_at"),
        Index("ix_affiliate_listings_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    live_product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    status: Mapped[ListingStatus] = mapped_column(
        enum_column(ListingStatus, 16), default=ListingStatus.PENDING
    )
    # The plan in force: the version of this listing's plan rows.
    plan_version: Mapped[int] = mapped_column(default=1)
    review_reason: Mapped[str] = mapped_column(String(200), default="")
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[datetime | None]
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class AffiliatePlan(Base):
    """One version of a listing's terms; never changed once written."""

    __tablename__ = "affiliate_plans"
    __table_args__ = (UniqueConstraint("listing_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("affiliate_listings.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    version: Mapped[int]
    # Clicks from this moment on are attributed to this version (until the next one).
    effective_from: Mapped[datetime]
    audience: Mapped[Audience] = mapped_column(enum_column(Audience, 16))
    rate_bps: Mapped[int]
    # [{"sku_id": 12, "rate_bps": 1500}]: SKUs paid at another rate than ``rate_bps``.
    sku_rates: Mapped[list[dict[str, int]]] = mapped_column(JSON, default=list)
    agency_rate_bps: Mapped[int | None]
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    last_click_steals: Mapped[bool] = mapped_column(default=False)
    self_purchase: Mapped[SelfPurchase] = mapped_column(
        enum_column(SelfPurchase, 16), default=SelfPurchase.NONE
    )
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanPromoter(Base):
    """A promoter a ``listed`` plan is open to."""

    __tablename__ = "affiliate_plan_promoters"
    __table_args__ = (Index("ix_affiliate_plan_promoters_promoter", "promoter_id"),)

    plan_id: Mapped[int] = mapped_column(ForeignKey("affiliate_plans.id"), primary_key=True)
    promoter_id: Mapped[int] = mapped_column(ForeignKey("promoters.id"), primary_key=True)


class ClickChannel(enum.StrEnum):
    """Where a promoter's link was followed from."""

    LINK = "link"  # the share link itself
    POSTER = "poster"  # the QR code of a poster
    GROUP = "group"  # a group-buy page shared by the promoter
    BARGAIN = "bargain"  # a bargain page shared by the promoter
    FLASH = "flash"  # a flash-sale page shared by the promoter
    LIVE = "live"  # a live room


class ShareLink(Base):
    """A promoter's short link to one pool product or to a store (``product_id`` NULL); the
    same target always gives the promoter the same link."""

    __tablename__ = "affiliate_share_links"
    __table_args__ = (UniqueConstraint("code"), UniqueConstraint("promoter_id", "target"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12))
    promoter_id: Mapped[int] = mapped_column(ForeignKey("promoters.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    # "product:<id>" or "store:<id>": one link per promoter and target.
    target: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Click(Base):
    """A visit through a promoter's link: the evidence attribution rests on. Written once,
    never changed, except that a visitor's clicks get the user id when they order signed in."""

    __tablename__ = "affiliate_clicks"
    __table_args__ = (
        Index("ix_affiliate_clicks_user_store", "user_id", "store_id", "at"),
        Index("ix_affiliate_clicks_visitor_store", "visitor_id", "store_id", "at"),
        Index("ix_affiliate_clicks_promoter_at", "promoter_id", "at"),
        # The pool's figures: a product's visits in the last 30 days.
        Index("ix_affiliate_clicks_product_at", "product_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    promoter_id: Mapped[int] = mapped_column(ForeignKey("promoters.id"))
    share_link_id: Mapped[int | None] = mapped_column(ForeignKey("affiliate_share_links.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    channel: Mapped[ClickChannel] = mapped_column(enum_column(ClickChannel, 16))
    # Who followed the link: the signed-in shopper, and/or the browser's visitor id (the
    # referral cookie), which binds a shopper who signs in later.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    visitor_id: Mapped[str | None] = mapped_column(String(32))
    # A keyed hash of the client's address and user agent: click bursts from one client.
    client_key: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class LineAttribution(Base):
    """One order line's attribution decision and its evidence (``affiliates.attribution``):
    every line of every order has exactly one, written in the checkout's transaction."""

    __tablename__ = "affiliate_line_attributions"
    __table_args__ = (
        UniqueConstraint("order_line_id"),
        Index("ix_affiliate_line_attributions_promoter", "promoter_id", "decided_at"),
        # The pool's figures: a product's sales, conversions and refunds in the last 30 days.
        Index("ix_affiliate_line_attributions_product", "product_id", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    # The promoter who earns, and the rule (``attribution.Rule``); or the reason nobody does
    # (``attribution.NoAttribution``).
    promoter_id: Mapped[int | None] = mapped_column(ForeignKey("promoters.id"))
    rule: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(32))
    # The click the decision rests on (also the evidence of a lapsed or excluded binding).
    click_id: Mapped[int | None] = mapped_column(ForeignKey("affiliate_clicks.id"))
    clicked_at: Mapped[datetime | None]
    channel: Mapped[ClickChannel | None] = mapped_column(enum_column(ClickChannel, 16))
    # The plan in force when the order was placed (its rules decided), and the one in force
    # at the click (its rate is paid); NULL when the product was not in the pool.
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("affiliate_plans.id"))
    rate_plan_id: Mapped[int | None] = mapped_column(ForeignKey("affiliate_plans.id"))
    rate_bps: Mapped[int] = mapped_column(default=0)
    # The binding window the decision used, in seconds (the policy's, when the order was placed).
    binding_window_seconds: Mapped[int]
    # The moment of the decision: the order's placing, the "ordered at" of the rules.
    decided_at: Mapped[datetime]


class HoldStatus(enum.StrEnum):
    HELD = "held"  # waiting for the platform: the commission is not settled meanwhile
    RELEASED = "released"  # cleared: the commission goes on as if never held
    VOIDED = "voided"  # fraud: the commission is cancelled


class CommissionHold(Base):
    """An attributed line whose commission the fraud rules hold for the platform's review,
    with the evidence of each rule that fired (``affiliates.fraud``); never dropped
    silently."""

    __tablename__ = "affiliate_commission_holds"
    __table_args__ = (
        UniqueConstraint("order_line_id"),
        Index("ix_affiliate_commission_holds_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    promoter_id: Mapped[int] = mapped_column(ForeignKey("promoters.id"), index=True)
    # [{"rule": "click_burst", "evidence": {...}}, ...]
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[HoldStatus] = mapped_column(enum_column(HoldStatus, 16), default=HoldStatus.HELD)
    decision_note: Mapped[str] = mapped_column(String(200), default="")
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommissionStatus(enum.StrEnum):
    ESTIMATED = "estimated"  # the order was placed
    FROZEN = "frozen"  # the order was paid; frozen until its after-sales window closes
    SETTLED = "settled"  # the window closed: the ledger moved it to the promoter
    CANCELLED = "cancelled"  # unpaid and closed, or refunded in full before settlement


class Commission(TimestampMixin, Base):
    """One level's commission on one attributed order line (``affiliates.commissions``).

    ``amount_fen`` is what the line earns now (``affiliates.commission.commissions`` of what
    the shopper paid and kept); ``settled_fen`` what it came to at settlement; a refund after
    settlement leaves that and sets ``clawed_back_fen``, carried against the promoter's next
    settlements at the same store (``carried_fen`` of those rows).
    """

    __tablename__ = "affiliate_commissions"
    __table_args__ = (
        UniqueConstraint("order_line_id", "level"),
        Index("ix_affiliate_commissions_promoter_created", "promoter_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    attribution_id: Mapped[int] = mapped_column(ForeignKey("affiliate_line_attributions.id"))
    promoter_id: Mapped[int] = mapped_column(ForeignKey("promoters.id"))
    # 1: the promoter who brought the order; 2: their inviter (when the policy paid two).
    level: Mapped[int]
    rate_bps: Mapped[int]
    # The line's payable at order (after its share of discounts, shipping excluded).
    base_fen: Mapped[int]
    # The line's refunds that succeeded so far (whatever the moment).
    refunded_fen: Mapped[int] = mapped_column(default=0)
    amount_fen: Mapped[int]
    status: Mapped[CommissionStatus] = mapped_column(
        enum_column(CommissionStatus, 16), default=CommissionStatus.ESTIMATED
    )
    settled_fen: Mapped[int] = mapped_column(default=0)
    clawed_back_fen: Mapped[int] = mapped_column(default=0)
    # What the provider split to the promoter's payout account at settlement (0 without one),
    # and what of the settled amount was kept to repay earlier claw-backs at the same store.
    paid_out_fen: Mapped[int] = mapped_column(default=0)
    carried_fen: Mapped[int] = mapped_column(default=0)
    frozen_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
