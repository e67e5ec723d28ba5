"""The merchant console's finance: frozen and available money, the statement by business
day with each entry linked to its order, and the statement's CSV (the finance API's own)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from weshop.core.clock import Day
from weshop.core.errors import InvalidInput
from weshop.core.http import DbSession
from weshop.ledger import views
from weshop.ledger.models import EntryKind
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff
from weshop.stores.permissions import Permission
from weshop.web.console_forms import N_
from weshop.web.csrf import verify_csrf
from weshop.web.i18n import gettext

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

Finance = console_staff(Permission.FINANCE_READ)
ENTRIES_PER_PAGE = 50
KIND_LABELS = {
    EntryKind.PAYMENT: N_("Payment"),
    EntryKind.UNEXPECTED_PAYMENT: N_("Payment returned"),
    EntryKind.REFUND: N_("Refund"),
    EntryKind.CANCELLATION: N_("Free order cancelled"),
    EntryKind.SETTLEMENT: N_("Settlement"),
    EntryKind.REVERSAL: N_("Correction"),
}
DayQuery = Annotated[Day | None, Query()]


@router.get("/finance")
async def finance_page(
    request: Request,
    session: DbSession,
    day_from: DayQuery = None,
    day_to: DayQuery = None,
    day: DayQuery = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    access: ConsoleAccess = Finance,
) -> Response:
    """Balances; totals per day of the range (the last 31 days by default); the entries of
    the chosen day (the latest day with entries by default)."""
    problem = None
    try:
        days = await views.daily_totals(session, access.scope, day_from, day_to)
    except InvalidInput:
        problem = gettext(request, "Choose a range of 1 to 366 days, the first not after the last.")
        day_from = day_to = None
        days = await views.daily_totals(session, access.scope, None, None)
    chosen = day or (days[0].day if days else None)
    entries = None
    if chosen is not None:
        entries = await views.statement(
            session, access.scope, chosen, chosen, cursor, ENTRIES_PER_PAGE
        )
    return console_page(
        request,
        "ledger/console/finance/index.html",
        access,
        "finance",
        {
            "balance": await views.store_balance(session, access.scope),
            "days": days,
            "day_from": day_from,
            "day_to": day_to,
            "chosen": chosen,
            "entries": entries,
            "kind_label": lambda kind: gettext(request, KIND_LABELS.get(kind, kind)),
            "problem": problem,
        },
        status_code=422 if problem else 200,
    )


@router.get("/finance/statement.csv")
async def statement_csv(
    session: DbSession,
    day_from: DayQuery = None,
    day_to: DayQuery = None,
    access: ConsoleAccess = Finance,
) -> Response:
    """The same CSV as the finance API: oldest first, amounts in fen."""
    body = await views.statement_csv(session, access.scope, day_from, day_to)
    name = f"statement-{access.store.id}-{day_from or 'recent'}-{day_to or 'today'}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
