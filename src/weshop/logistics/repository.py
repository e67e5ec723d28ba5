"""Shipping template queries; every one takes the store id."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.versions import versions_of
from weshop.logistics.models import PickupPoint, ShippingTemplate


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
    """Versions of the shipping templates and pickup points of the stores ``store_ids``
    selects."""
    return [
        versions_of(
            "shipping_template",
            ShippingTemplate.id,
            ShippingTemplate.updated_at,
            ShippingTemplate.store_id.in_(store_ids),
        ),
        versions_of(
            "pickup_point",
            PickupPoint.id,
            PickupPoint.updated_at,
            PickupPoint.store_id.in_(store_ids),
        ),
    ]


async def pickup_points_of(
    session: AsyncSession, store_id: int, *, active_only: bool = False
) -> list[PickupPoint]:
    query = select(PickupPoint).where(PickupPoint.store_id == store_id)
    if active_only:
        query = query.where(PickupPoint.is_active)
    return list(await session.scalars(query.order_by(PickupPoint.id)))


async def pickup_point(session: AsyncSession, store_id: int, point_id: int) -> PickupPoint | None:
    return await session.scalar(
        select(PickupPoint).where(PickupPoint.store_id == store_id, PickupPoint.id == point_id)
    )


async def pickup_points_by_id(session: AsyncSession, point_ids: Iterable[int]) -> list[PickupPoint]:
    wanted = set(point_ids)
    if not wanted:
        return []
    return list(await session.scalars(select(PickupPoint).where(PickupPoint.id.in_(wanted))))


async def count_pickup_points(session: AsyncSession, store_id: int) -> int:
    return await session.scalar(
        select(func.count()).select_from(PickupPoint).where(PickupPoint.store_id == store_id)
    )


async def pickup_point_named(
    session: AsyncSession, store_id: int, name: str, exclude_id: int | None
) -> PickupPoint | None:
    query = select(PickupPoint).where(PickupPoint.store_id == store_id, PickupPoint.name == name)
    if exclude_id is not None:
        query = query.where(PickupPoint.id != exclude_id)
    return await session.scalar(query.limit(1))


async def open_pickup_points_of(
    session: AsyncSession, store_ids: Iterable[int]
) -> list[PickupPoint]:
    wanted = set(store_ids)
    if not wanted:
        return []
    rows = await session.scalars(
        select(PickupPoint)
        .where(PickupPoint.store_id.in_(wanted), PickupPoint.is_active)
        .order_by(PickupPoint.store_id, PickupPoint.id)
    )
    return list(rows)
