"""The merchant console's warehouses (仓库): the store's warehouses with the form that opens
one, and one warehouse's stock per SKU with the form that changes its details, its region or
whether it is active.

It lives in the catalogue because the stock is shown beside the product and SKU it belongs
to; inventory knows SKUs by id only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from weshop.catalog.views import describe_skus
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import MAX_ID, PathId
from weshop.core.regions import PROVINCES
from weshop.inventory import warehouses
from weshop.inventory.schemas import WarehouseIn, WarehousePatch
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff, done_redirect
from weshop.stores.permissions import Permission
from weshop.web.console_forms import add_refusal
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_
from weshop.web.forms import FormResult, parse_form, posted_values, undo_on_error
from weshop.web.i18n import gettext

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

PAGE_SIZE = 50
PROVINCE_OPTIONS = [(province, province) for province in PROVINCES]
StockKeeper = console_staff(Permission.STOCK_WRITE)

FIELD_ERRORS = {
    "name": N_("Give the warehouse a name (30 characters at most)."),
    "province": N_("Choose a province."),
    "city": N_("Enter the city (30 characters at most)."),
    "address": N_("The address is 200 characters at most."),
}
REFUSALS = {
    "warehouse_name_taken": ("name", N_("The store already has a warehouse of that name.")),
    "unknown_province": ("province", N_("Choose a province from the list.")),
    "default_warehouse": ("__all__", N_("The default warehouse cannot be deactivated.")),
    "warehouse_not_empty": (
        "__all__",
        N_("Move this warehouse's available stock out before deactivating it."),
    ),
}
DONE = {
    "created": N_("The warehouse is open."),
    "saved": N_("The warehouse is saved."),
}


def _form_values(values: dict[str, Any]) -> dict[str, Any]:
    """The posted form with its region as a list (one ticked box posts a single value)."""
    regions = values.get("regions", [])
    return {**values, "regions": [regions] if isinstance(regions, str) else regions}


def _errors(request: Request, result: FormResult[Any]) -> dict[str, str]:
    """A refused form's errors: the service's refusal as it was put, or each invalid field
    with what it wants."""
    if result.data is not None:
        return result.errors
    return {
        name: gettext(request, FIELD_ERRORS.get(name.split(".")[0], FIELD_ERRORS["province"]))
        for name in result.errors
    }


async def _list_page(
    request: Request,
    session: AsyncSession,
    access: ConsoleAccess,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    done = request.query_params.get("done", "")
    return console_page(
        request,
        "catalog/console/warehouses/list.html",
        access,
        "warehouses",
        {
            "warehouses": await warehouses.list_warehouses(session, access.scope),
            "provinces": PROVINCES,
            "province_options": PROVINCE_OPTIONS,
            "values": values or {"regions": []},
            "errors": errors or {},
            "notice": gettext(request, DONE[done]) if done in DONE else "",
        },
        status_code=status_code,
    )


@router.get("/warehouses")
async def warehouses_page(
    request: Request, session: DbSession, access: ConsoleAccess = StockKeeper
) -> Response:
    """The store's warehouses and the form that opens one."""
    return await _list_page(request, session, access)


@router.post("/warehouses")
async def create_warehouse(
    request: Request, session: DbSession, access: ConsoleAccess = StockKeeper
) -> Response:
    values = _form_values(await posted_values(request))
    result: FormResult[WarehouseIn] = parse_form(values, WarehouseIn)
    if result.ok and result.data is not None:
        try:
            async with undo_on_error(session):
                created = await warehouses.create_warehouse(
                    session, access.scope, **result.data.model_dump()
                )
            return done_redirect(access, f"/warehouses/{created.id}", "created")
        except WeShopError as exc:
            add_refusal(request, result, exc, REFUSALS)
    return await _list_page(
        request, session, access, values=values, errors=_errors(request, result), status_code=422
    )


async def _detail_page(
    request: Request,
    session: AsyncSession,
    access: ConsoleAccess,
    warehouse_id: int,
    *,
    after_sku_id: int | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    warehouse = await warehouses.get_warehouse(session, access.scope, warehouse_id)
    rows = await warehouses.warehouse_stock(
        session, access.scope, warehouse_id, after_sku_id, PAGE_SIZE
    )
    shown = rows[:PAGE_SIZE]
    listings = await describe_skus(
        session, [row.sku_id for row in shown], store_id=access.scope.store_id
    )
    done = request.query_params.get("done", "")
    return console_page(
        request,
        "catalog/console/warehouses/detail.html",
        access,
        "warehouses",
        {
            "warehouse": warehouse,
            "stock": [(row, listings.get(row.sku_id)) for row in shown],
            "next_after": shown[-1].sku_id if len(rows) > PAGE_SIZE else None,
            "provinces": PROVINCES,
            "province_options": PROVINCE_OPTIONS,
            "values": values
            or {
                "name": warehouse.name,
                "province": warehouse.province,
                "city": warehouse.city,
                "address": warehouse.address,
                "regions": warehouse.regions,
            },
            "errors": errors or {},
            "notice": gettext(request, DONE[done]) if done in DONE else "",
        },
        status_code=status_code,
    )


@router.get("/warehouses/{warehouse_id}")
async def warehouse_page(
    request: Request,
    warehouse_id: PathId,
    session: DbSession,
    access: ConsoleAccess = StockKeeper,
    after_sku_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """One warehouse: its stock per SKU and the form that changes it."""
    return await _detail_page(request, session, access, warehouse_id, after_sku_id=after_sku_id)


@router.post("/warehouses/{warehouse_id}")
async def update_warehouse(
    request: Request, warehouse_id: PathId, session: DbSession, access: ConsoleAccess = StockKeeper
) -> Response:
    await warehouses.get_warehouse(session, access.scope, warehouse_id)
    posted = await posted_values(request)
    # Two forms post here: the details (a region with no box ticked posts nothing), and the
    # button that deactivates or reactivates.
    if posted.pop("form", "") == "details":
        values = _form_values(posted)
    else:
        values = {"is_active": posted.get("is_active", "")}
    result: FormResult[WarehousePatch] = parse_form(values, WarehousePatch)
    if result.ok and result.data is not None:
        try:
            async with undo_on_error(session):
                await warehouses.update_warehouse(
                    session, access.scope, warehouse_id, result.data.model_dump(exclude_none=True)
                )
            return done_redirect(access, f"/warehouses/{warehouse_id}", "saved")
        except WeShopError as exc:
            add_refusal(request, result, exc, REFUSALS)
    errors = _errors(request, result)
    return await _detail_page(
        request, session, access, warehouse_id, values=values, errors=errors, status_code=422
    )
