"""The merchant console's 售后: the list by state and deadline with the store's counts, and
a request with its history and the store's actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from weshop.aftersales import service, stats
from weshop.aftersales.labels import ACTOR_NAMES, KIND_NAMES, STATUS_NAMES, STEP_NAMES
from weshop.aftersales.models import RequestStatus
from weshop.aftersales.schemas import ParcelIn, ProposeIn, RejectIn
from weshop.aftersales.views import describe_request
from weshop.core.clock import utcnow
from weshop.core.errors import InvalidInput, NotFound, WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.core.pagination import page_of
from weshop.orders.tracking import STATE_LABELS as PARCEL_STATE_LABELS
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff
from weshop.stores.permissions import Permission
from weshop.web.console_forms import fen_of_yuan
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_, error_message
from weshop.web.forms import parse_form, posted_values, undo_on_error
from weshop.web.i18n import gettext

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

PAGE_SIZE = 20
REFUSED = N_("That could not be done now. Please check and try again.")
Reader = console_staff(Permission.ORDERS_READ)
Handler = console_staff(Permission.REFUNDS_WRITE)


def labels(request: Request) -> dict[str, Any]:
    def named(names: dict[Any, str]) -> dict[str, str]:
        return {str(key): gettext(request, label) for key, label in names.items()}

    return {
        "status_names": named(STATUS_NAMES),
        "kind_names": named(KIND_NAMES),
        "step_names": named(STEP_NAMES),
        "actor_names": named(ACTOR_NAMES),
        "parcel_state_labels": named(PARCEL_STATE_LABELS),
    }


@router.get("/aftersales")
async def aftersales_list(
    request: Request,
    session: DbSession,
    status: Annotated[RequestStatus | None, Query()] = None,
    due: Annotated[str, Query(pattern="^(|24h)$")] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    access: ConsoleAccess = Reader,
) -> Response:
    """The store's requests by state, or those due within 24 hours, with its counts."""
    filters = service.RequestFilters(
        status=status, due_before=utcnow() + timedelta(hours=24) if due else None
    )
    rows = await service.list_requests(
        session, scope=access.scope, filters=filters, cursor=cursor, limit=PAGE_SIZE
    )
    page = page_of(rows, PAGE_SIZE, lambda row: row)
    return console_page(
        request,
        "aftersales/console/list.html",
        access,
        "aftersales",
        {
            "requests": [
                await describe_request(session, row, audience="staff") for row in page.items
            ],
            "next_cursor": page.next_cursor,
            "status": status or "",
            "due": due,
            "counts": await stats.store_stats(session, access.scope),
            **labels(request),
        },
    )


@router.get("/aftersales/{request_id}")
async def aftersales_detail(
    request: Request,
    request_id: PathId,
    session: DbSession,
    error: Annotated[str | None, Query(max_length=40)] = None,
    access: ConsoleAccess = Reader,
) -> Response:
    """One request with its history, evidence and the store's actions."""
    found = await service.store_request(session, access.scope, request_id)
    return console_page(
        request,
        "aftersales/console/detail.html",
        access,
        "aftersales",
        {
            "item": await describe_request(session, found, audience="staff"),
            "error": error_message(request, error, gettext(request, REFUSED)) if error else None,
            **labels(request),
        },
    )


@router.post("/aftersales/{request_id}/{action}")
async def aftersales_act(
    request: Request,
    request_id: PathId,
    action: str,
    session: DbSession,
    access: ConsoleAccess = Handler,
) -> Response:
    """The store's buttons: approve, reject (a reason), propose (an amount in yuan),
    receipt, exchange-shipment (carrier and tracking number), escalate."""
    values = await posted_values(request)
    scope = access.scope
    here = f"/console/stores/{access.store.id}/aftersales/{request_id}"
    try:
        async with undo_on_error(session):
            if action == "approve":
                await service.approve(session, scope, request_id, "")
            elif action == "reject":
                body = parsed(values, RejectIn)
                await service.reject(session, scope, request_id, body.reason)
            elif action == "propose":
                await service.propose(session, scope, request_id, parsed(values, ProposeIn))
            elif action == "receipt":
                await service.confirm_receipt(session, scope, request_id)
            elif action == "exchange-shipment":
                await service.ship_exchange(session, scope, request_id, parsed(values, ParcelIn))
            elif action == "escalate":
                await service.escalate_as_store(
                    session, scope, request_id, str(values.get("note", ""))[:200]
                )
            else:
                raise NotFound("no such action")
    except NotFound:
        raise
    except WeShopError as exc:
        return RedirectResponse(f"{here}?{urlencode({'error': exc.code})}", 303)
    return RedirectResponse(here, 303)


def parsed(values: dict[str, Any], schema: Any) -> Any:
    """The form as the API's schema; amounts are typed in yuan (``amount``)."""
    values = dict(values)
    amount = str(values.pop("amount", ""))
    if amount:
        values["amount_fen"] = str(fen_of_yuan(amount))
    form = parse_form(values, schema)
    if form.data is None:
        raise InvalidInput("check the form", code="invalid_form")
    return form.data
