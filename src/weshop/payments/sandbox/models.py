"""The sandbox provider's own tables, in its own database (the provider is not WeShop)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from weshop.core.db import BigInt, UTCDateTime


class SandboxBase(DeclarativeBase):
    type_annotation_map = {int: BigInt, datetime: UTCDateTime()}  # noqa: RUF012


class SandboxTransaction(SandboxBase):
    __tablename__ = "sandbox_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    transaction_id: Mapped[str] = mapped_column(String(40), unique=True)
    amount_fen: Mapped[int]
    description: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # open | paid | closed
    refunded_fen: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class SandboxCombined(SandboxBase):
    """One payment of several transactions (a checkout's orders of several stores): paid,
    or closed, together. Its own table, so that a sandbox database made before it exists
    gains it on start (``create_all``)."""

    __tablename__ = "sandbox_combined"

    id: Mapped[int] = mapped_column(primary_key=True)
    combine_out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    # The parts' out_trade_no, space-separated, in the order they were given.
    out_trade_nos: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # open | paid | closed
    expires_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class SandboxRefund(SandboxBase):
    __tablename__ = "sandbox_refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    out_refund_no: Mapped[str] = mapped_column(String(32), unique=True)
    refund_id: Mapped[str] = mapped_column(String(40), unique=True)
    out_trade_no: Mapped[str] = mapped_column(String(32), index=True)
    amount_fen: Mapped[int]
    created_at: Mapped[datetime]


class SandboxDelivery(SandboxBase):
    """A callback to send, retried on the schedule until WeShop acknowledges it."""

    __tablename__ = "sandbox_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[str] = mapped_column(String(40), unique=True)
    url: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    delivered_at: Mapped[datetime | None]
    last_status: Mapped[int | None]
