"""What after-sales sends and takes over the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from weshop.accounts.schemas import PhoneNumber
from weshop.aftersales.models import DisputeOutcome, RequestKind, RequestStatus
from weshop.core.ids import RowId
from weshop.core.money import Fen, Quantity
from weshop.orders.schemas import TrackingEventOut

MAX_PHOTOS = 6
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Carrier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
TrackingNo = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9\-]{4,40}$")
]


class RequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: RowId
    order_line_id: RowId
    quantity: Quantity
    kind: RequestKind
    reason_code: Annotated[str, StringConstraints(max_length=32)] = Field(
        description="One of the codes of `GET /api/v1/me/aftersales/reasons`."
    )
    note: Note = ""
    photo_ids: list[RowId] = Field(
        default_factory=list,
        max_length=MAX_PHOTOS,
        description="Images the shopper uploaded to "
        "`POST /api/v1/me/orders/{order_id}/aftersales-photos`.",
    )
    amount_fen: Fen | None = Field(
        default=None,
        description="What to ask for: at most the refundable share (omitted: all of it).",
    )


class EditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_fen: Fen = Field(description="The new amount: at most the amount on the table.")
    note: Note = ""


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Note = ""


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


class ProposeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_fen: Fen
    note: Note = ""


class ParcelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    carrier: Carrier
    tracking_no: TrackingNo


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refund_fen: Fen = Field(
        description="What the shopper gets back, at most the request's maximum; 0 rejects."
    )
    note: Reason


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    return_recipient: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] = ""
    return_phone: PhoneNumber | None = None
    return_address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] = ""
    store_answer_hours: StrictInt = Field(default=48, ge=24, le=168)
    shopper_ship_days: StrictInt = Field(default=7, ge=3, le=15)
    store_receive_days: StrictInt = Field(default=7, ge=3, le=15)
    shopper_answer_days: StrictInt = Field(default=7, ge=3, le=15)
    fast_refund_threshold_fen: Fen = Field(
        default=5000, description="Fast refunds below this amount; 0 turns them off."
    )


class ReturnAddressOut(BaseModel):
    recipient: str
    phone: str
    address: str


class PolicyOut(BaseModel):
    return_address: ReturnAddressOut
    store_answer_hours: int
    shopper_ship_days: int
    store_receive_days: int
    shopper_answer_days: int
    fast_refund_threshold_fen: int


class ReasonOut(BaseModel):
    code: str
    label: str


class PhotoOut(BaseModel):
    id: int
    url: str


class StepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    actor: str
    action: str
    to_status: str
    amount_fen: int | None
    note: str
    created_at: datetime


class ParcelOut(BaseModel):
    """A return or exchange parcel with its carrier's timeline (see *Parcel tracking*)."""

    carrier: str = Field(description="The carrier as entered.")
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


class RequestOut(BaseModel):
    id: int
    request_no: str
    store_id: int
    order_id: int
    order_line_id: int
    line_title: str
    kind: RequestKind
    status: RequestStatus
    reason_code: str
    reason_label: str
    note: str
    photos: list[PhotoOut]
    quantity: int
    max_fen: int = Field(description="The most this request may give back.")
    shipping_fen: int = Field(description="Of the maximum, the shipping (whole order, unshipped).")
    amount_fen: int = Field(description="The amount on the table now.")
    proposed_fen: int | None = Field(description="The store's last proposal.")
    fast: bool = Field(description="Approved at once as a fast refund (极速退款).")
    return_carrier: str
    return_tracking_no: str
    exchange_carrier: str
    exchange_tracking_no: str
    refund_id: int | None
    dispute_outcome: DisputeOutcome | None
    deadline_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    actions: list[str] = Field(description="What the asking side may do now.")
    return_address: ReturnAddressOut | None = Field(
        description="Where to send the goods, once a return or exchange is approved."
    )
    history: list[StepOut]
    return_parcel: ParcelOut | None = Field(description="The shopper's return parcel, once sent.")
    exchange_parcel: ParcelOut | None = Field(description="The new item's parcel, once shipped.")
    return_delivered: bool = Field(
        description="The return parcel is delivered (退货已签收) and waits for the store to "
        "confirm receipt; delivery alone completes nothing."
    )


class StatsOut(BaseModel):
    open_by_status: dict[str, int]
    due_within_24h: int
    overdue: int
    refund_rate: float = Field(description="Refunded fen / paid fen over the last 30 days.")
    refunded_fen_30d: int
    paid_fen_30d: int
    dispute_rate: float = Field(description="Requests escalated / orders paid, all time.")
    median_refund_seconds_30d: float | None = Field(
        description="Median time from request to refund over the last 30 days."
    )
