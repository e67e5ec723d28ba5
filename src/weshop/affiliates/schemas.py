"""Request and answer bodies of promoters, the affiliate policy and the pool.

Shapes and bounds are checked here; rules that need the database or several fields (a depth
beyond two, a reversed window, a SKU of another product) live in ``affiliates.rules`` and
``affiliates.service`` so that each refusal carries its own code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, model_validator

from weshop.accounts.schemas import PhoneNumber
from weshop.affiliates.attribution import NoAttribution, Rule
from weshop.affiliates.commission import MAX_RATE_BPS
from weshop.affiliates.models import (
    DEFAULT_AFTER_SALES_FREEZE_DAYS,
    DEFAULT_BINDING_WINDOW_DAYS,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_SPLIT_BPS,
    DEFAULT_MIN_WITHDRAWAL_FEN,
    MAX_SPLIT_BPS,
    Audience,
    ClickChannel,
    CommissionStatus,
    HoldStatus,
    ListingStatus,
    PromoterStatus,
    SelfPurchase,
)
from weshop.core.clock import Moment
from weshop.core.ids import RowId
from weshop.core.money import Fen

MAX_LISTED_PROMOTERS = 200
MAX_SKU_RATES = 200

RateBps = Annotated[
    StrictInt,
    Field(
        ge=0,
        le=MAX_RATE_BPS,
        description="Basis points of the price: 0-9000 (0-90 %); with the agency rate and "
        "the store's platform fee at most the policy's `max_split_bps` (else 422 "
        "`split_cap_exceeded`, naming `max_rate_bps`).",
    ),
]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
InviterCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=16)
]


# Policy


class PolicyIn(BaseModel):
    """The platform's affiliate policy; a field left out takes its default."""

    model_config = ConfigDict(extra="forbid")
    max_depth: Annotated[StrictInt, Field(ge=1, le=2**31)] = Field(
        default=DEFAULT_MAX_DEPTH,
        description="Levels of commission: 1, or 2 (the inviter of a promoter earns too). "
        "3 or more answers 422 `depth_not_allowed`: multi-level distribution beyond two "
        "levels is illegal pyramid selling.",
    )
    binding_window_days: Annotated[StrictInt, Field(ge=1, le=30)] = Field(
        default=DEFAULT_BINDING_WINDOW_DAYS,
        description="How long a click binds a shopper to its promoter, 1-30 days.",
    )
    min_withdrawal_fen: Fen = Field(
        default=DEFAULT_MIN_WITHDRAWAL_FEN, description="Smallest withdrawal, in fen."
    )
    after_sales_freeze_days: Annotated[StrictInt, Field(ge=1, le=60)] = Field(
        default=DEFAULT_AFTER_SALES_FREEZE_DAYS,
        description="Days a commission stays frozen after the order completes, 1-60.",
    )
    max_split_bps: Annotated[StrictInt, Field(ge=1, le=MAX_SPLIT_BPS)] = Field(
        default=DEFAULT_MAX_SPLIT_BPS,
        description="The most profit sharing may take from one payment, platform fee and "
        "commissions together, in basis points: 1-3000 (30 %, WeChat Pay's default maximum "
        "split ratio and the remuneration cap of 直销管理条例 art. 24). A pool plan whose "
        "highest rate plus its agency rate plus the store's platform fee rate exceeds it "
        "answers 422 `split_cap_exceeded`.",
    )


class PolicyOut(BaseModel):
    max_depth: int
    binding_window_days: int
    min_withdrawal_fen: int
    after_sales_freeze_days: int
    max_split_bps: int
    updated_at: datetime | None = Field(description="Null: the defaults, never set.")


# Promoters


class PromoterApplication(BaseModel):
    model_config = ConfigDict(extra="forbid")
    real_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=20)]
    phone: PhoneNumber
    inviter_code: InviterCode | None = Field(
        default=None,
        description="An approved promoter's share code. Its promoter becomes the applicant's "
        "parent (second level) only while the policy allows two levels; otherwise it is "
        "recorded and ignored (`inviter_ignored`). An unknown code answers 422 "
        "`unknown_inviter`.",
    )


class ReviewReason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


class PromoterOut(BaseModel):
    id: int
    user_id: int
    status: PromoterStatus
    real_name: str = Field(description="Masked, e.g. 张**.")
    phone: str = Field(description="Masked, e.g. 138****0000.")
    code: str | None = Field(description="The share code, once approved.")
    parent_id: int | None = Field(description="The second-level promoter, if any.")
    invited_by_id: int | None = Field(description="The promoter whose code came with it.")
    inviter_ignored: bool = Field(
        description="An inviter was given but the policy allowed one level only: no parent."
    )
    review_reason: str
    reviewed_at: datetime | None
    created_at: datetime


# Listings and plans


class SkuRate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku_id: RowId
    rate_bps: RateBps


class PlanTerms(BaseModel):
    """A plan's terms as sent: on creation every field but the product may be left out."""

    model_config = ConfigDict(extra="forbid")
    audience: Audience = Field(
        default=Audience.OPEN,
        description="`open`: every approved promoter; `listed`: only `promoter_ids`.",
    )
    promoter_ids: list[RowId] = Field(
        default_factory=list,
        max_length=MAX_LISTED_PROMOTERS,
        description="With `listed` (at least one, approved promoters: else 422 "
        "`unknown_promoter`); with `open`, none (422 `promoter_ids_not_listed`).",
    )
    rate_bps: RateBps
    sku_rates: list[SkuRate] = Field(
        default_factory=list,
        max_length=MAX_SKU_RATES,
        description="Per-SKU rates that replace `rate_bps`: SKUs of this product only "
        "(else 422 `unknown_sku`), each once (422 `duplicate_sku`).",
    )
    agency_rate_bps: RateBps | None = Field(
        default=None, description="The agency's service rate, if any."
    )
    valid_from: Moment | None = Field(default=None, description="Omitted: now.")
    valid_until: Moment | None = Field(
        default=None,
        description="Omitted: open-ended. Not after `valid_from` (422 `invalid_window`).",
    )
    last_click_steals: bool = Field(
        default=False,
        description="A later promoter's click takes a bound shopper over within the window.",
    )
    self_purchase: SelfPurchase = Field(
        default=SelfPurchase.NONE,
        description="A promoter buying through their own link: `commission` to themselves, "
        "or `none`.",
    )


class ListingIn(PlanTerms):
    product_id: RowId


class PlanPatch(BaseModel):
    """Changes of the plan; what is left out stays as in the current version."""

    model_config = ConfigDict(extra="forbid")
    audience: Audience | None = None
    promoter_ids: list[RowId] | None = Field(default=None, max_length=MAX_LISTED_PROMOTERS)
    rate_bps: RateBps | None = None
    sku_rates: list[SkuRate] | None = Field(default=None, max_length=MAX_SKU_RATES)
    agency_rate_bps: RateBps | None = None
    valid_from: Moment | None = None
    valid_until: Moment | None = None
    last_click_steals: bool | None = None
    self_purchase: SelfPurchase | None = None


class PlanOut(BaseModel):
    version: int
    effective_from: datetime
    audience: Audience
    promoter_ids: list[int]
    rate_bps: int
    sku_rates: list[SkuRate]
    agency_rate_bps: int | None
    valid_from: datetime
    valid_until: datetime | None
    last_click_steals: bool
    self_purchase: SelfPurchase
    created_at: datetime


class ListingOut(PlanOut):
    """A listing with its plan in force (the fields of `PlanOut`, flattened)."""

    id: int
    store_id: int
    product_id: int
    product_title: str
    status: ListingStatus
    review_reason: str
    reviewed_at: datetime | None
    ended_at: datetime | None
    listed_at: datetime
    updated_at: datetime


class PoolItemOut(BaseModel):
    listing_id: int
    store_id: int
    product_id: int
    title: str
    image_url: str | None
    price_from_fen: int = Field(description="Lowest price of an active SKU.")
    price_to_fen: int = Field(description="Highest price of an active SKU.")
    default_sku_id: int = Field(description="The cheapest active SKU (the price shown first).")
    rate_bps: int = Field(description="The plan's rate for the default SKU.")
    commission_per_unit_fen: int = Field(
        description="Default SKU's price × rate_bps / 10000, rounded down to the fen."
    )
    stock_available: int = Field(description="Units of the active SKUs on sale now.")
    sales_30d: int = Field(
        description="Units of the product in orders placed in the last 30 days and paid."
    )
    visits_30d: int = Field(
        description="Visits to the product through promoters' links in the last 30 days."
    )
    attributed_orders_30d: int = Field(
        description="Paid orders of the product in the last 30 days that a promoter brought."
    )
    conversion_bps: int | None = Field(
        description="attributed_orders_30d / visits_30d in basis points (310 = 3.1 %), "
        "rounded half up; null without visits."
    )
    refund_rate_bps: int | None = Field(
        description="Of the product's paid order lines in the last 30 days, those with a "
        "refund (asked or made), in basis points; null without paid lines."
    )
    plan_version: int
    valid_until: datetime | None
    last_click_steals: bool
    self_purchase: SelfPurchase


class ShareLinkIn(BaseModel):
    """What to link to, exactly one of: a product of the pool, a store, a group buy's group, a
    shopper's bargain or a flash-sale item (the last three of a pool product)."""

    model_config = ConfigDict(extra="forbid")
    product_id: RowId | None = None
    store_id: RowId | None = None
    group_id: RowId | None = None
    bargain_id: RowId | None = None
    flash_item_id: RowId | None = None

    @model_validator(mode="after")
    def one_target(self) -> ShareLinkIn:
        if len(self.model_dump(exclude_none=True)) != 1:
            raise ValueError(
                "name exactly one of product_id, store_id, group_id, bargain_id, flash_item_id"
            )
        return self


class ShareLinkOut(BaseModel):
    code: str
    url: str = Field(description="The link to share: `<public base url>/r/<code>`.")
    poster_url: str = Field(
        description="The same link for a poster's QR code (clicks counted as channel `poster`)."
    )
    target: str = Field(description="What the link opens: `product:<id>`, `store:<id>`, ...")
    store_id: int
    product_id: int | None
    target_path: str = Field(description="The page the link opens.")
    created_at: datetime


class ClickEvidence(BaseModel):
    id: int
    at: datetime
    channel: ClickChannel
    promoter_id: int
    promoter_code: str | None


class LineAttributionOut(BaseModel):
    order_line_id: int
    product_id: int
    sku_id: int
    title: str
    attributed: bool
    promoter_id: int | None
    promoter_code: str | None
    rule: Rule | None = Field(description="Why the line went to its promoter.")
    reason: NoAttribution | None = Field(description="Why the line went to nobody.")
    explanation: str = Field(description="The decision in one English sentence.")
    click: ClickEvidence | None = Field(
        description="The click the decision rests on (also the evidence of a reason)."
    )
    plan_version: int | None = Field(
        description="The plan in force when the order was placed (its rules decided)."
    )
    rate_plan_version: int | None = Field(
        description="The plan in force at the click, whose rate the promoter earns."
    )
    rate_bps: int
    binding_window_seconds: int
    decided_at: datetime


class OrderAttributionOut(BaseModel):
    order_id: int
    order_no: str
    lines: list[LineAttributionOut]


class ReferralIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: ClickChannel | None = Field(
        default=None, description="Where the link was shared; left out: the link's own."
    )


class ReferralOut(BaseModel):
    target_path: str = Field(description="The page the link opens.")
    recorded: bool = Field(
        description="Whether a click was recorded (not for a promoter no longer approved)."
    )


class PeriodFiguresOut(BaseModel):
    since: datetime
    clicks: int
    visitors: int = Field(description="Distinct shoppers or browsers who clicked.")
    attributed_orders: int = Field(description="Orders placed since with a line of yours.")
    paid_orders: int = Field(description="Of those, the ones paid and not cancelled.")
    paid_fen: int = Field(description="What shoppers paid for your lines of the paid orders.")
    estimated_fen: int = Field(description="Commission on orders not paid yet.")
    frozen_fen: int = Field(description="Commission on paid orders, until after-sales closes.")
    settled_fen: int = Field(description="Commission settled to you.")


class DashboardOut(BaseModel):
    as_of: datetime = Field(description="The moment the figures were read (they are live).")
    today: PeriodFiguresOut
    last_7_days: PeriodFiguresOut
    last_30_days: PeriodFiguresOut


class HoldFinding(BaseModel):
    rule: str = Field(
        description="`click_burst`, `shared_address`, `shared_device` or `repeated_claw_backs`."
    )
    evidence: dict[str, int | str]


class CommissionHoldOut(BaseModel):
    id: int
    order_id: int
    order_line_id: int
    store_id: int
    promoter_id: int
    promoter_code: str | None
    findings: list[HoldFinding]
    status: HoldStatus
    decision_note: str
    decided_at: datetime | None
    created_at: datetime


class HoldDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Reason


class RecommendationOut(BaseModel):
    """A pool item ranked for the caller, with the figures behind its place."""

    item: PoolItemOut
    estimated_conversion_bps: int = Field(
        description="Attributed paid orders per visit, smoothed towards the pool's rate "
        "(see the README), in basis points rounded half up."
    )
    conversion_from_prior: bool = Field(
        description="Fewer visits than the prior weighs: the estimate is mostly the pool's rate."
    )
    pool_conversion_bps: int = Field(description="The prior's mean, in basis points.")
    expected_earnings_per_visit_fen: int = Field(
        description="estimated conversion × commission_per_unit_fen, rounded half up to the "
        "fen (the ranking uses the exact value)."
    )
    category_name: str | None
    category_units_sold: int = Field(
        description="Units the caller brought (attributed, paid) in categories of this name."
    )
    explanation: list[str] = Field(
        description="Why this card is here, one sentence a line, in the page language "
        "(the weshop_lang cookie; Simplified Chinese by default)."
    )


# Earnings


class PayoutAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    openid: str = Field(
        min_length=1,
        max_length=64,
        description="The promoter's WeChat openid under the platform's appid (28 characters); "
        "the provider sends their commission there from their next settlement on.",
    )


class PayoutAccountOut(BaseModel):
    openid: str | None


class EarningLineOut(BaseModel):
    id: int
    order_no: str
    product: str
    level: int = Field(description="1: you brought the order; 2: a promoter you invited did.")
    rate_bps: int
    base_fen: int = Field(description="What the shopper paid for the line (shipping excluded).")
    refunded_fen: int
    amount_fen: int = Field(description="What the line earns now, refunds counted.")
    status: CommissionStatus
    settled_fen: int
    clawed_back_fen: int = Field(
        description="Refunded after settlement: carried against your next settlement."
    )
    carried_fen: int = Field(description="Kept from this settlement to repay claw-backs.")
    paid_out_fen: int
    created_at: datetime


class EarningsOut(BaseModel):
    estimated_fen: int = Field(description="Orders placed, not yet paid.")
    frozen_fen: int = Field(description="Paid; frozen until the after-sales window closes.")
    settled_fen: int
    clawed_back_fen: int = Field(description="Refunded after settlement, owed back.")
    carried_fen: int = Field(
        description="Claw-backs repaid: kept by the store from your later settlements there."
    )
    paid_out_fen: int = Field(description="Sent to your payout account by the provider.")
    owed_fen: int = Field(
        description="Settled while you had no payout account: held by the store, owed to you; "
        "its next settlements send it once your account is set."
    )
    payout_account_set: bool
    lines: list[EarningLineOut]
    next_cursor: str | None = None
