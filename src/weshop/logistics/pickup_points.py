"""Pickup points (自提点): places where shoppers collect their orders themselves.

A store keeps at most ``MAX_PICKUP_POINTS`` points, with distinct names. A point is never
deleted (orders name it); switching ``is_active`` off takes it out of checkout, and orders
already placed for it keep the name, address and hours they were placed with. Writes take
the store's row lock first, so the name and count checks see no concurrent change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.db import lock_row
from weshop.core.errors import Conflict, InvalidInput, NotFound
from weshop.core.regions import PROVINCE_SET
from weshop.core.tenancy import StoreScope
from weshop.logistics import repository as repo
from weshop.logistics.models import PickupPoint
from weshop.logistics.schemas import PickupPointIn
from weshop.stores.models import Store, StoreStatus

MAX_PICKUP_POINTS = 100


async def list_points(session: AsyncSession, scope: StoreScope) -> list[PickupPoint]:
    return await repo.pickup_points_of(session, scope.store_id)


async def get_point(session: AsyncSession, scope: StoreScope, point_id: int) -> PickupPoint:
    point = await repo.pickup_point(session, scope.store_id, point_id)
    if point is None:
        raise NotFound("no such pickup point")
    return point


async def _check(
    session: AsyncSession, store_id: int, data: PickupPointIn, exclude_id: int | None
) -> None:
    if data.province not in PROVINCE_SET:
        raise InvalidInput(
            "unknown province; use the full official name, e.g. 浙江省",
            code="unknown_province",
            details={"provinces": [data.province]},
        )
    if await repo.pickup_point_named(session, store_id, data.name, exclude_id) is not None:
        raise Conflict(
            "another pickup point of this store has this name", code="duplicate_pickup_point_name"
        )


def _fill(point: PickupPoint, data: PickupPointIn) -> None:
    for field, value in data.model_dump().items():
        setattr(point, field, value)


async def create_point(
    session: AsyncSession, scope: StoreScope, data: PickupPointIn
) -> PickupPoint:
    await lock_row(session, Store, scope.store_id)
    if await repo.count_pickup_points(session, scope.store_id) >= MAX_PICKUP_POINTS:
        raise Conflict(f"a store has at most {MAX_PICKUP_POINTS} pickup points", code="too_many")
    await _check(session, scope.store_id, data, None)
    point = PickupPoint(store_id=scope.store_id)
    _fill(point, data)
    session.add(point)
    await session.flush()
    return point


async def replace_point(
    session: AsyncSession, scope: StoreScope, point_id: int, data: PickupPointIn
) -> PickupPoint:
    await lock_row(session, Store, scope.store_id)
    point = await get_point(session, scope, point_id)
    await _check(session, scope.store_id, data, point.id)
    _fill(point, data)
    await session.flush()
    return point


async def public_points(session: AsyncSession, store_id: int) -> list[PickupPoint]:
    """An active store's active points, for the checkout; an unknown or suspended store
    answers 404."""
    store = await session.get(Store, store_id)
    if store is None or store.status != StoreStatus.ACTIVE:
        raise NotFound("no such store")
    return await repo.pickup_points_of(session, store_id, active_only=True)


async def chosen_points(
    session: AsyncSession, choices: Mapping[int, int]
) -> dict[int, PickupPoint]:
    """The point chosen for each store (``{store_id: point_id}``), read live. A point that
    is not an active point of that store is bad input (422 ``unknown_pickup_point``)."""
    found = {point.id: point for point in await repo.pickup_points_by_id(session, choices.values())}
    chosen = {}
    for store_id, point_id in choices.items():
        point = found.get(point_id)
        if point is None or point.store_id != store_id or not point.is_active:
            raise InvalidInput(
                "the chosen pickup point is not an open pickup point of that store",
                code="unknown_pickup_point",
                details={"store_id": store_id, "pickup_point_id": point_id},
            )
        chosen[store_id] = point
    return chosen


async def open_points_of(
    session: AsyncSession, store_ids: Iterable[int]
) -> dict[int, list[PickupPoint]]:
    """The open pickup points of each of ``store_ids`` that has any, oldest first."""
    points: dict[int, list[PickupPoint]] = {}
    for point in await repo.open_pickup_points_of(session, store_ids):
        points.setdefault(point.store_id, []).append(point)
    return points
