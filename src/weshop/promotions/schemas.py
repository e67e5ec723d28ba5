"""Request and answer bodies of promotions.

The schemas check shapes and types; the business rules (percent 1-99, threshold above the
amount off, a window that ends after it starts...) live in ``promotions.rules`` so that each
refusal carries its own error code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from weshop.accounts.schemas import PhoneNumber
from weshop.core.clock import Moment
from weshop.core.ids import RowId
from weshop.core.money import Fen
from weshop.pricing.inputs import StackingGroup
from weshop.promotions.models import (
    CouponKind,
    CouponStatus,
    CouponTemplate,
    FullReductionRule,
    ReductionKind,
    ReductionStatus,
    TemplateStatus,
)

MAX_SCOPE_IDS = 200
MAX_TIERS = 5
MAX_ISSUE_PHONES = 200

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
# Counts checked by the rules with their own codes; bounded here only to stay an integer.
Count = Annotated[StrictInt, Field(ge=-(2**31), le=2**31)]


class ScopeIn(BaseModel):
    """Which items a promotion covers: every item, or the listed products or categories."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["all", "products", "categories"] = "all"
    product_ids: list[RowId] = Field(default_factory=list, max_length=MAX_SCOPE_IDS)
    category_ids: list[RowId] = Field(default_factory=list, max_length=MAX_SCOPE_IDS)


class ScopeOut(BaseModel):
    kind: Literal["all", "products", "categories"]
    product_ids: list[int]
    category_ids: list[int]


class TemplateCreate(BaseModel):
    """A coupon template. Validity is either a fixed window (`valid_from` and `valid_until`)
    or `valid_days_after_claim`, never both."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    kind: CouponKind = Field(
        description="`fixed`: amount off above a threshold; `percent`: percent off, "
        "optionally capped; `no_threshold`: amount off any order."
    )
    amount_off_fen: Fen | None = Field(default=None, description="`fixed`, `no_threshold`.")
    percent_off: Count | None = Field(default=None, description="`percent`: 1 to 99.")
    cap_fen: Fen | None = Field(default=None, description="`percent`: most fen taken off.")
    threshold_fen: Fen = Field(default=0, description="Eligible amount needed to use it.")
    scope: ScopeIn = Field(default_factory=ScopeIn)
    valid_from: Moment | None = None
    valid_until: Moment | None = None
    valid_days_after_claim: Count | None = Field(default=None, description="1 to 365.")
    total_quantity: Count = Field(description="How many may be claimed in all.")
    per_shopper_limit: Count = Field(default=1, description="How many one shopper may claim.")
    return_on_refund: bool = Field(
        default=False, description="Give a used coupon back when its order is refunded."
    )


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template_id: RowId


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phones: list[PhoneNumber] = Field(min_length=1, max_length=MAX_ISSUE_PHONES)


class TierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    threshold_fen: Fen
    amount_off_fen: Fen | None = Field(default=None, description="`amount` rules.")
    percent_off: Count | None = Field(default=None, description="`percent` rules: 1 to 99.")


class ReductionIn(BaseModel):
    """满减 (`amount`) or 满折 (`percent`), with one to five tiers."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    kind: ReductionKind
    tiers: list[TierIn] = Field(min_length=1, max_length=MAX_TIERS)
    scope: ScopeIn = Field(default_factory=ScopeIn)
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    priority: StrictInt = Field(default=0, ge=0, le=1000, description="Higher is applied first.")


CampaignKindName = Literal["group", "bargain", "flash"]


class StackingIn(BaseModel):
    """Pairs of promotion groups that may not be used on the same order, and the campaign
    prices that take no promotion at all."""

    model_config = ConfigDict(extra="forbid")
    exclusive_pairs: list[tuple[StackingGroup, StackingGroup]] = Field(max_length=3)
    campaigns_without_promotions: list[CampaignKindName] = Field(
        default=["flash"],
        max_length=3,
        description="Campaign kinds (group buying, bargaining, flash sale) whose price takes "
        "no full reduction and no coupon; omitted: flash sales only.",
    )


# Answers


class CouponTermsOut(BaseModel):
    """What a coupon template offers, as staff and shoppers both see it."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    store_id: int | None = Field(description="None: a platform coupon.")
    name: str
    description: str
    kind: CouponKind
    amount_off_fen: int
    percent_off: int
    cap_fen: int | None
    threshold_fen: int
    scope: ScopeOut
    valid_from: datetime | None
    valid_until: datetime | None
    valid_days_after_claim: int | None
    per_shopper_limit: int


class TemplateOut(CouponTermsOut):
    total_quantity: int
    return_on_refund: bool
    status: TemplateStatus
    claimed_count: int
    used_count: int
    created_at: datetime


class Figures(BaseModel):
    claimed: int
    available: int
    locked: int
    used: int
    expired: int
    returned: int = Field(description="Times a coupon came back from a cancelled order.")
    discount_given_fen: int = Field(description="Discount of the used coupons.")


class TemplateDetailOut(TemplateOut):
    figures: Figures


class CentreCouponOut(CouponTermsOut):
    """A template in the coupon centre, as shoppers see it."""

    remaining: int


class WalletCouponOut(BaseModel):
    id: int
    template_id: int
    store_id: int | None
    status: CouponStatus = Field(description="An available coupon past its validity: expired.")
    name: str
    kind: CouponKind
    amount_off_fen: int
    percent_off: int
    cap_fen: int | None
    threshold_fen: int
    scope: ScopeOut
    valid_from: datetime
    valid_until: datetime
    order_id: int | None
    claimed_at: datetime
    used_at: datetime | None


class IssueLine(BaseModel):
    phone: str = Field(description="Masked.")
    outcome: Literal["issued", "skipped"]
    reason: str | None = Field(default=None, description="Why skipped: an error code.")
    coupon_id: int | None = None


class IssueOut(BaseModel):
    issued: int
    skipped: int
    results: list[IssueLine]


class TierOut(BaseModel):
    threshold_fen: int
    amount_off_fen: int | None
    percent_off: int | None


class ReductionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    store_id: int
    name: str
    kind: ReductionKind
    tiers: list[TierOut]
    scope: ScopeOut
    starts_at: datetime | None
    ends_at: datetime | None
    priority: int
    status: ReductionStatus
    created_at: datetime
    updated_at: datetime


class StackingOut(BaseModel):
    store_id: int
    groups: list[StackingGroup] = Field(description="The promotion groups there are.")
    exclusive_pairs: list[tuple[StackingGroup, StackingGroup]]
    campaigns_without_promotions: list[CampaignKindName]


def template_out(template: CouponTemplate) -> TemplateOut:
    return TemplateOut.model_validate(template)


def centre_out(template: CouponTemplate) -> CentreCouponOut:
    fields: dict[str, Any] = {
        name: getattr(template, name)
        for name in CentreCouponOut.model_fields
        if name != "remaining"
    }
    return CentreCouponOut(
        **fields, remaining=max(template.total_quantity - template.claimed_count, 0)
    )


def reduction_out(rule: FullReductionRule) -> ReductionOut:
    return ReductionOut.model_validate(rule)


def wallet_out(coupon: Any, template: CouponTemplate, now: datetime) -> WalletCouponOut:
    """A coupon with its template's terms, in the status the shopper sees."""
    status = coupon.status
    if status == CouponStatus.AVAILABLE and coupon.valid_until <= now:
        status = CouponStatus.EXPIRED
    return WalletCouponOut(
        id=coupon.id,
        template_id=template.id,
        store_id=coupon.store_id,
        status=status,
        name=template.name,
        kind=template.kind,
        amount_off_fen=template.amount_off_fen,
        percent_off=template.percent_off,
        cap_fen=template.cap_fen,
        threshold_fen=template.threshold_fen,
        scope=ScopeOut(**template.scope),
        valid_from=coupon.valid_from,
        valid_until=coupon.valid_until,
        order_id=coupon.order_id,
        claimed_at=coupon.claimed_at,
        used_at=coupon.used_at,
    )
