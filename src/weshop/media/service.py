"""Uploaded images (product images, store logos) and videos (a product's detail video):
checked by their bytes, stored once per store under their SHA-256."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.errors import InvalidInput, WeShopError
from weshop.core.tenancy import StoreScope
from weshop.media import repository as repo
from weshop.media.images import NotAnImage, sniff_image
from weshop.media.models import MediaAsset
from weshop.media.videos import NotAVideo, sniff_mp4


class UploadTooLarge(WeShopError):
    status_code = 413
    code = "payload_too_large"


def _store_file(target: Path, data: bytes) -> None:
    if target.exists():
        # Content-addressed: a file left by an upload whose transaction rolled back is these
        # same bytes.
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write aside and rename, so the static mount never serves half a file.
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    temporary.replace(target)


async def upload_image(
    session: AsyncSession, scope: StoreScope, data: bytes, *, media_dir: Path, max_bytes: int
) -> MediaAsset:
    """Keep an image of the store; the same bytes uploaded again give the same asset."""
    if len(data) > max_bytes:
        raise UploadTooLarge(f"an image may be at most {max_bytes} bytes")
    try:
        info = sniff_image(data)
    except NotAnImage as exc:
        raise InvalidInput(
            f"upload a PNG, JPEG, WebP or GIF image ({exc})", code="unsupported_image"
        ) from None
    return await _keep(
        session, scope, data, media_dir, info.content_type, info.extension, info.width, info.height
    )


async def upload_video(
    session: AsyncSession, scope: StoreScope, data: bytes, *, media_dir: Path, max_bytes: int
) -> MediaAsset:
    """Keep an MP4 video of the store; the same bytes uploaded again give the same asset."""
    if len(data) > max_bytes:
        raise UploadTooLarge(f"a video may be at most {max_bytes} bytes")
    try:
        content_type = sniff_mp4(data)
    except NotAVideo as exc:
        raise InvalidInput(f"upload an MP4 video ({exc})", code="unsupported_video") from None
    return await _keep(session, scope, data, media_dir, content_type, "mp4", None, None)


async def _keep(
    session: AsyncSession,
    scope: StoreScope,
    data: bytes,
    media_dir: Path,
    content_type: str,
    extension: str,
    width: int | None,
    height: int | None,
) -> MediaAsset:
    digest = hashlib.sha256(data).hexdigest()
    existing = await repo.asset_by_sha(session, scope.store_id, digest)
    if existing is not None:
        return existing
    relative = f"{scope.store_id}/{digest}.{extension}"
    await asyncio.to_thread(_store_file, media_dir / relative, data)
    asset = MediaAsset(
        store_id=scope.store_id,
        path=relative,
        content_type=content_type,
        size_bytes=len(data),
        sha256=digest,
        width=width,
        height=height,
        uploaded_by=scope.actor_id,
    )
    try:
        async with session.begin_nested():
            session.add(asset)
    except IntegrityError:
        # The same image arrived twice at once; the other upload's row is the answer.
        winner = await repo.asset_by_sha(session, scope.store_id, digest)
        if winner is None:
            raise
        return winner
    return asset
