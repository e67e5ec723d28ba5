from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from weshop.core.ids import RowId
from weshop.core.money import MAX_LINE_QUANTITY, MAX_UNIT_PRICE_FEN
from weshop.payments.models import PaymentStatus, RefundStatus

MAX_LINE_AMOUNT_FEN = MAX_UNIT_PRICE_FEN * MAX_LINE_QUANTITY


class PaymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    order_id: int
    provider: str
    out_trade_no: str
    amount_fen: int
    currency: str
    status: PaymentStatus
    cashier_url: str
    paid_at: datetime | None
    created_at: datetime


class NotificationAck(BaseModel):
    code: str = "SUCCESS"
    message: str = "OK"


class RefundLineIn(BaseModel):
    order_line_id: RowId
    amount_fen: StrictInt = Field(ge=1, le=MAX_LINE_AMOUNT_FEN, description="Fen to give back.")


class RefundIn(BaseModel):
    lines: list[RefundLineIn] = Field(min_length=1, max_length=200)
    reason: str = Field("", max_length=200)

    @field_validator("lines")
    @classmethod
    def _distinct_lines(cls, lines: list[RefundLineIn]) -> list[RefundLineIn]:
        if len({line.order_line_id for line in lines}) != len(lines):
            raise ValueError("each order line may appear once")
        return lines


class RefundPartOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    order_line_id: int | None = Field(description="None: the order's shipping.")
    amount_fen: int


class RefundOut(BaseModel):
    id: int
    order_id: int
    out_refund_no: str
    amount_fen: int
    status: RefundStatus
    reason: str
    failure_reason: str
    parts: list[RefundPartOut]
    created_at: datetime
    succeeded_at: datetime | None


class StorePaymentAccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    store_id: int
    provider: str
    sub_mchid: str | None
    out_request_no: str | None
    applyment_state: str


class SubMerchantIn(BaseModel):
    sub_mchid: str = Field(min_length=8, max_length=32, pattern=r"^[0-9]+$")


class ApplymentIn(BaseModel):
    """The application form of WeChat Pay's e-commerce onboarding (二级商户进件), as its API
    describes it; personal fields in clear text, encrypted before they leave WeShop."""

    form: dict[str, object] = Field(max_length=100)
