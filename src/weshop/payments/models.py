from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, EncryptedString, TimestampMixin, enum_column

# The provider name of a payment of 0 fen: an order that costs nothing is paid at once,
# without any provider (WeChat Pay refuses a transaction of 0).
NO_PROVIDER = "none"


class PaymentChannel(enum.StrEnum):
    """Where the payer pays: a mobile browser (H5), a QR code (Native), a page opened in
    WeChat (JSAPI, 公众号) or a mini-program. The last two pay under a WeChat app, as the
    payer's openid of that app."""

    H5 = "h5"
    NATIVE = "native"
    JSAPI = "jsapi"
    MINIPROGRAM = "miniprogram"


IN_APP_CHANNELS = frozenset({PaymentChannel.JSAPI, PaymentChannel.MINIPROGRAM})


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    CLOSED = "closed"


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class CombinedPayment(TimestampMixin, Base):
    """One payment by the shopper of every unpaid order of a checkout with several stores
    (WeChat Pay's 合单支付; one sandbox payment). Each order keeps its own :class:`Payment`
    (its part, paid to its store), so refunds, settlement and the ledger stay per order."""

    __tablename__ = "combined_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    checkout_no: Mapped[str] = mapped_column(String(32), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    combine_out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    amount_fen: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[PaymentStatus] = mapped_column(
        enum_column(PaymentStatus, 16), default=PaymentStatus.PENDING
    )
    cashier_url: Mapped[str] = mapped_column(String(300), default="")
    channel: Mapped[PaymentChannel] = mapped_column(
        enum_column(PaymentChannel, 16), default=PaymentChannel.H5
    )
    appid: Mapped[str | None] = mapped_column(String(32))
    prepay_id: Mapped[str | None] = mapped_column(String(64))
    prepay_expires_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class Payment(TimestampMixin, Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    provider: Mapped[str] = mapped_column(String(20))
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    amount_fen: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[PaymentStatus] = mapped_column(
        enum_column(PaymentStatus, 16), default=PaymentStatus.PENDING
    )
    cashier_url: Mapped[str] = mapped_column(String(300), default="")
    channel: Mapped[PaymentChannel] = mapped_column(
        enum_column(PaymentChannel, 16), default=PaymentChannel.H5
    )
    # In-app channels: the WeChat app paid under, and the provider's prepay id that the
    # payer's client is handed (signed afresh each time) until it expires.
    appid: Mapped[str | None] = mapped_column(String(32))
    prepay_id: Mapped[str | None] = mapped_column(String(64))
    prepay_expires_at: Mapped[datetime | None]
    provider_transaction_id: Mapped[str | None] = mapped_column(String(64))
    paid_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # At the provider when the order settled (None before): the platform fee split off,
    # and the platform's subsidy paid in.
    fee_split_fen: Mapped[int | None]
    subsidy_paid_fen: Mapped[int | None]
    # The combined payment this is a part of (paid, closed and queried with it), if any.
    combined_payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("combined_payments.id"), index=True
    )


class Refund(TimestampMixin, Base):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    out_refund_no: Mapped[str] = mapped_column(String(32), unique=True)
    amount_fen: Mapped[int]
    # Typed by the shopper (a cancel reason) or staff: personal data, encrypted at rest.
    reason: Mapped[str] = mapped_column(EncryptedString("refunds.reason"), default="")
    status: Mapped[RefundStatus] = mapped_column(
        enum_column(RefundStatus, 16), default=RefundStatus.PENDING
    )
    provider_refund_id: Mapped[str | None] = mapped_column(String(64))
    succeeded_at: Mapped[datetime | None]
    failure_reason: Mapped[str] = mapped_column(String(200), default="")
    # Of a settled order: the fee the platform gave back to the store before this refund.
    fee_returned_fen: Mapped[int] = mapped_column(default=0)
    # ...and the platform subsidy it took back after this refund.
    subsidy_returned_fen: Mapped[int] = mapped_column(default=0)


class RefundPart(Base):
    """What a refund gives back of one part of its order: a line, or the shipping (None).

    Decided when the refund is requested, so that pending refunds count against what is
    left to refund, and the ledger posts exactly these amounts when the refund succeeds.
    """

    __tablename__ = "refund_parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"))
    amount_fen: Mapped[int]


class NotificationOutcome(enum.StrEnum):
    APPLIED = "applied"
    ALREADY_APPLIED = "already_applied"
    UNKNOWN_PAYMENT = "unknown_payment"
    AMOUNT_MISMATCH = "amount_mismatch"
    REFUND_STARTED = "refund_started"  # paid after the order was cancelled: money goes back


class PaymentNotification(Base):
    """Each verified provider notification, stored once (unique per provider and id)."""

    __tablename__ = "payment_notifications"
    __table_args__ = (UniqueConstraint("provider", "notification_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    notification_id: Mapped[str] = mapped_column(String(64))
    out_trade_no: Mapped[str] = mapped_column(String(32), index=True)
    amount_fen: Mapped[int]
    outcome: Mapped[NotificationOutcome] = mapped_column(enum_column(NotificationOutcome, 24))
    detail: Mapped[str] = mapped_column(String(200), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class StorePaymentAccount(TimestampMixin, Base):
    """A store's account at a provider that pays each store directly (WeChat Pay partner
    mode): its sub-merchant number once known, and the onboarding application behind it."""

    __tablename__ = "store_payment_accounts"
    __table_args__ = (UniqueConstraint("store_id", "provider"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    sub_mchid: Mapped[str | None] = mapped_column(String(32))
    out_request_no: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The provider's word on the application (CHECKING, AUDITING, FINISH, REJECTED…).
    applyment_state: Mapped[str] = mapped_column(String(32), default="")
