from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from weshop.core.ids import RowId
from weshop.core.money import MAX_LINE_QUANTITY, MAX_UNIT_PRICE_FEN
from weshop.payments.models import Payment, PaymentChannel, PaymentStatus, RefundStatus

MAX_LINE_AMOUNT_FEN = MAX_UNIT_PRICE_FEN * MAX_LINE_QUANTITY


CHANNEL_DESCRIPTION = (
    "Where the shopper pays: `h5` (a mobile browser), `native` (a QR code), `jsapi` (a page "
    "opened in WeChat, under the official account) or `miniprogram` (wx.requestPayment); "
    "default: the provider's."
)


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: PaymentChannel | None = Field(default=None, description=CHANNEL_DESCRIPTION)


class PayParams(BaseModel):
    """What a page opened in WeChat passes to ``WeixinJSBridge.invoke('getBrandWCPayRequest')``
    or ``wx.chooseWXPay``, and a mini-program to ``wx.requestPayment``: signed with the
    merchant's key (RSA) over appId, timeStamp, nonceStr and package."""

    appId: str
    timeStamp: str
    nonceStr: str
    package: str = Field(description="`prepay_id=...`")
    signType: str = Field(description="Always `RSA`.")
    paySign: str


class PaymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    order_id: int
    provider: str
    channel: PaymentChannel
    out_trade_no: str
    amount_fen: int
    currency: str
    status: PaymentStatus
    cashier_url: str = Field(description="Where to pay (h5, native); empty inside WeChat.")
    pay_params: PayParams | None = Field(
        default=None,
        description="Inside WeChat (jsapi, miniprogram): the signed parameters for the payer's "
        "WeChat client; asked again, signed afresh for the same prepay (valid two hours, "
        "then renewed).",
    )
    paid_at: datetime | None
    created_at: datetime


def payment_out(payment: Payment, params: dict[str, str] | None) -> PaymentOut:
    answer = PaymentOut.model_validate(payment)
    if params is not None:
        answer.pay_params = PayParams.model_validate(params)
    return answer


class NotificationAck(BaseModel):
    code: str = "SUCCESS"
    message: str = "OK"


class RefundLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_line_id: RowId
    amount_fen: StrictInt = Field(ge=1, le=MAX_LINE_AMOUNT_FEN, description="Fen to give back.")


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
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
    model_config = ConfigDict(extra="forbid")
    sub_mchid: str = Field(min_length=8, max_length=32, pattern=r"^[0-9]+$")


class ApplymentIn(BaseModel):
    """The application form of WeChat Pay's e-commerce onboarding (二级商户进件), as its API
    describes it; personal fields in clear text, encrypted before they leave WeShop."""

    model_config = ConfigDict(extra="forbid")
    form: dict[str, object] = Field(max_length=100)


class CheckoutOrderOut(BaseModel):
    """One order of a checkout: its store and what it costs."""

    order_id: int
    order_no: str
    store_id: int
    store_name: str
    amount_fen: int = Field(description="The order's payable amount.")
    status: str = Field(description="The order's status (pending_payment, paid, cancelled…).")


class CheckoutPaymentOut(BaseModel):
    """How the checkout is paid now: one combined payment of its orders awaiting payment
    (`combined`), the ordinary payment of its one order left to pay (`single`), or nothing
    left to pay (`none`: e.g. its orders cost 0 fen and were paid at once)."""

    checkout_no: str
    kind: Literal["combined", "single", "none"]
    provider: str | None
    channel: PaymentChannel | None
    combine_out_trade_no: str | None = Field(description="The combined payment's number.")
    out_trade_no: str | None = Field(description="The single payment's number.")
    amount_fen: int = Field(description="What this payment takes (0 when nothing is paid).")
    status: PaymentStatus | None
    cashier_url: str = Field(description="Where to pay (h5, native); empty inside WeChat.")
    pay_params: PayParams | None = Field(
        default=None,
        description="Inside WeChat (jsapi, miniprogram): the signed parameters for the payer's "
        "WeChat client.",
    )
    orders: list[CheckoutOrderOut] = Field(description="Every order of the checkout.")
