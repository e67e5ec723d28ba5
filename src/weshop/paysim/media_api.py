"""``POST /v3/merchant/media/upload``: its signature covers the ``meta`` part alone."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from weshop.paysim.errors import param_error
from weshop.paysim.media import MAX_IMAGE_BYTES
from weshop.paysim.routing import SignedRoute, answer, caller_of, simulator_of

# A form larger than the image limit plus the meta part is refused before it is read.
MAX_FORM_BYTES = MAX_IMAGE_BYTES + 64 * 1024


async def _parts(request: Request) -> tuple[bytes, bytes]:
    """The ``meta`` JSON as sent and the ``file`` bytes (at most one byte past the limit)."""
    if "multipart/form-data" not in request.headers.get("content-type", ""):
        raise param_error("Content-Type", "须为multipart/form-data", location="header")
    form = await request.form(max_files=1, max_fields=1, max_part_size=MAX_FORM_BYTES)
    meta, file = form.get("meta"), form.get("file")
    if not isinstance(meta, str):
        raise param_error("meta", "meta必填")
    if not isinstance(file, UploadFile):
        raise param_error("file", "file必填")
    return meta.encode(), await file.read(MAX_IMAGE_BYTES + 1)


class MetaSignedRoute(SignedRoute):
    async def signed_body(self, request: Request) -> bytes:
        """The ``meta`` part as sent; nothing when there is none (the signature then fails,
        as WeChat Pay's does)."""
        if "multipart/form-data" not in request.headers.get("content-type", ""):
            return b""
        try:
            form = await request.form(max_files=1, max_fields=1, max_part_size=MAX_FORM_BYTES)
        except (MultiPartException, HTTPException):
            return b""
        meta = form.get("meta")
        return meta.encode() if isinstance(meta, str) else b""


router = APIRouter(route_class=MetaSignedRoute)


@router.post("/v3/merchant/media/upload")
async def upload(request: Request) -> Response:
    meta, data = await _parts(request)
    return answer(simulator_of(request).media.upload(caller_of(request), meta, data))
