from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from weshop.core.ids import RowId
from weshop.core.money import MAX_LINE_QUANTITY
from weshop.orders.models import OrderStatus

MAX_CHECKOUT_LINES = 50


class CheckoutItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku_id: RowId
    quantity: int = Field(ge=1, le=MAX_LINE_QUANTITY)


class CheckoutIn(BaseModel):
    """Items may come from several stores: one order is placed per store."""

    model_config = ConfigDict(extra="forbid")
    address_id: RowId
    items: list[CheckoutItem] = Field(min_length=1, max_length=MAX_CHECKOUT_LINES)
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


class ShipmentItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_line_id: RowId
    quantity: int = Field(ge=1, le=MAX_LINE_QUANTITY)


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
    price_breakdown: dict[str, Any] = Field(description="The quote frozen at placement.")
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


class CheckoutOut(BaseModel):
    checkout_no: str
    orders: list[OrderOut]
    payable_fen: int = Field(description="All orders of this checkout together.")
