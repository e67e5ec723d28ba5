"""After-sales tables: each store's policy, the requests, and each request's history."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, EncryptedString, TimestampMixin, enum_column


class RequestKind(enum.StrEnum):
    REFUND_ONLY = "refund_only"
    RETURN_AND_REFUND = "return_and_refund"
    EXCHANGE = "exchange"


class RequestStatus(enum.StrEnum):
    REQUESTED = "requested"  # waits for the store
    PROPOSED = "proposed"  # the store proposed another amount: waits for the shopper
    REJECTED = "rejected"  # the store said no: the shopper may edit, escalate or leave it
    AWAITING_RETURN = "awaiting_return"  # approved: waits for the shopper's parcel
    RETURN_SHIPPED = "return_shipped"  # waits for the store to confirm receipt
    AWAITING_EXCHANGE = "awaiting_exchange"  # the return arrived: the store ships a new one
    DISPUTED = "disputed"  # the platform decides
    REFUNDING = "refunding"  # the refund is with the payment provider
    REFUNDED = "refunded"
    EXCHANGED = "exchanged"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


class DisputeOutcome(enum.StrEnum):
    SHOPPER_WON = "shopper_won"
    SHOPPER_LOST = "shopper_lost"


class AftersalesPolicy(TimestampMixin, Base):
    """A store's after-sales settings: where returns go, how long each side may take to
    answer (within the platform's bounds), and the fast-refund threshold. A store without a
    row has the defaults."""

    __tablename__ = "aftersales_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), unique=True)
    return_recipient: Mapped[str] = mapped_column(
        EncryptedString("aftersales_policies.return_recipient"), default=""
    )
    return_phone: Mapped[str] = mapped_column(
        EncryptedString("aftersales_policies.return_phone"), default=""
    )
    return_address: Mapped[str] = mapped_column(
        EncryptedString("aftersales_policies.return_address"), default=""
    )
    store_answer_hours: Mapped[int] = mapped_column(default=48)
    shopper_ship_days: Mapped[int] = mapped_column(default=7)
    store_receive_days: Mapped[int] = mapped_column(default=7)
    shopper_answer_days: Mapped[int] = mapped_column(default=7)
    fast_refund_threshold_fen: Mapped[int] = mapped_column(default=5000)


class AftersalesRequest(TimestampMixin, Base):
    __tablename__ = "aftersales_requests"
    __table_args__ = (
        Index("ix_aftersales_store_list", "store_id", "status", "created_at"),
        Index("ix_aftersales_user_list", "user_id", "created_at"),
        Index("ix_aftersales_line", "order_line_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_no: Mapped[str] = mapped_column(String(32), unique=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[RequestKind] = mapped_column(enum_column(RequestKind, 24))
    status: Mapped[RequestStatus] = mapped_column(
        enum_column(RequestStatus, 24), default=RequestStatus.REQUESTED
    )
    reason_code: Mapped[str] = mapped_column(String(32))
    # Free text the shopper typed: personal data, encrypted at rest.
    note: Mapped[str] = mapped_column(EncryptedString("aftersales_requests.note"), default="")
    photo_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    quantity: Mapped[int]
    # The most this request may give back (line share and, when due, the shipping), fixed
    # at creation (lowered only when a deadline finds less left, see
    # ``service.deadline_passed``); ``amount_fen`` is the amount on the table now.
    max_fen: Mapped[int]
    shipping_fen: Mapped[int] = mapped_column(default=0)
    amount_fen: Mapped[int]
    proposed_fen: Mapped[int | None]
    fast: Mapped[bool] = mapped_column(default=False)
    return_carrier: Mapped[str] = mapped_column(String(40), default="")
    return_tracking_no: Mapped[str] = mapped_column(String(40), default="")
    exchange_carrier: Mapped[str] = mapped_column(String(40), default="")
    exchange_tracking_no: Mapped[str] = mapped_column(String(40), default="")
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"), unique=True)
    dispute_outcome: Mapped[DisputeOutcome | None] = mapped_column(enum_column(DisputeOutcome, 16))
    escalated_at: Mapped[datetime | None]
    # The waiting state's deadline; ``step`` counts transitions so that a deadline written
    # for an earlier step never acts on a later one.
    deadline_at: Mapped[datetime | None]
    step: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None]


class AftersalesStep(Base):
    """One step of a request's negotiation, shown to both sides."""

    __tablename__ = "aftersales_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("aftersales_requests.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(24))
    amount_fen: Mapped[int | None]
    note: Mapped[str] = mapped_column(EncryptedString("aftersales_steps.note"), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
