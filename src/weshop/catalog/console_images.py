"""The merchant console's product images: several uploaded at once, put in order (dragged
on the page, or moved up and down without script), one made the main image, removed."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from weshop.catalog import service
from weshop.catalog.console import (
    NO_IMAGE,
    PRODUCT_REFUSALS,
    TOO_MANY_IMAGES,
    Writer,
    files_of,
    product_page_of,
    uploaded_images,
)
from weshop.catalog.schemas import MAX_IMAGES, ProductPatch
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import PathId
from weshop.core.tenancy import StoreScope
from weshop.stores.console_access import ConsoleAccess, done_redirect
from weshop.web.console_forms import add_refusal
from weshop.web.csrf import verify_csrf
from weshop.web.forms import FormResult, undo_on_error
from weshop.web.i18n import gettext

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])


async def _set_images(
    session: DbSession, scope: StoreScope, product_id: int, image_ids: list[int]
) -> None:
    await service.update_product(session, scope, product_id, ProductPatch(image_ids=image_ids))


@router.post("/products/{product_id}/images")
async def upload_image(
    request: Request,
    product_id: PathId,
    session: DbSession,
    runtime: RuntimeDep,
    access: ConsoleAccess = Writer,
) -> Response:
    """Adds the uploaded images to the product, after its others (each kept by the media
    service, once per store)."""
    detail = await service.get_product(session, access.scope, product_id)
    uploads = files_of(await request.form(), "images")
    result: FormResult[Any] = FormResult(values={})
    if not uploads:
        result.add_error("images", gettext(request, NO_IMAGE))
    elif len(detail.product.image_ids) + len(uploads) > MAX_IMAGES:
        result.add_error("images", gettext(request, TOO_MANY_IMAGES))
    if result.errors:
        return await product_page_of(
            request, session, access, product_id, errors=result.errors, status_code=422
        )
    try:
        async with undo_on_error(session):
            added = await uploaded_images(session, runtime, access.scope, uploads)
            kept = detail.product.image_ids
            image_ids = [*kept, *(i for i in added if i not in kept)]
            await _set_images(session, access.scope, product_id, image_ids[:MAX_IMAGES])
    except WeShopError as exc:
        add_refusal(request, result, exc, PRODUCT_REFUSALS)
        return await product_page_of(
            request,
            session,
            access,
            product_id,
            errors=result.errors,
            status_code=exc.status_code,
        )
    return done_redirect(access, f"/products/{product_id}", "saved")


@router.post("/products/{product_id}/images/order")
async def order_images(
    request: Request, product_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    """The images in the order dragged on the page (``image_ids``, first the main image);
    ids the product does not have are ignored, images left out keep their place after."""
    detail = await service.get_product(session, access.scope, product_id)
    posted = (await request.form()).getlist("image_ids")
    current = detail.product.image_ids
    # ASCII digits only: "²".isdigit() is true, and int() refuses it.
    digits = [i for i in posted if isinstance(i, str) and i.isascii() and i.isdigit()]
    wanted = [int(i) for i in digits if len(i) < 19 and int(i) in current]
    ordered = list(dict.fromkeys(wanted))
    await _set_images(
        session, access.scope, product_id, [*ordered, *(i for i in current if i not in ordered)]
    )
    return done_redirect(access, f"/products/{product_id}", "saved")


@router.post("/products/{product_id}/images/{image_id}/{action}")
async def arrange_image(
    product_id: PathId,
    image_id: PathId,
    action: Literal["cover", "up", "down", "remove"],
    session: DbSession,
    access: ConsoleAccess = Writer,
) -> Response:
    """``cover`` makes the image the main one (first); ``up`` / ``down`` move it one place
    (the page's order without script); ``remove`` takes it off the product (the file stays
    in the store's media)."""
    detail = await service.get_product(session, access.scope, product_id)
    current = detail.product.image_ids
    image_ids = [i for i in current if i != image_id]
    if image_id in current:
        place = {
            "cover": 0,
            "up": max(current.index(image_id) - 1, 0),
            "down": current.index(image_id) + 1,
        }.get(action)
        if place is not None:
            image_ids.insert(place, image_id)
    await _set_images(session, access.scope, product_id, image_ids)
    return done_redirect(access, f"/products/{product_id}", "saved")
