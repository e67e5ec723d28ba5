"""Shipping template queries; every one takes the store id."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.versions import versions_of
from weshop.logistics.models import ShippingTemplate


async def templates_of(session: AsyncSession, store_ids: Iterable[int]) -> list[ShippingTemplate]:
    wanted = set(store_ids)
    if not wanted:
        return []
    rows = await session.scalars(
        select(ShippingTemplate)
        .where(ShippingTemplate.store_id.in_(wanted))
        .order_by(ShippingTemplate.store_id, ShippingTemplate.id)
    )
    return list(rows)


async def template(
    session: AsyncSession, store_id: int, template_id: int
) -> ShippingTemplate | None:
    return await session.scalar(
        select(ShippingTemplate).where(
            ShippingTemplate.store_id == store_id, ShippingTemplate.id == template_id
        )
    )


async def count_templates(session: AsyncSession, store_id: int) -> int:
    return await session.scalar(
        select(func.count())
        .select_from(ShippingTemplate)
        .where(ShippingTemplate.store_id == store_id)
    )


async def named(
    session: AsyncSession, store_id: int, name: str, exclude_id: int | None = None
) -> ShippingTemplate | None:
    query = select(ShippingTemplate).where(
        ShippingTemplate.store_id == store_id, ShippingTemplate.name == name
    )
    if exclude_id is not None:
        query = query.where(ShippingTemplate.id != exclude_id)
    return await session.scalar(query.limit(1))


async def clear_default(session: AsyncSession, store_id: int, keep_id: int) -> None:
    await session.execute(
        update(ShippingTemplate)
        .where(
            ShippingTemplate.store_id == store_id,
            ShippingTemplate.is_default,
            ShippingTemplate.id != keep_id,
        )
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )


def pricing_versions(store_ids: Select) -> list[Select]:
    """Versions of the shipping templates of the stores ``store_ids`` selects."""
    return [
        versions_of(
            "shipping_template",
            ShippingTemplate.id,
            ShippingTemplate.updated_at,
            ShippingTemplate.store_id.in_(store_ids),
        )
    ]
