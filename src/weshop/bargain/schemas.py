"""Request and answer bodies of bargaining.

Shapes and types are checked here; the business rules (floor below start, start not above
the SKU's price, room for K cuts of 1 fen...) live in ``bargain.rules`` with their own codes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from weshop.bargain.models import BargainState, CampaignStatus
from weshop.core.clock import Moment
from weshop.core.ids import RowId
from weshop.core.money import Fen

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
# Checked by the rules with their own codes; bounded here only to stay an integer.
Count = Annotated[StrictInt, Field(ge=-(2**31), le=2**31)]

CampaignPhase = Literal["scheduled", "running", "ended", "stopped"]


class CampaignIn(BaseModel):
    """A bargain campaign on one SKU. Helps needed: `helps_needed` for a fixed K, or
    `helps_min` and `helps_max` for a range from which each bargain draws its own K."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    sku_id: RowId = Field(description="A SKU of this store.")
    start_price_fen: Fen = Field(description="Price a bargain starts at; not above the SKU's.")
    floor_price_fen: Fen = Field(description="Price the last counted help lands on; below start.")
    helps_needed: Count | None = Field(default=None, description="Fixed K, 1 to 100.")
    helps_min: Count | None = Field(default=None, description="Range of K: least.")
    helps_max: Count | None = Field(default=None, description="Range of K: most (≤ 100).")
    window_hours: Count = Field(description="Hours a bargain lasts from its start, 1 to 720.")
    stock: Count = Field(description="Units the campaign may sell, 1 to 1,000,000.")
    per_shopper_limit: Count = Field(default=1, description="Units one shopper may buy, 1-100.")
    buy_before_floor: bool = Field(
        default=False, description="The shopper may buy at the current price before the floor."
    )
    new_users_only_helps: bool = Field(
        default=False,
        description="Only accounts created after the bargain started, with no earlier order, "
        "may help.",
    )
    helper_daily_cap: Count = Field(
        default=3, description="Helps one account may give in this campaign per day, 1-100."
    )
    max_shared_helps: Count = Field(
        default=1,
        description="Helps per bargain that still count from accounts sharing the starter's "
        "device or IP (0-1000); beyond it they are recorded, not counted.",
    )
    starts_at: Moment
    ends_at: Moment


class CampaignOut(BaseModel):
    id: int
    store_id: int
    product_id: int
    sku_id: int
    name: str
    start_price_fen: int
    floor_price_fen: int
    helps_min: int
    helps_max: int
    window_hours: int
    stock: int
    sold: int
    per_shopper_limit: int
    buy_before_floor: bool
    new_users_only_helps: bool
    helper_daily_cap: int
    max_shared_helps: int
    starts_at: datetime
    ends_at: datetime
    status: CampaignStatus
    phase: CampaignPhase = Field(description="scheduled, running, ended or stopped, now.")
    created_at: datetime
    updated_at: datetime


class ShopCampaignOut(BaseModel):
    """A campaign as shoppers see it."""

    id: int
    store_id: int
    product_id: int
    sku_id: int
    name: str
    spec_text: str
    start_price_fen: int
    floor_price_fen: int
    helps_min: int
    helps_max: int
    window_hours: int
    stock_left: int
    buy_before_floor: bool
    starts_at: datetime
    ends_at: datetime
    phase: CampaignPhase
    my_bargain_id: int | None = Field(
        default=None, description="The signed-in shopper's open bargain of it, if any."
    )


class HelpOut(BaseModel):
    helper: str = Field(description="The helper's masked name.")
    cut_fen: int
    created_at: datetime


class BargainOut(BaseModel):
    """A bargain as anyone with its link sees it."""

    id: int
    campaign_id: int
    store_id: int
    product_id: int
    sku_id: int
    title: str
    spec_text: str
    image_url: str | None = Field(default=None, description="The product's cover image.")
    starter: str = Field(description="The starter's masked name.")
    start_price_fen: int
    floor_price_fen: int
    current_price_fen: int
    cut_fen: int = Field(description="Cut so far (已砍).")
    remaining_fen: int = Field(description="Still to cut to the floor (还差).")
    helps_needed: int
    counted_helps: int
    status: BargainState
    expires_at: datetime
    can_buy: bool = Field(description="Whether the starter may buy now, at current_price_fen.")
    order_id: int | None = Field(default=None, description="Shown to the starter only.")
    helps: list[HelpOut]
    your_help: HelpOut | None = Field(
        default=None,
        description="The signed-in reader's own help of this bargain, if they gave one (a "
        "cut of 0: recorded, not counted).",
    )


class MerchantHelpOut(BaseModel):
    helper: str = Field(description="The helper's masked name.")
    cut_fen: int
    counted: bool
    reason: str = Field(description="Why it was not counted: shared_device or shared_ip.")
    created_at: datetime


class MerchantBargainOut(BaseModel):
    id: int
    campaign_id: int
    starter: str
    start_price_fen: int
    floor_price_fen: int
    current_price_fen: int
    helps_needed: int
    counted_helps: int
    recorded_helps: int
    status: BargainState
    expires_at: datetime
    order_id: int | None
    created_at: datetime
    helps: list[MerchantHelpOut]


class FiguresOut(BaseModel):
    """Conversion of a campaign (or all the store's): started → reached floor → bought."""

    started: int
    reached_floor: int
    bought: int = Field(description="Bargains whose order was paid and not refunded.")
    refunded: int = Field(
        description="Bargains bought, then refunded (cancelled after payment, or the bargained "
        "line refunded in full); not counted in `bought`."
    )
    floor_rate: float = Field(description="reached_floor / started (0 when none started).")
    buy_rate: float = Field(description="bought / started.")
    helps: int
    counted_helps: int
    not_counted_helps: int
    helpers: int
    helpers_became_customers: int = Field(
        description="Helpers who paid an order of this store after their first help."
    )
    gmv_fen: int = Field(description="Paid amount of the bought bargains' orders.")


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    campaign_id: RowId


class BuyIn(BaseModel):
    """Buy the bargain's unit at its current price (the floor, or earlier when allowed);
    coupons and points as the store's stacking rules allow for a bargain price."""

    model_config = ConfigDict(extra="forbid")
    address_id: RowId
    coupon_ids: list[RowId] | None = Field(
        default=None,
        max_length=2,
        description="Omitted or null: the best valid coupons; a list: exactly these.",
    )
    points: Annotated[StrictInt, Field(ge=0, le=10**9)] = Field(
        default=0, description="Points to spend at the store (capped by its rules)."
    )
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
