"""The platform console's review of applications to open a store: the list (by status), an
application with its licence images, approve (the store opens with the applicant as owner)
or reject with a reason. Each application shows how long its store took from application to
first sale, once it sold."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import PageOperator
from weshop.core.crypto import mask_name, mask_phone
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import PathId
from weshop.stores import applications as service
from weshop.stores.models import ApplicationStatus, StoreApplication
from weshop.stores.schemas import MAIN_CATEGORIES, Rejection
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_
from weshop.web.forms import parse_form, posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.templating import render

router = APIRouter(prefix="/platform/store-applications", dependencies=[Depends(verify_csrf)])

StatusFilter = Annotated[ApplicationStatus | None, Query()]
FirstSales = Callable[[AsyncSession, Iterable[int]], Awaitable[dict[int, datetime]]]
# When each store first sold: orders answer it (they sit above stores); set in routes.py.
FIRST_SALE: list[FirstSales] = []
REASON_NEEDED = N_("Say why, so the applicant can fix it.")
ALREADY_REVIEWED = N_("This application has already been reviewed.")


def duration_text(request: Request, span: timedelta) -> str:
    """``2 days 3 hours``, ``5 hours 12 minutes`` or ``4 minutes``."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return gettext(request, "%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return gettext(request, "%(hours)s h %(minutes)s min") % {
            "hours": hours,
            "minutes": minutes,
        }
    return gettext(request, "%(minutes)s min") % {"minutes": minutes}


async def first_sales(
    session: AsyncSession, applications: list[StoreApplication]
) -> dict[int, datetime]:
    """The first sale of each application's store, by application id."""
    stores = {row.store_id: row.id for row in applications if row.store_id is not None}
    found: dict[int, datetime] = {}
    for answer in FIRST_SALE:
        for store_id, moment in (await answer(session, stores)).items():
            found[stores[store_id]] = moment
    return found


def _row(request: Request, application: StoreApplication, first_sale: datetime | None) -> dict:
    return {
        "application": application,
        "category": gettext(request, MAIN_CATEGORIES.get(application.main_category, "")),
        "contact_name": mask_name(application.contact_name),
        "contact_phone": mask_phone(application.contact_phone),
        "first_sale": first_sale,
        "to_first_sale": (
            None
            if first_sale is None
            else duration_text(request, first_sale - application.submitted_at)
        ),
    }


@router.get("")
async def applications(
    request: Request, operator: PageOperator, session: DbSession, status: StatusFilter = None
) -> Response:
    """Applications, those waiting first; how long each opened store took to its first sale."""
    found = await service.list_applications(session, status)
    sales = await first_sales(session, found)
    return render(
        request,
        "stores/platform/applications.html",
        {
            "section": "applications",
            "rows": [_row(request, row, sales.get(row.id)) for row in found],
            "status": status,
            "statuses": list(ApplicationStatus),
        },
    )


async def _detail(
    request: Request,
    session: DbSession,
    application_id: int,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    application = await service.get_application(session, application_id)
    sales = await first_sales(session, [application])
    return render(
        request,
        "stores/platform/application.html",
        {
            "section": "applications",
            "row": _row(request, application, sales.get(application.id)),
            "images": await service.images_of(session, application.id),
            "errors": errors or {},
            "done": request.query_params.get("done", ""),
        },
        status_code=status_code,
    )


@router.get("/{application_id}")
async def application(
    request: Request, application_id: PathId, operator: PageOperator, session: DbSession
) -> Response:
    return await _detail(request, session, application_id)


@router.get("/{application_id}/images/{image_id}")
async def application_image(
    application_id: PathId, image_id: PathId, operator: PageOperator, session: DbSession
) -> Response:
    image = await service.application_image(session, application_id, image_id)
    return Response(image.data, media_type=image.content_type)


@router.post("/{application_id}/approve")
async def approve(
    application_id: PathId, operator: PageOperator, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Open the store with the applicant as its owner."""
    await service.approve(session, application_id, operator=operator, settings=runtime.settings)
    return RedirectResponse(f"/platform/store-applications/{application_id}?done=approved", 303)


@router.post("/{application_id}/reject")
async def reject(
    request: Request, application_id: PathId, operator: PageOperator, session: DbSession
) -> Response:
    """Turn the application down; the reason is required and the applicant reads it."""
    result = parse_form(await posted_values(request), Rejection)
    if result.data is None:
        errors = {"reason": gettext(request, REASON_NEEDED)}
        return await _detail(request, session, application_id, errors=errors, status_code=422)
    try:
        async with undo_on_error(session):
            await service.reject(session, application_id, result.data.reason, operator=operator)
    except WeShopError as exc:
        if exc.status_code != 409:
            raise
        return await _detail(
            request,
            session,
            application_id,
            errors={"__all__": gettext(request, ALREADY_REVIEWED)},
            status_code=409,
        )
    return RedirectResponse(f"/platform/store-applications/{application_id}?done=rejected", 303)
