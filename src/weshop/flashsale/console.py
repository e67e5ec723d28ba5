"""The merchant console's flash sales (秒杀): sessions, their items and figures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from weshop.catalog import service as catalog
from weshop.core.clock import utcnow
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.core.pagination import page_of
from weshop.flashsale import service, views
from weshop.flashsale.schemas import CopyIn, ItemIn, SessionIn
from weshop.flashsale.service import Owner
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff, done_redirect
from weshop.stores.permissions import Permission
from weshop.web.console_forms import N_, NestedForm, add_refusal, parse_nested
from weshop.web.csrf import verify_csrf
from weshop.web.forms import FormResult, posted_values, undo_on_error

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

Reader = console_staff(Permission.PROMOTIONS_READ)
Writer = console_staff(Permission.PROMOTIONS_WRITE)
PAGE_SIZE = 20
MOMENTS = frozenset({"starts_at", "ends_at"})

DONE_NOTICES = {
    "created": N_("Saved. Add the items next."),
    "item": N_("Added: its flash stock was taken from the regular stock."),
    "removed": N_("Removed: its flash stock went back to the regular stock."),
    "stopped": N_("Stopped: unsold units went back to the regular stock."),
    "copied": N_("Copied to the next days."),
}
SESSION_REFUSALS = {
    "invalid_window": ("ends_at", N_("The end must be after the start.")),
    "window_in_past": ("ends_at", N_("The end has already passed.")),
    "session_too_long": ("ends_at", N_("A session lasts at most 7 days.")),
}
ITEM_REFUSALS = {
    "invalid_price": ("flash_price_fen", N_("Enter a price of at least ¥0.01.")),
    "flash_price_above_price": (
        "flash_price_fen",
        N_("The flash price may not be above the regular price."),
    ),
    "flash_stock_above_stock": (
        "flash_stock",
        N_("That is more than the available regular stock."),
    ),
}


@router.get("/flash-sessions")
async def sessions_page(
    request: Request,
    session: DbSession,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    access: ConsoleAccess = Reader,
) -> Response:
    owner = Owner.of(access.scope)
    rows = await service.list_sessions(session, owner, cursor, PAGE_SIZE)
    page = page_of(rows, PAGE_SIZE, lambda row: row)
    shown = await views.sessions_out(session, page.items, utcnow())
    return console_page(
        request,
        "flashsale/console/sessions.html",
        access,
        "flashsale",
        {
            "sessions": shown,
            "next_cursor": page.next_cursor,
            "notice": DONE_NOTICES.get(request.query_params.get("done", "")),
        },
    )


def _session_form(
    request: Request, access: ConsoleAccess, form: FormResult[Any] | None, status_code: int = 200
) -> Response:
    return console_page(
        request,
        "flashsale/console/session_form.html",
        access,
        "flashsale",
        {
            "values": form.values if form else {"payment_window_minutes": "5"},
            "errors": form.errors if form else {},
        },
        status_code=status_code,
    )


@router.get("/flash-sessions/new")
async def new_session(request: Request, access: ConsoleAccess = Writer) -> Response:
    return _session_form(request, access, None)


@router.post("/flash-sessions/new")
async def create_session(
    request: Request, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    form = NestedForm(await posted_values(request), moments=MOMENTS)
    result = parse_nested(request, form, SessionIn)
    if result.data is None:
        return _session_form(request, access, result, status_code=422)
    try:
        async with undo_on_error(session):
            flash = await service.create_session(
                session, Owner.of(access.scope), result.data, utcnow()
            )
    except WeShopError as exc:
        add_refusal(request, result, exc, SESSION_REFUSALS)
        return _session_form(request, access, result, status_code=exc.status_code)
    return done_redirect(access, f"/flash-sessions/{flash.id}", "created")


async def _detail(
    request: Request,
    session: AsyncSession,
    access: ConsoleAccess,
    flash_session_id: int,
    *,
    q: str = "",
    form: FormResult[Any] | None = None,
    status_code: int = 200,
) -> Response:
    owner = Owner.of(access.scope)
    flash = await service.owned_session(session, owner, flash_session_id)
    (shown,) = await views.sessions_out(session, [flash], utcnow())
    found = await catalog.search_skus(session, access.scope, q) if q.strip() else []
    return console_page(
        request,
        "flashsale/console/session.html",
        access,
        "flashsale",
        {
            "flash": shown,
            "figures": await views.figures(session, flash),
            "q": q,
            "found": found,
            "values": form.values if form else {},
            "errors": form.errors if form else {},
            "notice": DONE_NOTICES.get(request.query_params.get("done", "")),
        },
        status_code=status_code,
    )


@router.get("/flash-sessions/{flash_session_id}")
async def session_page(
    request: Request,
    flash_session_id: PathId,
    session: DbSession,
    q: Annotated[str, Query(max_length=60)] = "",
    access: ConsoleAccess = Reader,
) -> Response:
    """A session: its items with sold bars, the figures, and (before the start) the SKU
    search that adds items."""
    return await _detail(request, session, access, flash_session_id, q=q)


@router.post("/flash-sessions/{flash_session_id}/items")
async def add_item(
    request: Request, flash_session_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    form = NestedForm(await posted_values(request))
    result = parse_nested(request, form, ItemIn)
    if result.data is None:
        return await _detail(
            request, session, access, flash_session_id, form=result, status_code=422
        )
    try:
        async with undo_on_error(session):
            await service.add_item(
                session, Owner.of(access.scope), flash_session_id, result.data, utcnow()
            )
    except WeShopError as exc:
        if exc.status_code == 404 and exc.code != "sku_not_found":
            raise
        add_refusal(request, result, exc, ITEM_REFUSALS)
        return await _detail(
            request, session, access, flash_session_id, form=result, status_code=exc.status_code
        )
    return done_redirect(access, f"/flash-sessions/{flash_session_id}", "item")


@router.post("/flash-sessions/{flash_session_id}/items/{flash_item_id}/remove")
async def remove_item(
    flash_session_id: PathId,
    flash_item_id: PathId,
    session: DbSession,
    access: ConsoleAccess = Writer,
) -> Response:
    owner = Owner.of(access.scope)
    await service.remove_item(session, owner, flash_session_id, flash_item_id, utcnow())
    return done_redirect(access, f"/flash-sessions/{flash_session_id}", "removed")


@router.post("/flash-sessions/{flash_session_id}/stop")
async def stop_session(
    flash_session_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    await service.stop_session(session, Owner.of(access.scope), flash_session_id, utcnow())
    return done_redirect(access, f"/flash-sessions/{flash_session_id}", "stopped")


@router.post("/flash-sessions/{flash_session_id}/copies")
async def copy_session(
    request: Request, flash_session_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    form = NestedForm(await posted_values(request))
    result = parse_nested(request, form, CopyIn)
    if result.data is None:
        return await _detail(
            request, session, access, flash_session_id, form=result, status_code=422
        )
    try:
        async with undo_on_error(session):
            await service.copy_session(
                session, Owner.of(access.scope), flash_session_id, result.data.days, utcnow()
            )
    except WeShopError as exc:
        if exc.status_code == 404:
            raise
        add_refusal(request, result, exc, ITEM_REFUSALS)
        return await _detail(
            request, session, access, flash_session_id, form=result, status_code=exc.status_code
        )
    return done_redirect(access, "/flash-sessions", "copied")
