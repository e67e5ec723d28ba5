from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from weshop.payments.models import PaymentStatus


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
