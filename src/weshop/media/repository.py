from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.media.models import MediaAsset


async def asset_by_sha(session: AsyncSession, store_id: int, sha256: str) -> MediaAsset | None:
    return await session.scalar(
        select(MediaAsset).where(MediaAsset.store_id == store_id, MediaAsset.sha256 == sha256)
    )
