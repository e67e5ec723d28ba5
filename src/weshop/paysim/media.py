"""Image upload: ``POST /v3/merchant/media/upload`` answers the ``media_id`` that forms such
as the sub-merchant application (进件) name their images by.

The request is ``multipart/form-data`` with two parts: ``meta``, a JSON object
``{"filename": ..., "sha256": ...}``, and ``file``, the image. The merchant signs the
``meta`` JSON (not the whole multipart body), and the image must have the SHA-256 the meta
says. WeChat Pay takes JPG, BMP and PNG images of at most 2 MB whose name says their type.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any

from weshop.paysim.context import SimContext
from weshop.paysim.errors import ApiError, param_error
from weshop.paysim.security import Caller

MAX_IMAGE_BYTES = 2 * 1024 * 1024
# The name's extension and the magic bytes each image type starts with.
IMAGE_TYPES: dict[str, tuple[bytes, ...]] = {
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "bmp": (b"BM",),
}


def parse_meta(raw: bytes) -> tuple[str, str]:
    """The ``filename`` and ``sha256`` of the ``meta`` part."""
    try:
        meta = json.loads(raw)
    except ValueError as exc:
        raise param_error("meta", "meta不是合法的JSON") from exc
    if not isinstance(meta, dict):
        raise param_error("meta", "meta不是合法的JSON")
    filename, digest = meta.get("filename"), meta.get("sha256")
    if not isinstance(filename, str) or not filename.strip() or len(filename) > 128:
        raise param_error("meta/filename", "文件名必填，且不超过128个字符")
    if not isinstance(digest, str) or len(digest) != 64:
        raise param_error("meta/sha256", "sha256必填，为64位十六进制摘要")
    return filename, digest.lower()


class MediaUploads:
    def __init__(self, sim: SimContext) -> None:
        self.sim = sim

    def upload(self, caller: Caller, meta: bytes, data: bytes) -> dict[str, Any]:
        filename, digest = parse_meta(meta)
        extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if extension not in IMAGE_TYPES:
            raise param_error("meta/filename", "仅支持JPG、BMP、PNG格式", value=filename)
        if not data:
            raise param_error("file", "文件不能为空")
        if len(data) > MAX_IMAGE_BYTES:
            raise ApiError(
                400,
                "PARAM_ERROR",
                "图片大小不能超过2M",
                {"field": "file", "location": "body", "issue": "too large"},
            )
        if hashlib.sha256(data).hexdigest() != digest:
            raise param_error("meta/sha256", "文件摘要与sha256不一致")
        if not data.startswith(IMAGE_TYPES[extension]):
            raise param_error("file", "文件内容与文件名的格式不符", value=filename)
        media_id = self._media_id()
        self.sim.store.insert(
            "media",
            {
                "media_id": media_id,
                "mchid": caller.mchid,
                "sha256": digest,
                "size": len(data),
                "uploaded_at": self.sim.now().timestamp(),
            },
        )
        return {"media_id": media_id}

    def _media_id(self) -> str:
        # Shaped like WeChat Pay's: a long URL-safe token.
        return "V1_" + base64.urlsafe_b64encode(secrets.token_bytes(48)).decode().rstrip("=")

    def exists(self, mchid: str, media_id: str) -> bool:
        row = self.sim.store.one(
            "SELECT media_id FROM media WHERE mchid = ? AND media_id = ?", (mchid, media_id)
        )
        return row is not None
