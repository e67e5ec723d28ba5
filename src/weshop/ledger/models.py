"""Ledger tables: accounts, journal entries and their postings; the platform fee schedule.

Entries and postings are append-only: the ORM refuses to update or delete them, and a
correction is a new reversal entry. Balances are never stored, always summed from postings.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, TimestampMixin, enum_column


class AccountKind(enum.StrEnum):
    """Who a fen belongs to and where it sits; see :mod:`weshop.ledger.chart_of_accounts`."""

    PROVIDER_CLEARING = "provider_clearing"
    STORE_FROZEN = "store_frozen"
    STORE_FEE_HELD = "store_fee_held"
    STORE_SUBSIDY_DUE = "store_subsidy_due"
    STORE_AVAILABLE = "store_available"
    SHOPPER_REFUNDS = "shopper_refunds"
    PLATFORM_FEE = "platform_fee"
    PLATFORM_SUBSIDY = "platform_subsidy"
    PROMOTER_COMMISSION = "promoter_commission"
    COMMISSION_OWED = "commission_owed"
    COMMISSION_CLAWBACK = "commission_clawback"


class AccountOwner(enum.StrEnum):
    STORE = "store"
    PLATFORM = "platform"
    PROMOTER = "promoter"
    # Counterparties outside WeShop's books: the payment provider, the shoppers.
    EXTERNAL = "external"


class EntryKind(enum.StrEnum):
    PAYMENT = "payment"
    # A payment the order no longer awaited (cancelled, or paid already): it goes back in full.
    UNEXPECTED_PAYMENT = "unexpected_payment"
    REFUND = "refund"
    # A paid order that cost nothing was cancelled: no money goes back, the subsidy is undone.
    CANCELLATION = "cancellation"
    SETTLEMENT = "settlement"
    REVERSAL = "reversal"


class StorePlan(enum.StrEnum):
    BASIC = "basic"
    ADVANCED = "advanced"


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "store_frozen:12" for a store's account, "platform_fee" for the platform's,
    # "promoter_commission:p7" for a promoter's.
    code: Mapped[str] = mapped_column(String(48), unique=True)
    kind: Mapped[AccountKind] = mapped_column(enum_column(AccountKind, 24))
    owner: Mapped[AccountOwner] = mapped_column(enum_column(AccountOwner, 16))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), index=True)
    # The promoter of a commission account (a promoter of the alliance pool, a domain above
    # the ledger: the id only, no foreign key).
    promoter_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class JournalEntry(Base):
    __tablename__ = "journal_entries"
    __table_args__ = (
        Index("ix_journal_entries_statement", "store_id", "created_at", "id"),
        Index("ix_journal_entries_store_day", "store_id", "business_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind, 24))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))
    # The event posted ("payment:7"); the same event is posted again only after a reversal.
    source_key: Mapped[str] = mapped_column(String(64), index=True)
    # Unique: a replayed hook finds its key taken and posts nothing.
    idempotency_key: Mapped[str] = mapped_column(String(72), unique=True)
    reverses_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("journal_entries.id"), unique=True
    )
    memo: Mapped[str] = mapped_column(String(200), default="")
    # The calendar day in China time, for statements by day.
    business_day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Posting(Base):
    __tablename__ = "postings"
    __table_args__ = (
        # A store's balance is an index-only sum on PostgreSQL.
        Index("ix_postings_store_balance", "store_id", "account_id", "amount_fen"),
        Index("ix_postings_order", "order_id", "account_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    # None: the order's shipping, or the order as a whole.
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"))
    # Signed fen; the postings of one entry sum to zero.
    amount_fen: Mapped[int]


class FeeRate(TimestampMixin, Base):
    """The platform fee of a plan, or of a plan for one platform category (and below it)."""

    __tablename__ = "fee_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "basic" or "basic:category:12": unique where a NULL category could not be.
    scope_key: Mapped[str] = mapped_column(String(48), unique=True)
    plan: Mapped[StorePlan] = mapped_column(enum_column(StorePlan, 16))
    platform_category_id: Mapped[int | None] = mapped_column(
        ForeignKey("platform_categories.id"), index=True
    )
    rate_bp: Mapped[int]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class StoreFeePlan(TimestampMixin, Base):
    """The plan a store pays its platform fee under; a store without a row is on BASIC."""

    __tablename__ = "store_fee_plans"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), primary_key=True)
    plan: Mapped[StorePlan] = mapped_column(enum_column(StorePlan, 16))


class OrderFeeTerms(Base):
    """The fee rates of an order, fixed when it was paid: later schedule changes never
    reach an order already paid."""

    __tablename__ = "order_fee_terms"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    plan: Mapped[StorePlan] = mapped_column(enum_column(StorePlan, 16))
    shipping_rate_bp: Mapped[int]
    # {"<order_line_id>": rate_bp}
    line_rates: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _refuse_change(_mapper: Any, _connection: Any, target: Any) -> None:
    raise RuntimeError(
        f"{type(target).__name__} rows are append-only: post a reversal entry instead"
    )


for _model in (JournalEntry, Posting):
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)
