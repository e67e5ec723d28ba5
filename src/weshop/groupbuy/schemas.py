"""Request and answer bodies of group buying.

The schemas check shapes and types; the business rules (group size 2-50, a group price at
most the SKU's price, a window that ends after it starts...) live in ``groupbuy.rules`` so
that each refusal carries its own error code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from weshop.core.clock import Moment
from weshop.core.ids import RowId
from weshop.core.money import Quantity
from weshop.groupbuy.models import (
    CampaignStatus,
    FullGroupPolicy,
    GroupState,
    MemberRole,
    MemberState,
)
from weshop.orders.schemas import (
    MAX_CHOSEN_COUPONS,
    CheckoutIn,
    CheckoutItem,
    CheckoutOut,
    PointsUse,
)

MAX_PRICED_SKUS = 200

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
# Counts checked by the rules with their own codes; bounded here only to stay an integer.
Count = Annotated[StrictInt, Field(ge=-(2**31), le=2**31)]
# Prices checked by the rules (at least 1 fen, at most the SKU's price).
Price = Annotated[StrictInt, Field(ge=-(2**40), le=2**40, description="Fen.")]


class GroupPriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku_id: RowId
    price_fen: Price = Field(description="Group price of this SKU: 1 fen up to its price.")
    leader_price_fen: Price | None = Field(
        default=None,
        description="What the group's leader pays instead, 1 fen up to the group price; "
        "omitted: the group price.",
    )


class CampaignTerms(BaseModel):
    """The terms of a campaign but its product, group size and window to fill."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    prices: list[GroupPriceIn] = Field(
        min_length=1,
        max_length=MAX_PRICED_SKUS,
        description="One entry per SKU of the product sold in groups; each SKU once.",
    )
    stock: Count = Field(description="Units the campaign may sell, 1 to 1,000,000.")
    per_shopper_limit: Count = Field(
        default=1, description="Units one shopper may hold in live orders of it, 1 to 9,999."
    )
    starts_at: Moment
    ends_at: Moment = Field(description="After `starts_at`; no group opens after it.")
    simulated_fill: bool = Field(
        default=False,
        description="A group still open when its window ends is completed with the members "
        "it has (the shoppers are told so on the campaign's pages) instead of failing.",
    )
    new_customers_only: bool = Field(
        default=False,
        description="Joiners (not leaders) must have no earlier paid order at the store.",
    )
    full_group_policy: FullGroupPolicy = Field(
        default=FullGroupPolicy.NEW_GROUP,
        description="A payment for a group that has just filled: `new_group` opens a new "
        "group with that shopper as its leader; `refund` cancels and refunds the order at once.",
    )


class CampaignCreate(CampaignTerms):
    """A group-buy campaign over one product of the store."""

    product_id: RowId
    group_size: Count = Field(description="Paid members that complete a group, 2 to 50.")
    fill_window_minutes: Count = Field(
        description="How long a group has to fill from the leader's payment: 5 minutes to "
        "7 days (10,080 minutes)."
    )


class CampaignPatch(BaseModel):
    """New terms of a campaign; what is left out (or null) stays. Until a group has been
    opened every term may change; after that only `name`, `ends_at` (not before now), `stock`
    and `per_shopper_limit`: the others were promised to the members of those groups."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    prices: list[GroupPriceIn] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_PRICED_SKUS,
        description="Replaces every price: one entry per SKU sold in groups; each SKU once.",
    )
    group_size: Count | None = Field(default=None, description="2 to 50.")
    fill_window_minutes: Count | None = Field(default=None, description="5 to 10,080.")
    stock: Count | None = Field(
        default=None, description="1 to 1,000,000, and not below the units live orders hold."
    )
    per_shopper_limit: Count | None = Field(default=None, description="1 to 9,999.")
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    simulated_fill: bool | None = None
    new_customers_only: bool | None = None
    full_group_policy: FullGroupPolicy | None = None


class GroupOrderIn(BaseModel):
    """The order of opening or joining a group: a SKU of the campaign's product, the address,
    and coupons and points as at checkout (as far as the store's stacking rules allow them)."""

    model_config = ConfigDict(extra="forbid")
    sku_id: RowId
    quantity: Quantity = 1
    address_id: RowId
    coupon_ids: list[RowId] | None = Field(
        default=None,
        max_length=MAX_CHOSEN_COUPONS,
        description="As at checkout: omitted or null, the best valid coupons; a list, "
        "exactly these.",
    )
    points: list[PointsUse] = Field(default_factory=list, max_length=1)
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""

    def checkout(self) -> CheckoutIn:
        return CheckoutIn(
            items=[CheckoutItem(sku_id=self.sku_id, quantity=self.quantity)],
            coupon_ids=self.coupon_ids,
            points=self.points,
            address_id=self.address_id,
            note=self.note,
        )


class OpenGroupIn(GroupOrderIn):
    campaign_id: RowId = Field(description="The group-buy campaign.")

    def order(self) -> GroupOrderIn:
        return GroupOrderIn.model_validate(self.model_dump(exclude={"campaign_id"}))


class JoinGroupIn(GroupOrderIn):
    group_id: RowId = Field(description="An open group (`/api/v1/shop/groups/{group_id}`).")

    def order(self) -> GroupOrderIn:
        return GroupOrderIn.model_validate(self.model_dump(exclude={"group_id"}))


# Answers


class GroupPriceOut(BaseModel):
    sku_id: int
    spec_text: str
    sku_price_fen: int
    price_fen: int
    leader_price_fen: int | None


class CampaignOut(BaseModel):
    id: int
    store_id: int
    product_id: int
    product_title: str
    name: str
    group_size: int
    fill_window_minutes: int
    stock: int
    sold: int
    per_shopper_limit: int
    starts_at: datetime
    ends_at: datetime
    status: CampaignStatus
    live: bool = Field(description="Active and within its window now: groups may open.")
    simulated_fill: bool
    new_customers_only: bool
    full_group_policy: FullGroupPolicy
    prices: list[GroupPriceOut]
    lowest_price_fen: int
    created_at: datetime
    updated_at: datetime


class MemberOut(BaseModel):
    id: int
    role: MemberRole
    state: MemberState
    name: str = Field(description="The shopper's display name, masked.")
    avatar_url: str | None
    joined_at: datetime | None


class StaffMemberOut(MemberOut):
    user_id: int
    order_id: int | None
    sku_id: int
    quantity: int
    unit_price_fen: int
    paid_fen: int
    new_customer: bool


class GroupOut(BaseModel):
    id: int
    campaign_id: int
    product_id: int
    state: GroupState
    size: int
    member_count: int = Field(description="Paid members.")
    missing: int = Field(description="Paid members still needed (还差 N 人).")
    opened_at: datetime | None
    expires_at: datetime | None
    completed_at: datetime | None
    simulated: bool = Field(description="Completed by the campaign's simulated fill.")
    members: list[MemberOut]


class StaffGroupOut(GroupOut):
    members: list[StaffMemberOut]  # type: ignore[assignment]


class ShopCampaignOut(BaseModel):
    campaign: CampaignOut
    open_groups: list[GroupOut] = Field(description="Groups one may join now (可直接参团).")


class FiguresOut(BaseModel):
    groups_opened: int = Field(description="Groups whose leader paid.")
    groups_completed: int
    groups_failed: int = Field(description="Failed, refunding or refunded.")
    groups_open: int
    success_rate_percent: int | None = Field(
        description="Completed among the groups that ended, in whole percent; null: none ended."
    )
    paid_members: int = Field(description="Members who paid and still hold their place.")
    new_customers: int = Field(
        description="Of those, shoppers with no earlier paid order at the store."
    )
    gmv_fen: int = Field(description="Paid by the members of completed groups.")


class GroupOrderOut(CheckoutOut):
    """The order to pay, as checkout answers it, and the group it is for."""

    group_id: int = Field(description="The group; its page is `/g/{group_id}`.")


class MyGroupOut(BaseModel):
    group: GroupOut
    campaign_name: str
    role: MemberRole
    state: MemberState = Field(description="The caller's membership.")
    order_id: int | None
