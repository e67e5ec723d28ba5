"""What the finance API answers and accepts. Amounts are fen; changes are signed."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from weshop.core.ids import RowId
from weshop.ledger.fees import MAX_RATE_BP
from weshop.ledger.models import AccountKind, EntryKind, StorePlan


class StoreBalanceOut(BaseModel):
    store_id: int
    paid_fen: int = Field(description="Everything shoppers paid the store, refunds included.")
    frozen_fen: int = Field(
        description="Held at the provider until each order's after-sales window closes; "
        "includes fee_due_fen and subsidy_due_fen."
    )
    fee_due_fen: int = Field(description="Part of the frozen money that will be the platform fee.")
    subsidy_due_fen: int = Field(
        description="Platform-funded discounts the platform will pay at settlement."
    )
    available_fen: int = Field(description="Released to the store.")
    fee_paid_fen: int = Field(description="Platform fee taken at settlement.")
    refunded_fen: int = Field(description="Paid back to shoppers.")
    subsidy_fen: int = Field(description="Platform subsidies granted, net of refunds.")
    commission_fen: int = Field(
        description="Promoters' commission cut from the store's share at settlement, net of "
        "claw-backs."
    )
    commission_held_fen: int = Field(
        description="Of it, what the store still holds at the provider: commission owed to "
        "promoters without a payout account, less claw-backs promoters owe the store back "
        "(negative when they owe more). The store's money at the provider is available_fen "
        "plus this."
    )


class StatementEntryOut(BaseModel):
    entry_id: int
    kind: EntryKind
    day: date = Field(description="The business day (China time).")
    created_at: datetime
    order_id: int
    order_no: str
    memo: str
    reverses_entry_id: int | None
    paid_fen: int = Field(description="Money that came in from the shopper.")
    frozen_fen: int = Field(description="Change of the frozen money (fee and subsidy due too).")
    available_fen: int = Field(description="Change of the available money.")
    fee_fen: int = Field(description="Platform fee taken (negative: given back).")
    refunded_fen: int = Field(description="Money paid back to the shopper.")
    subsidy_fen: int = Field(description="Platform subsidy granted (negative: taken back).")


class DayTotalsOut(BaseModel):
    day: date
    entries: int
    paid_fen: int
    frozen_fen: int
    available_fen: int
    fee_fen: int
    refunded_fen: int
    subsidy_fen: int


class PostingOut(BaseModel):
    account: AccountKind
    order_line_id: int | None = Field(description="None: the shipping, or the whole order.")
    amount_fen: int


class EntryOut(BaseModel):
    id: int
    kind: EntryKind
    order_id: int
    payment_id: int | None
    refund_id: int | None
    reverses_entry_id: int | None
    memo: str
    day: date
    created_at: datetime
    postings: list[PostingOut]


class OrderLedgerOut(BaseModel):
    """One order's money: paid = released + frozen + platform + commission + refunded."""

    order_id: int
    order_no: str
    settled: bool
    paid_fen: int
    store_frozen_fen: int
    store_released_fen: int
    platform_fen: int = Field(description="Fee received less subsidies given by the platform.")
    commission_fen: int = Field(description="Promoters' commissions (none yet).")
    refunded_fen: int
    fee_fen: int = Field(description="The order's platform fee, due or taken.")
    entries: list[EntryOut]


class FeeRateIn(BaseModel):
    # A field it does not know (a client still sending the old store ``category_id``) is
    # refused: ignored, it would set the whole plan's rate.
    model_config = ConfigDict(extra="forbid")
    plan: StorePlan
    platform_category_id: RowId | None = Field(
        None, description="A platform category (its sub-categories too); none: the plan's rate."
    )
    rate_bp: StrictInt = Field(ge=0, le=MAX_RATE_BP, description="Basis points: 500 is 5%.")


class FeeRateOut(BaseModel):
    id: int
    plan: StorePlan
    platform_category_id: int | None
    rate_bp: int
    updated_at: datetime


class FeeScheduleOut(BaseModel):
    defaults: dict[StorePlan, int] = Field(description="Each plan's rate when none is set.")
    rates: list[FeeRateOut]


class StorePlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan: StorePlan


class StorePlanOut(BaseModel):
    store_id: int
    plan: StorePlan


class ReversalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=160)


class ReversalOut(BaseModel):
    reversal: EntryOut
    reposted: EntryOut | None = Field(
        description="The entry posted anew from its payment, refund or order as it stands "
        "now; none when the source no longer stands, or for a settlement made before its "
        "window closed (queued again for when it does)."
    )
