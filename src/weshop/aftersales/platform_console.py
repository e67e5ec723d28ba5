"""The platform console's 售后仲裁: disputes waiting for a decision, each with its whole
history and evidence, and the decision form (a refund up to the maximum, or none)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import PageOperator
from weshop.aftersales import service
from weshop.aftersales.console import labels
from weshop.aftersales.models import RequestStatus
from weshop.aftersales.schemas import DecisionIn
from weshop.aftersales.views import describe_request
from weshop.core.errors import InvalidInput, WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.core.pagination import page_of
from weshop.web.console_forms import fen_of_yuan
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_, error_message
from weshop.web.forms import parse_form, posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.templating import render

router = APIRouter(prefix="/platform", dependencies=[Depends(verify_csrf)])

PAGE_SIZE = 20
REFUSED = N_("That could not be done now. Please check and try again.")


@router.get("/aftersales")
async def disputes(
    request: Request,
    operator: PageOperator,
    session: DbSession,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Disputes waiting for the platform, newest first."""
    rows = await service.list_requests(
        session,
        filters=service.RequestFilters(status=RequestStatus.DISPUTED),
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    page = page_of(rows, PAGE_SIZE, lambda row: row)
    return render(
        request,
        "aftersales/platform/list.html",
        {
            "section": "aftersales",
            "requests": [
                await describe_request(session, row, audience="platform") for row in page.items
            ],
            "next_cursor": page.next_cursor,
            **labels(request),
        },
    )


@router.get("/aftersales/{request_id}")
async def dispute(
    request: Request,
    request_id: PathId,
    operator: PageOperator,
    session: DbSession,
    error: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    found = await service.any_request(session, request_id)
    return render(
        request,
        "aftersales/platform/detail.html",
        {
            "section": "aftersales",
            "item": await describe_request(session, found, audience="platform"),
            "error": error_message(request, error, gettext(request, REFUSED)) if error else None,
            **labels(request),
        },
    )


@router.post("/aftersales/{request_id}/decision")
async def decide(
    request: Request, request_id: PathId, operator: PageOperator, session: DbSession
) -> Response:
    """The final decision: the amount in yuan to refund (0: none) and why."""
    values = await posted_values(request)
    here = f"/platform/aftersales/{request_id}"
    try:
        async with undo_on_error(session):
            refund = fen_of_yuan(str(values.get("refund", "")))
            form = parse_form(
                {"refund_fen": str(refund), "note": values.get("note", "")}, DecisionIn
            )
            if form.data is None:
                raise InvalidInput("check the form", code="invalid_form")
            await service.decide(session, operator, request_id, form.data)
    except WeShopError as exc:
        return RedirectResponse(f"{here}?{urlencode({'error': exc.code})}", 303)
    return RedirectResponse(here, 303)
