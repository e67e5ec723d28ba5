"""Request and answer bodies of promoters, the affiliate policy and the pool.

Shapes and bounds are checked here; rules that need the database or several fields (a depth
beyond two, a reversed window, a SKU of another product) live in ``affiliates.rules`` and
``affiliates.service`` so that each refusal carries its own code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from weshop.accounts.schemas import PhoneNumber
from weshop.affiliates.commission import MAX_RATE_BPS
from weshop.affiliates.models import (
    DEFAULT_AFTER_SALES_FREEZE_DAYS,
    DEFAULT_BINDING_WINDOW_DAYS,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MIN_WITHDRAWAL_FEN,
    Audience,
    CommissionStatus,
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
    Field(ge=0, le=MAX_RATE_BPS, description="Basis points of the price: 0-9000 (0-90 %)."),
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


class PolicyOut(BaseModel):
    max_depth: int
    binding_window_days: int
    min_withdrawal_fen: int
    after_sales_freeze_days: int
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
    plan_version: int
    valid_until: datetime | None
    last_click_steals: bool
    self_purchase: SelfPurchase


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
        description="Settled while you had no payout account: held by the store, owed to you."
    )
    payout_account_set: bool
    lines: list[EarningLineOut]
    next_cursor: str | None = None
