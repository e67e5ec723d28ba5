"""What goes over the wire for flash sales."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from weshop.core.clock import Moment
from weshop.core.ids import RowId
from weshop.core.money import Fen, Quantity
from weshop.flashsale.models import AttemptState, SessionStatus

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
PaymentWindow = Annotated[
    StrictInt,
    Field(
        ge=1,
        le=120,
        description="Minutes a flash order may stay unpaid before it expires and its unit goes "
        "back to the flash stock.",
    ),
]
FlashStock = Annotated[
    StrictInt,
    Field(
        ge=1,
        le=1_000_000,
        description="Units taken from the SKU's regular stock for the session; no more than "
        "its available stock.",
    ),
]
ShopperLimit = Annotated[
    StrictInt, Field(ge=1, le=99, description="Units one shopper may hold of this item.")
]
Token = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$"),
]
Phase = Literal["upcoming", "live", "over"]


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title
    starts_at: Moment
    ends_at: Moment = Field(description="After `starts_at`, in the future.")
    payment_window_minutes: PaymentWindow = 5


class SessionPatch(BaseModel):
    """Before the session starts only; what is left out stays."""

    model_config = ConfigDict(extra="forbid")
    title: Title | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    payment_window_minutes: PaymentWindow | None = None


class CopyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: StrictInt = Field(
        ge=1,
        le=30,
        description="Copy the session with its items to each of the next N days, at the same "
        "time (every night at 20:00, say); each copy takes its own flash stock.",
    )


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku_id: RowId
    flash_price_fen: Fen = Field(description="More than 0 and at most the SKU's price.")
    flash_stock: FlashStock
    per_shopper_limit: ShopperLimit = 1
    sort_order: StrictInt = Field(default=0, ge=0, le=9999)


class ItemPatch(BaseModel):
    """Before the session starts only; a new flash stock takes or gives back the difference."""

    model_config = ConfigDict(extra="forbid")
    flash_price_fen: Fen | None = None
    flash_stock: FlashStock | None = None
    per_shopper_limit: ShopperLimit | None = None
    sort_order: StrictInt | None = Field(default=None, ge=0, le=9999)


class ItemOut(BaseModel):
    id: int
    session_id: int
    store_id: int
    product_id: int
    sku_id: int
    title: str
    spec_text: str
    price_fen: int = Field(description="The SKU's regular price.")
    flash_price_fen: int
    flash_stock: int
    sold: int = Field(description="Units held by live flash orders (unpaid or paid).")
    sold_percent: int
    per_shopper_limit: int
    sort_order: int
    attempts: int
    returned_to_stock: int = Field(description="Units given back to the regular stock.")


class SessionOut(BaseModel):
    id: int
    store_id: int | None = Field(description="None: a platform (mall-wide) session.")
    title: str
    starts_at: datetime
    ends_at: datetime
    payment_window_minutes: int
    status: SessionStatus
    phase: Phase
    ended_at: datetime | None
    items: list[ItemOut]


class ShopItemOut(BaseModel):
    item_id: int
    store_id: int
    product_id: int
    sku_id: int
    title: str
    spec_text: str
    image_url: str | None
    price_fen: int
    flash_price_fen: int
    per_shopper_limit: int
    sold_percent: int = Field(description="0–100, rounded down (100 only when none is left).")
    state: Literal["upcoming", "live", "sold_out", "over"]


class ShopSessionOut(BaseModel):
    id: int
    store_id: int | None
    title: str
    starts_at: datetime
    ends_at: datetime
    phase: Phase
    items: list[ShopItemOut]


class AttemptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quantity: Quantity = 1
    address_id: RowId
    token: Token | None = Field(
        default=None,
        description="The attempt's idempotency token (or send `Idempotency-Key`): a repeat "
        "gets the first answer, never a second unit.",
    )


class AttemptOut(BaseModel):
    attempt_id: int
    item_id: int
    session_id: int
    quantity: int
    state: AttemptState
    order_id: int | None
    order_no: str | None
    payable_fen: int | None
    pay_deadline: datetime | None
    repeated: bool = Field(description="True: this token had been accepted before.")


class ItemFigures(BaseModel):
    item_id: int
    sku_id: int
    title: str
    flash_stock: int
    attempts: int
    accepted: int
    sold: int
    paid_units: int
    gmv_fen: int


class SessionFigures(BaseModel):
    session_id: int
    attempts: int = Field(
        description="Attempts counted, refused ones too (with Redis every one; without, those "
        "not already refused by a read showing the item sold out or the shopper at the limit)."
    )
    accepted: int = Field(description="Attempts accepted (each became one order).")
    released: int = Field(description="Accepted attempts whose order expired or was cancelled.")
    sold: int = Field(description="Units in live flash orders.")
    paid_orders: int
    gmv_fen: int = Field(description="Paid minus refunded, of the session's flash orders.")
    items: list[ItemFigures]


class ReconcileLine(BaseModel):
    item_id: int
    session_id: int
    flash_stock: int
    redis_stock: int | None
    live_units: int
    pending_units: int
    lost_units: int
    drift: int
    repaired: bool
