from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from weshop.accounts.auth import CurrentOperator
from weshop.core.clock import Day
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.core.pagination import DEFAULT_LIMIT, CursorQuery, Limit, Page
from weshop.core.tenancy import StoreScope
from weshop.ledger import fees, service, views
from weshop.ledger.schemas import (
    DayTotalsOut,
    FeeRateIn,
    FeeScheduleOut,
    OrderLedgerOut,
    ReversalIn,
    ReversalOut,
    StatementEntryOut,
    StoreBalanceOut,
    StorePlanIn,
    StorePlanOut,
)
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission

merchant = APIRouter(
    prefix="/api/v1/merchant/stores/{store_id}/finance", tags=["merchant: finance"]
)
platform = APIRouter(prefix="/api/v1/platform/ledger", tags=["platform"])

DayFrom = Annotated[Day | None, Query(description="First business day (China time), inclusive.")]
DayTo = Annotated[Day | None, Query(description="Last business day (China time), inclusive.")]
FINANCE = Permission.FINANCE_READ


@merchant.get("/balance", response_model=StoreBalanceOut)
async def store_balance(session: DbSession, scope: StoreScope = staff_with(FINANCE)):
    """The store's money, summed from the ledger: frozen at the provider until each order's
    after-sales window closes (with the part that will be the platform fee), available,
    platform fee paid, refunded to shoppers, and platform subsidies granted."""
    return await views.store_balance(session, scope)


@merchant.get("/statement", response_model=Page[StatementEntryOut])
async def statement(
    session: DbSession,
    day_from: DayFrom = None,
    day_to: DayTo = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
    scope: StoreScope = staff_with(FINANCE),
):
    """The store's journal entries, newest first, by business day: each with its order and
    what it moved (paid in, frozen, available, fee, refunded, subsidy); cursor pages."""
    return await views.statement(session, scope, day_from, day_to, cursor, limit)


@merchant.get("/statement/days", response_model=list[DayTotalsOut])
async def statement_by_day(
    session: DbSession,
    day_from: DayFrom = None,
    day_to: DayTo = None,
    scope: StoreScope = staff_with(FINANCE),
):
    """Totals per business day with entries, newest first; the last 31 days by default and
    366 at most."""
    return await views.daily_totals(session, scope, day_from, day_to)


@merchant.get(
    "/statement.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One entry a row."}},
)
async def statement_csv(
    session: DbSession,
    day_from: DayFrom = None,
    day_to: DayTo = None,
    scope: StoreScope = staff_with(FINANCE),
):
    """The statement as CSV (UTF-8, oldest first, amounts in fen) for a range of business
    days: the last 31 by default, 366 at most."""
    body = await views.statement_csv(session, scope, day_from, day_to)
    filename = f"statement-{scope.store_id}-{day_from or 'recent'}-{day_to or 'today'}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@merchant.get("/orders/{order_id}", response_model=OrderLedgerOut)
async def order_ledger(
    order_id: PathId, session: DbSession, scope: StoreScope = staff_with(FINANCE)
):
    """One order as the ledger sees it: paid = released + frozen + platform + commission +
    refunded, and every entry with its postings, line by line."""
    return await views.order_ledger(session, scope, order_id)


@platform.get("/balances", response_model=Page[StoreBalanceOut])
async def all_balances(
    operator: CurrentOperator,
    session: DbSession,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """Every store's balance, newest store first; cursor pages."""
    return await views.all_balances(session, cursor, limit)


@platform.get("/fee-schedule", response_model=FeeScheduleOut)
async def fee_schedule(operator: CurrentOperator, session: DbSession):
    """The platform fee schedule: each plan's default rate and the rates set per plan and
    per platform category. An order's rates are fixed when it is paid."""
    return await views.fee_schedule(session)


@platform.put("/fee-rates", response_model=FeeScheduleOut)
async def set_fee_rate(body: FeeRateIn, operator: CurrentOperator, session: DbSession):
    """Set the rate (basis points) of a plan, or of a plan in one platform category and its
    sub-categories (`GET /api/v1/platform/categories` lists them). Orders paid from now on
    pay it; orders already paid keep theirs."""
    await fees.set_rate(session, body.plan, body.platform_category_id, body.rate_bp, operator.id)
    return await views.fee_schedule(session)


@platform.put("/stores/{store_id}/fee-plan", response_model=StorePlanOut)
async def set_store_plan(
    store_id: PathId, body: StorePlanIn, operator: CurrentOperator, session: DbSession
):
    """Put a store on a fee plan (stores start on `basic`)."""
    row = await fees.set_store_plan(session, store_id, body.plan)
    return StorePlanOut(store_id=row.store_id, plan=row.plan)


@platform.post("/entries/{entry_id}/reversals", status_code=201, response_model=ReversalOut)
async def reverse_entry(
    entry_id: PathId, body: ReversalIn, operator: CurrentOperator, session: DbSession
):
    """Correct a journal entry: post its exact opposite (entries are never edited or
    deleted), then post its payment, refund or settlement anew as they stand now. An entry
    is reversed at most once (409)."""
    reversal, reposted = await service.reverse_entry(
        session, entry_id, reason=body.reason, actor_id=operator.id
    )
    return await views.reversal_out(session, reversal, reposted)
