"""The storefront page where a signed-in person applies to open a store (``/open-store``)
and follows the review: submitted, approved (the console awaits) or rejected with the reason,
when they may fix the application and submit it again."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import PageUser
from weshop.core.errors import InvalidInput, WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.stores import applications as service
from weshop.stores.models import ApplicationStatus, StoreApplication
from weshop.stores.schemas import MAIN_CATEGORIES, MAX_LICENCE_IMAGES, ApplicationIn
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_, error_message
from weshop.web.forms import parse_form, posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)])

REFUSED = N_("That could not be done now. Please check and try again.")
CHECK_FIELD = N_("Please check this field.")
FIELDS = ("store_name", "main_category", "contact_name", "contact_phone", "description")


def _values_of(application: StoreApplication | None) -> dict[str, Any]:
    if application is None:
        return {}
    return {name: getattr(application, name) for name in FIELDS}


async def _page(
    request: Request,
    session: DbSession,
    user: Any,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    mine = await service.my_applications(session, user)
    latest = mine[0] if mine else None
    images = [] if latest is None else await service.images_of(session, latest.id)
    may_apply = latest is None or latest.status != ApplicationStatus.SUBMITTED
    return render(
        request,
        "stores/opening/open_store.html",
        {
            "latest": latest,
            "images": images,
            "may_apply": may_apply,
            "resubmit": latest is not None and latest.status == ApplicationStatus.REJECTED,
            "values": values if values is not None else _values_of(latest),
            "errors": errors or {},
            "error": error,
            "categories": {key: gettext(request, label) for key, label in MAIN_CATEGORIES.items()},
            "max_images": MAX_LICENCE_IMAGES,
            "tab": "me",
        },
        status_code=status_code,
    )


@router.get("/open-store")
async def open_store_page(request: Request, user: PageUser, session: DbSession) -> Response:
    """The application form, or where the application stands."""
    return await _page(request, session, user)


async def _uploaded_images(request: Request, session: DbSession, user: Any) -> list[int]:
    form = await request.form()
    files = [item for item in form.getlist("licence") if isinstance(item, UploadFile)]
    files = [item for item in files if item.filename]
    if len(files) > MAX_LICENCE_IMAGES:
        raise InvalidInput("at most 3 licence images", code="too_many_images")
    ids = []
    for item in files:
        data = await item.read(service.MAX_LICENCE_IMAGE_BYTES + 1)
        ids.append((await service.upload_licence_image(session, user, data)).id)
    return ids


@router.post("/open-store")
async def apply(request: Request, user: PageUser, session: DbSession) -> Response:
    """Submit the application (or, after a rejection, the fixed one) with its licence images;
    a resubmission without new images keeps the ones it had."""
    values = {name: value for name, value in (await posted_values(request)).items()}
    values.pop("licence", None)
    mine = await service.my_applications(session, user)
    rejected = mine[0] if mine and mine[0].status == ApplicationStatus.REJECTED else None
    try:
        async with undo_on_error(session):
            image_ids = await _uploaded_images(request, session, user)
            if not image_ids and rejected is not None:
                image_ids = [image.id for image in await service.images_of(session, rejected.id)]
            result = parse_form({**values, "licence_image_ids": image_ids}, ApplicationIn)
            if result.data is None:
                raise InvalidInput("check the form", code="invalid_form", details=result.errors)
            if rejected is not None:
                await service.resubmit_application(session, user, rejected.id, result.data)
            else:
                await service.submit_application(session, user, result.data)
    except WeShopError as exc:
        fields = exc.details if isinstance(exc.details, dict) else {}
        errors = {
            "licence" if name.startswith("licence_image_ids") else name: gettext(
                request, CHECK_FIELD
            )
            for name in fields
        }
        message = error_message(request, exc.code, gettext(request, REFUSED))
        return await _page(
            request,
            session,
            user,
            values=values,
            errors=errors,
            error=message,
            status_code=exc.status_code,
        )
    return RedirectResponse("/open-store?done=submitted", 303)


@router.get("/open-store/images/{image_id}")
async def licence_image(image_id: PathId, user: PageUser, session: DbSession) -> Response:
    """One of the applicant's own licence images."""
    image = await service.my_image(session, user, image_id)
    return Response(image.data, media_type=image.content_type)
