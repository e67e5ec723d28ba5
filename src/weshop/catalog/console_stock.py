"""The merchant console's stock: the low-stock list, finding an SKU, and one SKU's movements
with the forms that receive goods, correct the count and set the low-stock threshold.

It lives in the catalogue because each page shows stock beside the product and SKU it
belongs to; inventory itself knows SKUs by id only."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from weshop.catalog import service
from weshop.catalog.views import describe_skus
from weshop.core.errors import NotFound, WeShopError
from weshop.core.http import DbSession
from weshop.core.idempotency import run_idempotent
from weshop.core.ids import PathId
from weshop.core.pagination import page_of
from weshop.inventory import service as inventory
from weshop.inventory import warehouses
from weshop.inventory.models import MovementKind
from weshop.inventory.schemas import MovementIn, ThresholdIn
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff, done_redirect
from weshop.stores.permissions import Permission
from weshop.web.console_forms import add_refusal
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_
from weshop.web.forms import FormResult, parse_form, posted_values, undo_on_error
from weshop.web.i18n import gettext

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

PAGE_SIZE = 20
StockKeeper = console_staff(Permission.STOCK_WRITE)

KIND_LABELS = {
    MovementKind.RECEIVE: N_("Received"),
    MovementKind.ADJUST: N_("Count corrected"),
    MovementKind.RESERVE: N_("Held for an order"),
    MovementKind.RELEASE: N_("Hold released"),
    MovementKind.SALE: N_("Sold"),
    MovementKind.RETURN: N_("Returned"),
}
FIELD_ERRORS = {
    "kind": N_("Choose what happened."),
    "quantity": N_("Enter a whole number of units (negative to take units away)."),
    "reason": N_("Say why, e.g. the delivery note or the stock-take (200 characters at most)."),
    "warehouse_id": N_("Choose a warehouse."),
    "threshold": N_("Enter a whole number of units, 0 or more."),
}
MOVE_REFUSALS = {
    "stock_would_go_negative": ("quantity", N_("Stock cannot go below zero.")),
    "warehouse_inactive": ("warehouse_id", N_("This warehouse is deactivated.")),
    "not_found": ("warehouse_id", N_("Choose a warehouse.")),
    "invalid_quantity": (
        "quantity",
        N_("Received goods are 1 or more units; a correction cannot be 0."),
    ),
    "idempotency_key_reused": (
        "__all__",
        N_("This form was already sent. Reload the page to record another movement."),
    ),
}
DONE = {
    "moved": N_("The movement is recorded."),
    "threshold": N_("The low-stock threshold is saved."),
}


class Recorded(BaseModel):
    movement_id: int


def _field_errors(request: Request, errors: dict[str, str]) -> dict[str, str]:
    return {
        name: gettext(request, FIELD_ERRORS.get(name, FIELD_ERRORS["quantity"])) for name in errors
    }


@router.get("/stock")
async def stock_page(
    request: Request,
    session: DbSession,
    access: ConsoleAccess = StockKeeper,
    q: Annotated[str, Query(max_length=60)] = "",
) -> Response:
    """The SKUs at or below their threshold, emptiest first, and SKUs found by code or title."""
    low = await inventory.low_stock(session, access.scope)
    listings = await describe_skus(
        session, [level.sku_id for level in low], store_id=access.scope.store_id
    )
    found = await service.search_skus(session, access.scope, q) if q.strip() else []
    levels = await inventory.stock_levels(session, [listing.sku.id for listing in found])
    return console_page(
        request,
        "catalog/console/stock/list.html",
        access,
        "stock",
        {
            "low": [(level, listings[level.sku_id]) for level in low if level.sku_id in listings],
            "q": q,
            "found": [(listing, levels.get(listing.sku.id)) for listing in found],
        },
    )


async def _sku_page(
    request: Request,
    session: DbSession,
    access: ConsoleAccess,
    sku_id: int,
    *,
    cursor: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
    status_code: int = 200,
) -> Response:
    listing = (await describe_skus(session, [sku_id], store_id=access.scope.store_id)).get(sku_id)
    if listing is None:
        raise NotFound("no such SKU")
    level = await inventory.stock_level(session, access.scope, sku_id)
    store_warehouses = await warehouses.list_warehouses(session, access.scope)
    by_warehouse = await warehouses.sku_stock_by_warehouse(session, access.scope, sku_id)
    page = page_of(
        await inventory.movements(session, access.scope, sku_id, cursor, PAGE_SIZE),
        PAGE_SIZE,
        lambda movement: movement,
    )
    return console_page(
        request,
        "catalog/console/stock/sku.html",
        access,
        "stock",
        {
            "listing": listing,
            "level": level,
            "warehouses": store_warehouses,
            "in_warehouse": {row.warehouse_id: row for row in by_warehouse},
            "warehouse_options": [(w.id, w.name) for w in store_warehouses if w.is_active],
            "default_warehouse_id": next((w.id for w in store_warehouses if w.is_default), ""),
            "movements": page.items,
            "next_cursor": page.next_cursor,
            "kind_labels": KIND_LABELS,
            "values": values or {"kind": "receive"},
            "errors": errors or {},
            "notice": notice,
            # One key per form shown: sending the same form twice moves stock once.
            "form_key": secrets.token_urlsafe(16),
        },
        status_code=status_code,
    )


@router.get("/stock/skus/{sku_id}")
async def sku_page(
    request: Request,
    sku_id: PathId,
    session: DbSession,
    access: ConsoleAccess = StockKeeper,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    notice = gettext(request, DONE[done]) if done in DONE else ""
    return await _sku_page(request, session, access, sku_id, cursor=cursor, notice=notice)


@router.post("/stock/skus/{sku_id}/movements")
async def record_movement(
    request: Request, sku_id: PathId, session: DbSession, access: ConsoleAccess = StockKeeper
) -> Response:
    await inventory.stock_level(session, access.scope, sku_id)
    values = await posted_values(request)
    form_key = str(values.pop("form_key", ""))[:128] or None
    result: FormResult[MovementIn] = parse_form(values, MovementIn)
    if not result.ok or result.data is None:
        errors = _field_errors(request, result.errors)
        return await _sku_page(
            request, session, access, sku_id, values=values, errors=errors, status_code=422
        )
    body = result.data

    async def move() -> Recorded:
        movement = await inventory.move_stock(
            session,
            access.scope,
            sku_id,
            kind=MovementKind(body.kind),
            quantity=body.quantity,
            reason=body.reason,
            warehouse_id=body.warehouse_id,
        )
        return Recorded(movement_id=movement.id)

    try:
        async with undo_on_error(session):
            await run_idempotent(
                session,
                key=form_key,
                owner=f"user:{access.scope.actor_id}",
                endpoint="console.stock_movement",
                payload={"store_id": access.scope.store_id, "sku_id": sku_id, **body.model_dump()},
                action=move,
                model=Recorded,
            )
    except WeShopError as exc:
        add_refusal(request, result, exc, MOVE_REFUSALS)
        return await _sku_page(
            request,
            session,
            access,
            sku_id,
            values=values,
            errors=result.errors,
            status_code=exc.status_code,
        )
    return done_redirect(access, f"/stock/skus/{sku_id}", "moved")


@router.post("/stock/skus/{sku_id}/threshold")
async def set_threshold(
    request: Request, sku_id: PathId, session: DbSession, access: ConsoleAccess = StockKeeper
) -> Response:
    await inventory.stock_level(session, access.scope, sku_id)
    values = await posted_values(request)
    result: FormResult[ThresholdIn] = parse_form(values, ThresholdIn)
    if not result.ok or result.data is None:
        errors = _field_errors(request, result.errors)
        return await _sku_page(
            request, session, access, sku_id, values=values, errors=errors, status_code=422
        )
    await inventory.set_low_stock_threshold(session, access.scope, sku_id, result.data.threshold)
    return done_redirect(access, f"/stock/skus/{sku_id}", "threshold")
