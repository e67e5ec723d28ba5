"""Store finance, read from the ledger: balances, the statement by day, its CSV, an order's
ledger; and the platform operator's view of every store's balance."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.clock import utcnow
from weshop.core.errors import InvalidInput, NotFound
from weshop.core.pagination import Page, page_of, paginate
from weshop.core.tenancy import StoreScope
from weshop.ledger import fees
from weshop.ledger import repository as repo
from weshop.ledger.chart_of_accounts import Term, term_totals
from weshop.ledger.journal import business_day
from weshop.ledger.models import AccountKind, JournalEntry, Posting
from weshop.ledger.schemas import (
    DayTotalsOut,
    EntryOut,
    FeeRateOut,
    FeeScheduleOut,
    OrderLedgerOut,
    PostingOut,
    ReversalOut,
    StatementEntryOut,
    StoreBalanceOut,
)
from weshop.orders.models import Order
from weshop.stores.models import Store

K = AccountKind
DEFAULT_STATEMENT_DAYS = 31
MAX_STATEMENT_DAYS = 366
CSV_COLUMNS = (
    "entry_id",
    "day",
    "created_at",
    "kind",
    "order_id",
    "order_no",
    "paid_fen",
    "frozen_fen",
    "available_fen",
    "fee_fen",
    "refunded_fen",
    "subsidy_fen",
    "reverses_entry_id",
    "memo",
)


def balance_of(store_id: int, by_kind: dict[AccountKind, int]) -> StoreBalanceOut:
    def held(kind: AccountKind) -> int:
        return by_kind.get(kind, 0)

    return StoreBalanceOut(
        store_id=store_id,
        paid_fen=-held(K.PROVIDER_CLEARING),
        frozen_fen=held(K.STORE_FROZEN) + held(K.STORE_FEE_HELD) + held(K.STORE_SUBSIDY_DUE),
        fee_due_fen=held(K.STORE_FEE_HELD),
        subsidy_due_fen=held(K.STORE_SUBSIDY_DUE),
        available_fen=held(K.STORE_AVAILABLE),
        fee_paid_fen=held(K.PLATFORM_FEE),
        refunded_fen=held(K.SHOPPER_REFUNDS),
        subsidy_fen=-held(K.PLATFORM_SUBSIDY),
        commission_fen=held(K.PROMOTER_COMMISSION)
        + held(K.COMMISSION_OWED)
        + held(K.COMMISSION_CLAWBACK),
        commission_held_fen=held(K.COMMISSION_OWED) + held(K.COMMISSION_CLAWBACK),
    )


def _changes(by_kind: dict[AccountKind, int]) -> dict[str, int]:
    balance = balance_of(0, by_kind)
    return {
        "paid_fen": balance.paid_fen,
        "frozen_fen": balance.frozen_fen,
        "available_fen": balance.available_fen,
        "fee_fen": balance.fee_paid_fen,
        "refunded_fen": balance.refunded_fen,
        "subsidy_fen": balance.subsidy_fen,
    }


async def store_balance(session: AsyncSession, scope: StoreScope) -> StoreBalanceOut:
    balances = await repo.store_balances(session, [scope.store_id])
    return balance_of(scope.store_id, balances[scope.store_id])


async def all_balances(
    session: AsyncSession, cursor: str | None, limit: int
) -> Page[StoreBalanceOut]:
    """Every store's balance, newest store first."""
    stores = list(await session.scalars(paginate(select(Store), Store, cursor, limit)))
    balances = await repo.store_balances(session, [store.id for store in stores])
    return page_of(stores, limit, lambda store: balance_of(store.id, balances[store.id]))


def day_range(day_from: date | None, day_to: date | None) -> tuple[date, date]:
    """A bounded range of business days: by default the last 31 up to today."""
    day_to = day_to or business_day(utcnow())
    day_from = day_from or day_to - timedelta(days=DEFAULT_STATEMENT_DAYS - 1)
    if day_from > day_to or (day_to - day_from).days >= MAX_STATEMENT_DAYS:
        raise InvalidInput(
            f"give a range of 1 to {MAX_STATEMENT_DAYS} days, the first not after the last",
            code="invalid_day_range",
        )
    return day_from, day_to


def _statement_entry(
    entry: JournalEntry, order_no: str, by_kind: dict[AccountKind, int]
) -> StatementEntryOut:
    return StatementEntryOut(
        entry_id=entry.id,
        kind=entry.kind,
        day=entry.business_day,
        created_at=entry.created_at,
        order_id=entry.order_id,
        order_no=order_no,
        memo=entry.memo,
        reverses_entry_id=entry.reverses_entry_id,
        **_changes(by_kind),
    )


async def statement(
    session: AsyncSession,
    scope: StoreScope,
    day_from: date | None,
    day_to: date | None,
    cursor: str | None,
    limit: int,
) -> Page[StatementEntryOut]:
    """The store's entries, newest first, each with what it moved and its order."""
    if day_from and day_to and day_from > day_to:
        raise InvalidInput("the first day is after the last", code="invalid_day_range")
    query = paginate(
        repo.store_entries(scope.store_id, day_from, day_to), JournalEntry, cursor, limit
    )
    rows = (await session.execute(query)).all()
    entries = [entry for entry, _ in rows]
    order_nos = {entry.id: order_no for entry, order_no in rows}
    changes = await repo.entry_changes(session, [entry.id for entry in entries[:limit]])
    return page_of(
        entries,
        limit,
        lambda entry: _statement_entry(entry, order_nos[entry.id], changes[entry.id]),
    )


async def daily_totals(
    session: AsyncSession, scope: StoreScope, day_from: date | None, day_to: date | None
) -> list[DayTotalsOut]:
    """Per business day with entries, newest first: what moved in each column."""
    day_from, day_to = day_range(day_from, day_to)
    changes, counts = await repo.daily_changes(session, scope.store_id, day_from, day_to)
    return [
        DayTotalsOut(day=day, entries=counts[day], **_changes(changes.get(day, {})))
        for day in sorted(counts, reverse=True)
    ]


def _cell(text: str) -> str:
    # A spreadsheet would run a cell starting with one of these as a formula.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def statement_csv(
    session: AsyncSession, scope: StoreScope, day_from: date | None, day_to: date | None
) -> str:
    """The statement of a range of days as CSV, oldest first, one entry a row."""
    day_from, day_to = day_range(day_from, day_to)
    query = repo.store_entries(scope.store_id, day_from, day_to).order_by(
        JournalEntry.created_at, JournalEntry.id
    )
    rows = (await session.execute(query)).all()
    changes = await repo.entry_changes_in_range(session, scope.store_id, day_from, day_to)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry, order_no in rows:
        row = _statement_entry(entry, order_no, changes.get(entry.id, {})).model_dump(mode="json")
        row["memo"], row["order_no"] = _cell(row["memo"]), _cell(row["order_no"])
        writer.writerow(["" if row[column] is None else row[column] for column in CSV_COLUMNS])
    return out.getvalue()


async def order_ledger(session: AsyncSession, scope: StoreScope, order_id: int) -> OrderLedgerOut:
    """One of the store's orders as the ledger sees it: its terms and every entry."""
    found = (
        await session.execute(
            select(Order.id, Order.order_no).where(
                Order.id == order_id, Order.store_id == scope.store_id
            )
        )
    ).first()
    if found is None:
        raise NotFound("no such order")
    entries = await repo.order_entries(session, order_id)
    postings = await repo.postings_with_kinds(session, [entry.id for entry in entries])
    by_kind: dict[AccountKind, int] = {}
    for rows in postings.values():
        for posting, kind in rows:
            by_kind[kind] = by_kind.get(kind, 0) + posting.amount_fen
    terms = term_totals(by_kind)
    return OrderLedgerOut(
        order_id=found.id,
        order_no=found.order_no,
        settled=await repo.is_settled(session, order_id),
        paid_fen=terms[Term.PAID],
        store_frozen_fen=terms[Term.STORE_FROZEN],
        store_released_fen=terms[Term.STORE_RELEASED],
        platform_fen=terms[Term.PLATFORM],
        commission_fen=terms[Term.COMMISSION],
        refunded_fen=terms[Term.REFUNDED],
        fee_fen=by_kind.get(K.STORE_FEE_HELD, 0) + by_kind.get(K.PLATFORM_FEE, 0),
        entries=[entry_out(entry, postings.get(entry.id, [])) for entry in entries],
    )


def entry_out(entry: JournalEntry, postings: list[tuple[Posting, AccountKind]]) -> EntryOut:
    return EntryOut(
        id=entry.id,
        kind=entry.kind,
        order_id=entry.order_id,
        payment_id=entry.payment_id,
        refund_id=entry.refund_id,
        reverses_entry_id=entry.reverses_entry_id,
        memo=entry.memo,
        day=entry.business_day,
        created_at=entry.created_at,
        postings=[
            PostingOut(account=kind, order_line_id=p.order_line_id, amount_fen=p.amount_fen)
            for p, kind in postings
        ],
    )


async def fee_schedule(session: AsyncSession) -> FeeScheduleOut:
    return FeeScheduleOut(
        defaults=fees.DEFAULT_RATES_BP,
        rates=[
            FeeRateOut(
                id=rate.id,
                plan=rate.plan,
                platform_category_id=rate.platform_category_id,
                rate_bp=rate.rate_bp,
                updated_at=rate.updated_at,
            )
            for rate in await fees.all_rates(session)
        ],
    )


async def reversal_out(
    session: AsyncSession, reversal: JournalEntry, reposted: JournalEntry | None
) -> ReversalOut:
    """A reversal as the API shows it: the reversing entry and the entry posted anew."""
    entries = [reversal, *([reposted] if reposted else [])]
    postings = await repo.postings_with_kinds(session, [entry.id for entry in entries])
    return ReversalOut(
        reversal=entry_out(reversal, postings.get(reversal.id, [])),
        reposted=entry_out(reposted, postings.get(reposted.id, [])) if reposted else None,
    )
