from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, field_validator

from weshop.accounts.schemas import PhoneNumber
from weshop.core.ids import RowId
from weshop.core.money import Quantity
from weshop.members.service import AllPoints
from weshop.orders.models import CampaignKind, OrderStatus
from weshop.pricing.quote import Quote

MAX_CHECKOUT_LINES = 50
MAX_CHOSEN_COUPONS = 20
MAX_POINTS = 10**9


class CheckoutItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku_id: RowId
    quantity: Quantity


class PointsUse(BaseModel):
    model_config = ConfigDict(extra="forbid")
    store_id: RowId
    points: Annotated[StrictInt, Field(ge=1, le=MAX_POINTS)] | AllPoints = Field(
        description='Points to spend at this store, a whole number, or `"all"` for as many '
        "as the store allows; either way the quote caps them by the balance and by the "
        "store's share rule."
    )


class PickupChoice(BaseModel):
    """Collect one store's goods at one of its open pickup points (自提) instead of having
    them shipped (`/api/v1/shop/stores/{store_id}/pickup-points` lists them)."""

    model_config = ConfigDict(extra="forbid")
    store_id: RowId
    pickup_point_id: RowId


class PickupContactIn(BaseModel):
    """Who collects the pickup orders: kept encrypted, shown masked to staff."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
    phone: PhoneNumber


class Basket(BaseModel):
    """What a checkout prices: items of one store or several, coupons and points, and how
    each store's goods reach the shopper."""

    model_config = ConfigDict(extra="forbid")
    items: list[CheckoutItem] = Field(min_length=1, max_length=MAX_CHECKOUT_LINES)
    coupon_ids: list[RowId] | None = Field(
        default=None,
        max_length=MAX_CHOSEN_COUPONS,
        description="Omitted or null: the best valid combination of the wallet's coupons is "
        "used. A list: exactly these coupons ([] for none); one that is no longer in the "
        "wallet is a 409 `coupon_unavailable`, one that does not apply a 422 "
        "`coupon_not_usable`.",
    )
    points: list[PointsUse] = Field(default_factory=list, max_length=MAX_CHECKOUT_LINES)
    pickup: list[PickupChoice] = Field(
        default_factory=list,
        max_length=MAX_CHECKOUT_LINES,
        description="Stores whose goods the shopper collects at a pickup point (自提): no "
        "shipping fee. Every other store ships (express). A point that is not an open point "
        "of its store is a 422 `unknown_pickup_point`; a store with nothing in the basket a "
        "422 `pickup_store_not_in_checkout`.",
    )

    @field_validator("points", "pickup")
    @classmethod
    def _one_entry_per_store(
        cls, value: list[PointsUse] | list[PickupChoice]
    ) -> list[PointsUse] | list[PickupChoice]:
        if len({entry.store_id for entry in value}) != len(value):
            raise ValueError("give one entry per store")
        return value

    @property
    def pickup_points(self) -> dict[int, int]:
        """The chosen pickup point of each store collected at: ``{store_id: point_id}``."""
        return {choice.store_id: choice.pickup_point_id for choice in self.pickup}


class QuoteIn(Basket):
    address_id: RowId | None = Field(
        default=None, description="Prices shipping to this address; omitted: the default rule."
    )


class CheckoutIn(Basket):
    """Items may come from several stores: one order is placed per store."""

    address_id: RowId | None = Field(
        default=None,
        description="Where the shipped stores deliver; required unless every store is "
        "collected at a pickup point (422 `address_required`).",
    )
    pickup_contact: PickupContactIn | None = Field(
        default=None,
        description="Who collects the pickup orders; required with `pickup` (422 "
        "`pickup_contact_required`).",
    )
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    from_cart: bool = Field(default=False, description="Remove the bought items from the cart.")


class OrderLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    product_id: int
    sku_id: int
    title: str
    spec_text: str
    sku_code: str
    unit_price_fen: int
    quantity: int
    subtotal_fen: int
    discount_fen: int
    payable_fen: int
    shipped_quantity: int
    refunded_quantity: int = Field(
        description="Units refunded before they shipped (after-sales): never to ship."
    )
    left_to_ship: int = Field(description="quantity - shipped_quantity - refunded_quantity")


class ShipmentItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_line_id: RowId
    quantity: Quantity


class PackageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    carrier: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    tracking_no: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9\-]{4,40}$")
    ]
    items: list[ShipmentItem] | None = Field(
        default=None, description="Lines in this package; omitted: everything not yet shipped."
    )


class ShipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    packages: list[PackageIn] = Field(min_length=1, max_length=20)


class ShipmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    carrier: str
    tracking_no: str
    items: list[dict[str, int]]
    created_at: datetime


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class ShippingAddressOut(BaseModel):
    recipient: str
    phone: str
    province: str
    city: str
    district: str
    detail: str
    postal_code: str


class OrderEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    action: str
    from_status: str | None
    to_status: str
    actor: str
    note: str
    created_at: datetime


class CampaignRefOut(BaseModel):
    kind: CampaignKind = Field(description="group (拼团), bargain (砍价) or flash (秒杀).")
    campaign_id: int
    entry_id: int | None = Field(description="The group, bargain or flash attempt.")


class PickupOut(BaseModel):
    """How a self-pickup order is collected."""

    pickup_point_id: int
    point_name: str
    point_address: str
    point_opening_hours: str
    point_phone: str
    contact_name: str = Field(description="Masked unless asked for by a role that needs it.")
    contact_phone: str = Field(description="Masked unless asked for by a role that needs it.")
    code: str | None = Field(
        description="The pickup code (shopper only), once the order is paid; staff never see "
        "it: they verify what the shopper shows."
    )
    picked_up_at: datetime | None


class PickupVerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{12}$")] = Field(
        description="The 12-digit pickup code the shopper shows (as digits or as its QR code)."
    )


class AllocationOut(BaseModel):
    """Units of a line's SKU allocated to a warehouse when the order took its stock."""

    model_config = ConfigDict(from_attributes=True)
    sku_id: int
    warehouse_id: int
    quantity: int
    status: str = Field(description="held, sold, released or returned.")


class OrderOut(BaseModel):
    id: int
    order_no: str
    checkout_no: str
    store_id: int
    store_name: str
    status: OrderStatus
    allowed_actions: list[str] = Field(description="What the caller may do next.")
    currency: str
    subtotal_fen: int
    discount_fen: int
    shipping_fen: int
    payable_fen: int
    paid_fen: int
    refunded_fen: int
    price_breakdown: Quote = Field(
        description="The quote frozen at placement: every line's adjustments, each order-level "
        "promotion with its share of each line, shipping and points."
    )
    lines: list[OrderLineOut]
    shipments: list[ShipmentOut]
    shipping_address: ShippingAddressOut = Field(
        description="Masked unless asked for by a role that needs it."
    )
    buyer_note: str
    pay_deadline: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    auto_confirm_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    created_at: datetime
    history: list[OrderEventOut] = []
    campaign: CampaignRefOut | None = Field(
        default=None, description="The social campaign the order was placed in; null: none."
    )
    shipping_held: bool = Field(
        default=False,
        description="Paid but not to be shipped until its campaign allows (a group not yet "
        "filled).",
    )
    delivery: Literal["express", "pickup"] = Field(
        default="express",
        description="express: shipped to `shipping_address`; pickup: collected at a pickup "
        "point (自提, see `pickup`), with no address.",
    )
    pickup: PickupOut | None = None
    warehouse_allocation: list[AllocationOut] = Field(
        default=[],
        description="Staff only, in a store with warehouses: which warehouse ships how many "
        "of each SKU (a line split across warehouses has a row per warehouse).",
    )


class CheckoutOut(BaseModel):
    checkout_no: str
    orders: list[OrderOut]
    payable_fen: int = Field(description="All orders of this checkout together.")


class TrackingEventOut(BaseModel):
    at: datetime = Field(description="When it happened, as the carrier dated it.")
    text: str
    area: str


class PackageTrackingOut(BaseModel):
    shipment_id: int
    carrier: str = Field(description="The carrier as the store entered it.")
    carrier_name: str
    tracking_no: str
    tracked: bool = Field(
        description="False when the carrier is not one WeShop follows: no events will come."
    )
    state: str | None = Field(
        description="pending, collected, in_transit, delivering, delivered, trouble, "
        "returning, returned, rejected or customs; null when untracked."
    )
    delivered_at: datetime | None
    events: list[TrackingEventOut] = Field(description="Newest first.")


class OrderTrackingOut(BaseModel):
    order_id: int
    packages: list[PackageTrackingOut]


class ReorderLineOut(BaseModel):
    product_id: int
    sku_id: int
    title: str
    spec_text: str
    ordered: int = Field(description="The quantity in the order.")
    added: int = Field(description="The quantity put in the cart (0: none).")
    problem: str | None = Field(
        description="Why not all of it: unpublished, sku_inactive, out_of_stock, "
        "not_enough_stock (what was left was added), cart_full, quantity_too_large."
    )


class ReorderOut(BaseModel):
    order_id: int
    lines: list[ReorderLineOut]
    all_added: bool
