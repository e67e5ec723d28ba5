"""What the pricing core is given: plain, frozen values, built by the domains that own them.

The core never reads a database or a clock: the promotions domain turns its rows into
``FullReduction`` and ``Coupon`` values, members into ``MemberDiscount`` and ``PointsOffer``,
logistics into ``ShippingTemplate``; the context carries ``now`` for validity windows.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from weshop.core.money import MAX_LINE_QUANTITY, MAX_UNIT_PRICE_FEN


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Funder(enum.StrEnum):
    MERCHANT = "merchant"
    PLATFORM = "platform"


class StackingGroup(enum.StrEnum):
    FULL_REDUCTION = "full_reduction"
    STORE_COUPON = "store_coupon"
    PLATFORM_COUPON = "platform_coupon"


class Scope(Frozen):
    """Which lines a promotion covers: all of a store's (or, for the platform, all), or some."""

    kind: Literal["all", "products", "categories"] = "all"
    product_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()

    def covers(self, line: CartLine) -> bool:
        if self.kind == "all":
            return True
        if self.kind == "products":
            return line.product_id in self.product_ids
        return line.category_id is not None and line.category_id in self.category_ids


class CartLine(Frozen):
    """One SKU in the cart, at its base (list) price. ``sku_id`` is unique within a quote."""

    sku_id: int
    product_id: int
    store_id: int
    category_id: int | None = None
    title: str
    spec_text: str = ""
    unit_price_fen: int = Field(ge=0, le=MAX_UNIT_PRICE_FEN)
    quantity: int = Field(ge=1, le=MAX_LINE_QUANTITY)
    weight_grams: int = Field(default=0, ge=0)
    shipping_template_id: int | None = None


class CampaignPrice(Frozen):
    """A price set by a campaign (flash sale, group buy, bargain, live room) for one SKU.
    ``kind`` ("group", "bargain", "flash", ...) is what the store's stacking rules name."""

    sku_id: int
    price_fen: int = Field(ge=0, le=MAX_UNIT_PRICE_FEN)
    kind: str
    source_id: str
    label: str
    exclusive: bool = False
    funded_by: Funder = Funder.MERCHANT


class MemberDiscount(Frozen):
    """The shopper's member level at one store: ``pay_percent`` of the price (95 = 5% off)."""

    store_id: int
    level_id: int
    level_name: str
    pay_percent: int = Field(ge=1, le=100)
    scope: Scope = Scope()


class Tier(Frozen):
    threshold_fen: int = Field(ge=0)
    amount_off_fen: int | None = Field(default=None, ge=1)
    percent_off: int | None = Field(default=None, ge=1, le=99)

    @model_validator(mode="after")
    def _one_kind(self) -> Tier:
        if (self.amount_off_fen is None) == (self.percent_off is None):
            raise ValueError("a tier takes either amount_off_fen or percent_off")
        return self


class FullReduction(Frozen):
    """满减 (amount off) / 满折 (percent off) of a store, with tiers on the eligible amount."""

    id: int
    store_id: int
    label: str
    tiers: tuple[Tier, ...] = Field(min_length=1)
    scope: Scope = Scope()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    priority: int = 0
    funded_by: Funder = Funder.MERCHANT


class Coupon(Frozen):
    """A coupon in the shopper's wallet. ``store_id`` None: a platform coupon, platform-funded."""

    id: int
    template_id: int
    store_id: int | None
    label: str
    kind: Literal["fixed", "percent", "no_threshold"]
    amount_off_fen: int = Field(default=0, ge=0)
    percent_off: int = Field(default=0, ge=0, le=99)
    cap_fen: int | None = Field(default=None, ge=1)
    threshold_fen: int = Field(default=0, ge=0)
    scope: Scope = Scope()
    valid_from: datetime
    valid_until: datetime
    funded_by: Funder = Funder.MERCHANT

    @property
    def group(self) -> StackingGroup:
        if self.store_id is None:
            return StackingGroup.PLATFORM_COUPON
        return StackingGroup.STORE_COUPON


# Campaign kinds whose price takes no full reduction and no coupon unless a store says
# otherwise: a flash-sale price is already the deepest.
CAMPAIGNS_WITHOUT_PROMOTIONS_DEFAULT = frozenset({"flash"})


class StackingRules(Frozen):
    """Which promotion groups of a store combine. Safe default: all three, one of each.

    ``campaigns_without_promotions``: the campaign kinds (``CampaignPrice.kind``) whose
    lines get no full reduction and no coupon; lines of every other kind count for them like
    any line (points and shipping apply to every line)."""

    exclusive_pairs: frozenset[frozenset[StackingGroup]] = frozenset()
    campaigns_without_promotions: frozenset[str] = CAMPAIGNS_WITHOUT_PROMOTIONS_DEFAULT

    def promotes(self, campaign_kind: str | None) -> bool:
        """Whether a line priced by a campaign of this kind (None: no campaign) takes full
        reductions and coupons."""
        return campaign_kind not in self.campaigns_without_promotions

    def combinable(self, a: StackingGroup, b: StackingGroup) -> bool:
        return a != b and frozenset({a, b}) not in self.exclusive_pairs


class PointsOffer(Frozen):
    """Points the shopper may spend at one store: ``fen_per_point`` each, at most
    ``max_share_percent`` of the goods' payable, never more than the balance."""

    store_id: int
    balance: int = Field(ge=0)
    requested: int = Field(default=0, ge=0)
    fen_per_point: int = Field(default=1, ge=1)
    max_share_percent: int = Field(default=50, ge=0, le=100)


class ShippingRule(Frozen):
    """Fee for some provinces (empty: every province no other rule names)."""

    provinces: frozenset[str] = frozenset()
    first_units: int = Field(ge=1)
    first_fee_fen: int = Field(ge=0)
    additional_units: int = Field(ge=1)
    additional_fee_fen: int = Field(ge=0)


class ShippingTemplate(Frozen):
    """Per piece or per gram; free once the store's goods payable reaches ``free_over_fen``."""

    id: int
    store_id: int
    name: str
    charge_by: Literal["piece", "weight"]
    rules: tuple[ShippingRule, ...] = Field(min_length=1)
    free_over_fen: int | None = Field(default=None, ge=0)
    unreachable_provinces: frozenset[str] = frozenset()


class PricingContext(Frozen):
    now: datetime
    channel: Literal["store", "share", "live", "group", "bargain", "flash"] = "store"
    province: str | None = None
    campaign_prices: tuple[CampaignPrice, ...] = ()
    member_discounts: tuple[MemberDiscount, ...] = ()
    full_reductions: tuple[FullReduction, ...] = ()
    coupons: tuple[Coupon, ...] = ()
    # None: pick the best valid combination; a set: use exactly these (each must be usable).
    chosen_coupon_ids: frozenset[int] | None = None
    stacking: dict[int, StackingRules] = Field(default_factory=dict)
    points: tuple[PointsOffer, ...] = ()
    shipping_templates: tuple[ShippingTemplate, ...] = ()
    default_shipping_template: dict[int, int] = Field(default_factory=dict)
    # Stores whose goods the shopper collects at a pickup point (自提): no shipping fee, and
    # the province does not matter.
    pickup_store_ids: frozenset[int] = frozenset()
