"""The merchant console's pickup points (自提点): the list, and a form to add or edit one
(closing a point takes it out of checkout)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.core.regions import PROVINCES
from weshop.logistics import pickup_points as service
from weshop.logistics.schemas import PickupPointIn, PickupPointOut
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff, done_redirect
from weshop.stores.permissions import Permission
from weshop.web.console_forms import N_, NestedForm, add_refusal, parse_nested
from weshop.web.csrf import verify_csrf
from weshop.web.forms import posted_values, undo_on_error

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

PickupPoints = console_staff(Permission.SHIPPING_WRITE)
DONE_NOTICES = {"saved": N_("The pickup point is saved.")}
REFUSALS = {
    "duplicate_pickup_point_name": ("name", N_("Another pickup point has this name.")),
    "unknown_province": ("province", N_("Choose one of the options.")),
    "too_many": ("__all__", N_("A store has at most 100 pickup points.")),
}


@router.get("/pickup-points")
async def pickup_points_page(
    request: Request, session: DbSession, access: ConsoleAccess = PickupPoints
) -> Response:
    points = await service.list_points(session, access.scope)
    return console_page(
        request,
        "logistics/console/pickup_points/list.html",
        access,
        "pickup_points",
        {
            "points": points,
            "notice": DONE_NOTICES.get(request.query_params.get("done", "")),
        },
    )


def _form_page(
    request: Request,
    access: ConsoleAccess,
    point_id: int | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    return console_page(
        request,
        "logistics/console/pickup_points/form.html",
        access,
        "pickup_points",
        {"point_id": point_id, "values": values, "errors": errors or {}, "provinces": PROVINCES},
        status_code=status_code,
    )


@router.get("/pickup-points/new")
async def new_point(request: Request, access: ConsoleAccess = PickupPoints) -> Response:
    return _form_page(request, access, None, {"is_active": True})


async def _save(
    request: Request, session: AsyncSession, access: ConsoleAccess, point_id: int | None
) -> Response:
    values = await posted_values(request)
    form = NestedForm(values)
    form.data["is_active"] = bool(values.get("is_active"))
    result = parse_nested(request, form, PickupPointIn)
    status = 422
    if result.data is not None:
        try:
            async with undo_on_error(session):
                if point_id is None:
                    await service.create_point(session, access.scope, result.data)
                else:
                    await service.replace_point(session, access.scope, point_id, result.data)
            return done_redirect(access, "/pickup-points", "saved")
        except WeShopError as exc:
            add_refusal(request, result, exc, REFUSALS)
            status = exc.status_code
    return _form_page(request, access, point_id, values, result.errors, status_code=status)


@router.post("/pickup-points/new")
async def create_point(
    request: Request, session: DbSession, access: ConsoleAccess = PickupPoints
) -> Response:
    return await _save(request, session, access, None)


@router.get("/pickup-points/{pickup_point_id}")
async def edit_point(
    request: Request,
    pickup_point_id: PathId,
    session: DbSession,
    access: ConsoleAccess = PickupPoints,
) -> Response:
    point = await service.get_point(session, access.scope, pickup_point_id)
    values = PickupPointOut.model_validate(point).model_dump(
        include=set(PickupPointIn.model_fields)
    )
    return _form_page(request, access, pickup_point_id, values)


@router.post("/pickup-points/{pickup_point_id}")
async def save_point(
    request: Request,
    pickup_point_id: PathId,
    session: DbSession,
    access: ConsoleAccess = PickupPoints,
) -> Response:
    await service.get_point(session, access.scope, pickup_point_id)
    return await _save(request, session, access, pickup_point_id)
