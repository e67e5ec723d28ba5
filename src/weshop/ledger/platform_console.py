"""The platform console's money pages: fee rates by plan and category, each store's plan,
the settlements view (every store's money: frozen, released, fee, refunds, subsidies), and
the reconciliation of a day's payments and refunds with the provider and the ledger."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import TypeAdapter, ValidationError
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import PageOperator
from weshop.catalog.platform_categories import platform_tree
from weshop.core.clock import Day
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import RowId
from weshop.ledger import fees, views
from weshop.ledger.models import StorePlan
from weshop.ledger.reconciliation import ProviderRecordsUnavailable, reconcile_day
from weshop.ledger.schemas import FeeRateIn
from weshop.payments import sub_merchants
from weshop.payments.providers import payment_setup
from weshop.payments.wechatpay.transactions import BEIJING
from weshop.stores import service as stores
from weshop.web.console_forms import N_
from weshop.web.csrf import verify_csrf
from weshop.web.errors import error_message
from weshop.web.forms import posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.templating import render

router = APIRouter(prefix="/platform", dependencies=[Depends(verify_csrf)])

RATE_ERROR = N_("Enter a rate from 0 to 100 percent, e.g. 4.5.")
CHOICE_ERROR = N_("Choose one of the options.")
Cursor = Annotated[str | None, Query(max_length=200)]
STORE_ID = TypeAdapter(RowId)


def percent_to_bp(text: str) -> int | None:
    """``"4.5"`` (percent) -> ``450`` basis points; None when it is not such a number."""
    try:
        percent = Decimal(text.strip().rstrip("%"))
    except InvalidOperation:
        return None
    basis_points = percent * 100
    if basis_points != basis_points.to_integral_value() or not 0 <= basis_points <= 10000:
        return None
    return int(basis_points)


async def _fees_page(
    request: Request,
    session: DbSession,
    *,
    errors: dict[str, str] | None = None,
    values: dict | None = None,
    status_code: int = 200,
) -> Response:
    schedule = await views.fee_schedule(session)
    tree = await platform_tree(session, with_retired=True)
    # The stores' plans are picked from the list, narrowed by a name search (never a typed id).
    store_q = request.query_params.get("store_q", "").strip()[:30]
    all_stores = [
        store
        for store in await stores.all_stores(session)
        if store_q.casefold() in store.name.casefold()
    ]
    plans = await fees.store_plans(session, [store.id for store in all_stores])
    return render(
        request,
        "ledger/platform/fees.html",
        {
            "section": "fees",
            "schedule": schedule,
            "categories": [category for category in tree if not category.retired],
            "category_names": {category.id: category.name for category in tree},
            "stores": all_stores,
            "store_q": store_q,
            "plans": plans,
            "plan_names": list(StorePlan),
            "errors": errors or {},
            "values": values or {},
            "done": request.query_params.get("done", ""),
        },
        status_code=status_code,
    )


@router.get("/fees")
async def fees_page(request: Request, operator: PageOperator, session: DbSession) -> Response:
    return await _fees_page(request, session)


@router.post("/fees/rates")
async def set_rate(request: Request, operator: PageOperator, session: DbSession) -> Response:
    """A plan's rate, or a category's within a plan; new orders pay it from their payment."""
    values = await posted_values(request)
    errors: dict[str, str] = {}
    rate_bp = percent_to_bp(str(values.get("rate_percent", "")))
    if rate_bp is None:
        errors["rate_percent"] = gettext(request, RATE_ERROR)
    try:
        body = FeeRateIn.model_validate(
            {
                "plan": values.get("plan"),
                "platform_category_id": values.get("platform_category_id") or None,
                "rate_bp": rate_bp if rate_bp is not None else 0,
            },
            strict=False,
        )
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error.get("loc") else "__all__"
            errors.setdefault(name, gettext(request, CHOICE_ERROR))
    if errors:
        return await _fees_page(request, session, errors=errors, values=values, status_code=422)
    try:
        async with undo_on_error(session):
            await fees.set_rate(
                session, body.plan, body.platform_category_id, body.rate_bp, operator.id
            )
    except WeShopError as exc:
        errors = {"platform_category_id": error_message(request, exc.code, exc.message)}
        return await _fees_page(
            request, session, errors=errors, values=values, status_code=exc.status_code
        )
    return RedirectResponse("/platform/fees?done=rate", 303)


@router.post("/fees/plans")
async def set_plan(request: Request, operator: PageOperator, session: DbSession) -> Response:
    values = await posted_values(request)
    try:
        store_id = STORE_ID.validate_python(values.get("store_id"), strict=False)
        plan = StorePlan(str(values.get("plan", "")))
    except (ValidationError, ValueError):
        errors = {"store_plan": gettext(request, CHOICE_ERROR)}
        return await _fees_page(request, session, errors=errors, values=values, status_code=422)
    await fees.set_store_plan(session, store_id, plan)
    return RedirectResponse(f"/platform/fees?done=plan#store-{store_id}", 303)


@router.get("/settlements")
async def settlements(
    request: Request, operator: PageOperator, session: DbSession, cursor: Cursor = None
) -> Response:
    """Every store's money as the ledger mirrors it at the provider, newest store first."""
    balances = await views.all_balances(session, cursor, 50)
    names = {store.id: store.name for store in await stores.all_stores(session)}
    totals = {
        name: sum(getattr(balance, name) for balance in balances.items)
        for name in (
            "paid_fen",
            "frozen_fen",
            "available_fen",
            "fee_paid_fen",
            "fee_due_fen",
            "refunded_fen",
            "subsidy_fen",
        )
    }
    return render(
        request,
        "ledger/platform/settlements.html",
        {"section": "settlements", "balances": balances, "names": names, "totals": totals},
    )


def _yesterday_in_china() -> date:
    return (datetime.now(BEIJING) - timedelta(days=1)).date()


@router.get("/reconciliation")
async def reconciliation(
    request: Request,
    operator: PageOperator,
    session: DbSession,
    runtime: RuntimeDep,
    day: Annotated[Day | None, Query(alias="date")] = None,
    provider: Annotated[Literal["sandbox", "wechatpay"] | None, Query()] = None,
) -> Response:
    """A day's records at the provider against WeShop's payments, refunds and ledger: every
    difference, as ``weshop reconcile --date`` prints them."""
    day = day or _yesterday_in_china()
    payments = payment_setup(runtime)
    chosen = provider or payments.default_name or sub_merchants.WECHATPAY
    result, problem = None, ""
    try:
        result = await reconcile_day(session, chosen, day, payments)
    except ProviderRecordsUnavailable as exc:
        problem = str(exc)
    return render(
        request,
        "ledger/platform/reconciliation.html",
        {
            "section": "reconciliation",
            "day": day,
            "provider": chosen,
            "providers": sorted(payments.providers),
            "result": result,
            "problem": problem,
        },
    )
