"""Storefront pages of after-sales: 申请售后 from an order's line, the shopper's requests,
and a request with its history, the return address and the shopper's actions."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import PageUser
from weshop.aftersales import service
from weshop.aftersales.amounts import refundable
from weshop.aftersales.console import labels, parsed
from weshop.aftersales.labels import KIND_NAMES
from weshop.aftersales.models import RequestKind
from weshop.aftersales.reasons import REASONS
from weshop.aftersales.schemas import MAX_PHOTOS, EditIn, ParcelIn, RequestIn
from weshop.aftersales.views import describe_request
from weshop.core.errors import InvalidInput, NotFound, WeShopError
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import MAX_ID, PathId
from weshop.core.pagination import page_of
from weshop.core.tenancy import StoreScope
from weshop.media import service as media
from weshop.orders import service as orders
from weshop.orders.models import OrderLine
from weshop.orders.views import describe_order
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_, error_message
from weshop.web.forms import posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)])

PER_PAGE = 10
REFUSED = N_("That could not be done now. Please check and try again.")


@router.get("/me/aftersales")
async def my_requests(
    request: Request,
    user: PageUser,
    session: DbSession,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The shopper's after-sales requests, newest first."""
    rows = await service.list_requests(
        session, user=user, filters=service.RequestFilters(), cursor=cursor, limit=PER_PAGE
    )
    page = page_of(rows, PER_PAGE, lambda row: row)
    described = [await describe_request(session, row, audience="shopper") for row in page.items]
    return render(
        request,
        "aftersales/shop/list.html",
        {"requests": described, "next_cursor": page.next_cursor, "tab": "me", **labels(request)},
    )


@router.get("/me/orders/{order_id}/aftersales")
async def new_request(
    request: Request,
    order_id: PathId,
    user: PageUser,
    session: DbSession,
    line: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    error: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """申请售后: the form for one line of the shopper's order, with the most it may give
    back for all its units."""
    order = await orders.shopper_order(session, user, order_id)
    row = await session.get(OrderLine, line) if line is not None else None
    if row is None or row.order_id != order.id:
        raise NotFound("no such order line")
    try:
        most = (await refundable(session, order, row, 1)).total_fen
    except WeShopError:
        most = 0
    return render(
        request,
        "aftersales/shop/new.html",
        {
            "order": await describe_order(session, order, audience="shopper"),
            "line": row,
            "most_one_fen": most,
            "reasons": REASONS,
            "kinds": {kind: gettext(request, label) for kind, label in KIND_NAMES.items()},
            "max_photos": MAX_PHOTOS,
            "error": error_message(request, error, gettext(request, REFUSED)) if error else None,
            "tab": "me",
        },
    )


async def _uploaded_photos(
    request: Request, runtime: Any, session: Any, user: Any, store_id: int
) -> list[int]:
    form = await request.form()
    files = [item for item in form.getlist("photos") if isinstance(item, UploadFile)]
    files = [item for item in files if item.filename]
    if len(files) > MAX_PHOTOS:
        raise InvalidInput("at most 6 photos", code="too_many_photos")
    scope = StoreScope(store_id=store_id, actor_id=user.id, role="shopper")
    limit = runtime.settings.max_upload_bytes
    ids = []
    for item in files:
        asset = await media.upload_image(
            session,
            scope,
            await item.read(limit + 1),
            media_dir=runtime.settings.media_dir,
            max_bytes=limit,
        )
        ids.append(asset.id)
    return ids


@router.post("/me/orders/{order_id}/aftersales")
async def create_request(
    request: Request, order_id: PathId, user: PageUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    values = {key: value for key, value in (await posted_values(request)).items()}
    values.pop("photos", None)
    order = await orders.shopper_order(session, user, order_id)
    back = f"/me/orders/{order_id}/aftersales?line={values.get('order_line_id', '')}"
    try:
        async with undo_on_error(session):
            photo_ids = await _uploaded_photos(request, runtime, session, user, order.store_id)
            asked = parsed({**values, "order_id": str(order_id)}, RequestIn)
            body = asked.model_copy(update={"photo_ids": photo_ids})
            created = await service.create_request(session, user, body)
    except WeShopError as exc:
        return RedirectResponse(f"{back}&{urlencode({'error': exc.code})}", 303)
    return RedirectResponse(f"/me/aftersales/{created.id}", 303)


@router.get("/me/aftersales/{request_id}")
async def request_page(
    request: Request,
    request_id: PathId,
    user: PageUser,
    session: DbSession,
    error: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """One request: its state, amount, history, the return address once approved, and what
    the shopper may do now."""
    found = await service.my_request(session, user, request_id)
    return render(
        request,
        "aftersales/shop/detail.html",
        {
            "item": await describe_request(session, found, audience="shopper"),
            "exchange": found.kind == RequestKind.EXCHANGE,
            "error": error_message(request, error, gettext(request, REFUSED)) if error else None,
            "tab": "me",
            **labels(request),
        },
    )


@router.post("/me/aftersales/{request_id}/{action}")
async def act(
    request: Request, request_id: PathId, action: str, user: PageUser, session: DbSession
) -> Response:
    """The shopper's buttons: accept, withdraw, escalate, edit (a lower amount) and
    ship-return (carrier and tracking number)."""
    values = await posted_values(request)
    here = f"/me/aftersales/{request_id}"
    try:
        async with undo_on_error(session):
            if action == "accept":
                await service.accept(session, user, request_id)
            elif action == "withdraw":
                await service.withdraw(session, user, request_id, "")
            elif action == "escalate":
                await service.escalate_as_shopper(
                    session, user, request_id, str(values.get("note", ""))[:200]
                )
            elif action == "edit":
                await service.edit(session, user, request_id, parsed(values, EditIn))
            elif action == "ship-return":
                await service.ship_return(session, user, request_id, parsed(values, ParcelIn))
            else:
                raise NotFound("no such action")
    except NotFound:
        raise
    except WeShopError as exc:
        return RedirectResponse(f"{here}?{urlencode({'error': exc.code})}", 303)
    return RedirectResponse(here, 303)
