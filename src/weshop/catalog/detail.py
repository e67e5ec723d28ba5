"""A product's 图文 detail: ordered blocks of text, images and at most one video, shown on the
product page below the specs. The blocks name media of the product's store; an image block
must name an image and a video block a video."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.catalog import repository as repo
from weshop.catalog.schemas import MAX_DETAIL_BLOCKS, DetailBlockIn, DetailOut, detail_out
from weshop.catalog.service import editable, product_of
from weshop.core.errors import Conflict, NotFound
from weshop.core.tenancy import StoreScope

# The routes that take a product video: the only ones whose bodies may be the size of one
# (WESHOP_MAX_VIDEO_BYTES); every other upload keeps the image limit.
VIDEO_UPLOAD_PATHS = (
    re.compile(r"/api/v1/merchant/stores/\d+/media/videos"),
    re.compile(r"/console/stores/\d+/products/\d+/detail"),
)


async def get_detail(session: AsyncSession, scope: StoreScope, product_id: int) -> DetailOut:
    product = await product_of(session, scope, product_id)
    ids = [block["media_id"] for block in product.detail_blocks if block.get("media_id")]
    return DetailOut(blocks=detail_out(product.detail_blocks, await repo.media(session, ids)))


async def set_detail(
    session: AsyncSession, scope: StoreScope, product_id: int, blocks: Sequence[DetailBlockIn]
) -> DetailOut:
    """Replace the whole detail with ``blocks``, in their order."""
    product = await product_of(session, scope, product_id, lock=True)
    editable(product)
    if len(blocks) > MAX_DETAIL_BLOCKS:
        raise Conflict(f"a detail has at most {MAX_DETAIL_BLOCKS} blocks", code="too_many_blocks")
    if sum(block.kind == "video" for block in blocks) > 1:
        raise Conflict("a detail has at most one video", code="one_video_only")
    ids = [block.media_id for block in blocks if block.media_id is not None]
    media = await repo.media(session, ids, scope.store_id)
    for index, block in enumerate(blocks):
        if block.media_id is None:
            continue
        asset = media.get(block.media_id)
        details = {"index": index, "media_id": block.media_id}
        if asset is None:
            raise NotFound(f"block {index} names no media of this store", details=details)
        if not asset.content_type.startswith("video/" if block.kind == "video" else "image/"):
            raise Conflict(
                f"block {index} is a {block.kind} block but names another kind of file",
                code="wrong_media_kind",
                details=details,
            )
    product.detail_blocks = [block.model_dump(exclude_none=True) for block in blocks]
    await session.flush()
    return DetailOut(blocks=detail_out(product.detail_blocks, media))
