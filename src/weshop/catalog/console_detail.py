"""The merchant console's 图文 detail editor of a product, on a page of its own: blocks of
text, images and one video, added, moved up or down and removed one at a time. Each change
saves the whole list through the same service as the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from weshop.catalog import detail as details
from weshop.catalog import service
from weshop.catalog.console import PRODUCT_REFUSALS, Writer
from weshop.catalog.schemas import DetailBlockIn
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import PathId
from weshop.media import service as media
from weshop.stores.console_access import ConsoleAccess, console_page, done_redirect
from weshop.web.console_forms import add_refusal
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_
from weshop.web.forms import FormResult, undo_on_error
from weshop.web.i18n import gettext

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

DETAIL_REFUSALS = {
    **PRODUCT_REFUSALS,
    "unsupported_video": ("video", N_("Upload an MP4 video.")),
    "one_video_only": ("video", N_("A detail has one video; remove it to add another.")),
    "too_many_blocks": ("__all__", N_("A detail has 30 blocks at most; remove one first.")),
}
NO_TEXT = N_("Type the paragraph to add (2000 characters at most).")
NO_FILE = N_("Choose a file to upload.")
VIDEO_TOO_LARGE = N_("This video is too large (20 MB at most).")
UNKNOWN_CHANGE = N_("That did not work. Please try again.")
SAVED = {"saved": N_("Your changes are saved.")}
OPERATIONS = ("text", "image", "video", "up", "down", "remove")


async def _page(
    request: Request,
    session: DbSession,
    access: ConsoleAccess,
    product_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    notice: str = "",
    status_code: int = 200,
) -> Response:
    found = await service.get_product(session, access.scope, product_id)
    shown = await details.get_detail(session, access.scope, product_id)
    return console_page(
        request,
        "catalog/console/products/detail.html",
        access,
        "products",
        {
            "product": found.product,
            "blocks": shown.blocks,
            "errors": errors or {},
            "values": values or {},
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/products/{product_id}/detail")
async def detail_page(
    request: Request,
    product_id: PathId,
    session: DbSession,
    access: ConsoleAccess = Writer,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    notice = gettext(request, SAVED[done]) if done in SAVED else ""
    return await _page(request, session, access, product_id, notice=notice)


def _moved(blocks: list[DetailBlockIn], op: str, index: int) -> list[DetailBlockIn]:
    if not 0 <= index < len(blocks):
        return blocks
    if op == "remove":
        return blocks[:index] + blocks[index + 1 :]
    other = index - 1 if op == "up" else index + 1
    if 0 <= other < len(blocks):
        blocks[index], blocks[other] = blocks[other], blocks[index]
    return blocks


@router.post("/products/{product_id}/detail")
async def change_detail(
    request: Request,
    product_id: PathId,
    session: DbSession,
    runtime: RuntimeDep,
    access: ConsoleAccess = Writer,
) -> Response:
    """One change: ``op`` is text (with ``text``), image or video (with ``file``), or
    up / down / remove (with the block's ``index``)."""
    form = await request.form()
    op = str(form.get("op", ""))
    result: FormResult[Any] = FormResult(values={"text": str(form.get("text", ""))[:2000]})
    current = await details.get_detail(session, access.scope, product_id)
    blocks = [
        DetailBlockIn.model_validate(block.model_dump(exclude={"url"}, exclude_none=True))
        for block in current.blocks
    ]
    upload = form.get("file")
    text = str(form.get("text", "")).strip()
    if op == "text" and not 0 < len(text) <= 2000:
        result.add_error("text", gettext(request, NO_TEXT))
    if op in ("image", "video") and not (isinstance(upload, UploadFile) and upload.filename):
        result.add_error(op, gettext(request, NO_FILE))
    if op not in OPERATIONS:
        result.add_error("__all__", gettext(request, UNKNOWN_CHANGE))
    if result.errors:
        return await _page(
            request,
            session,
            access,
            product_id,
            errors=result.errors,
            values=result.values,
            status_code=422,
        )
    index = str(form.get("index", ""))
    try:
        async with undo_on_error(session):
            if op == "text":
                blocks.append(DetailBlockIn(kind="text", text=text))
            elif op in ("image", "video"):
                assert isinstance(upload, UploadFile)
                settings = runtime.settings
                limit = settings.max_video_bytes if op == "video" else settings.max_upload_bytes
                data = await upload.read(limit + 1)
                keep = media.upload_video if op == "video" else media.upload_image
                asset = await keep(
                    session, access.scope, data, media_dir=settings.media_dir, max_bytes=limit
                )
                blocks.append(DetailBlockIn(kind=op, media_id=asset.id))
            else:
                blocks = _moved(blocks, op, int(index) if index.isdigit() else -1)
            await details.set_detail(session, access.scope, product_id, blocks)
    except WeShopError as exc:
        add_refusal(request, result, exc, DETAIL_REFUSALS)
        if exc.code == "payload_too_large" and op == "video":
            result.errors = {"video": gettext(request, VIDEO_TOO_LARGE)}
        return await _page(
            request,
            session,
            access,
            product_id,
            errors=result.errors,
            values=result.values,
            status_code=exc.status_code,
        )
    return done_redirect(access, f"/products/{product_id}/detail", "saved")
