from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import Address
from weshop.catalog.models import Product, Sku
from weshop.core.tenancy import StoreScope
from weshop.core.versions import versions_of
from weshop.orders.models import (
    CampaignKind,
    Order,
    OrderEvent,
    OrderLine,
    OrderPickup,
    OrderStatus,
    Shipment,
)
from weshop.stores.models import Store


async def skus_for_checkout(
    session: AsyncSession, sku_ids: list[int]
) -> list[tuple[Sku, Product, Store]]:
    rows = await session.execute(
        select(Sku, Product, Store)
        .join(Product, Product.id == Sku.product_id)
        .join(Store, Store.id == Sku.store_id)
        .where(Sku.id.in_(sku_ids))
    )
    return [(sku, product, store) for sku, product, store in rows]


def checkout_stores(sku_ids: ColumnElement[Any]) -> Select:
    """The ids of the stores that sell ``sku_ids``, as a subquery."""
    return select(Sku.store_id).where(Sku.id.in_(sku_ids))


def checkout_versions(sku_ids: ColumnElement[Any], address_id: ColumnElement[Any]) -> list[Select]:
    """Versions of what ``skus_for_checkout`` reads and of the delivery address."""
    return [
        versions_of("sku", Sku.id, Sku.updated_at, Sku.id.in_(sku_ids)),
        versions_of(
            "product",
            Product.id,
            Product.updated_at,
            Product.id.in_(select(Sku.product_id).where(Sku.id.in_(sku_ids))),
        ),
        versions_of("store", Store.id, Store.updated_at, Store.id.in_(checkout_stores(sku_ids))),
        versions_of("address", Address.id, Address.updated_at, Address.id == address_id),
    ]


def shopper_orders(user_id: int) -> Select:
    return select(Order).where(Order.user_id == user_id)


def store_orders(scope: StoreScope) -> Select:
    return select(Order).where(Order.store_id == scope.store_id)


def filtered(
    query: Select,
    *,
    status: OrderStatus | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    order_no: str | None = None,
    phone_index: str | None = None,
    campaign_kind: CampaignKind | None = None,
) -> Select:
    if campaign_kind is not None:
        query = query.where(Order.campaign_kind == campaign_kind)
    if status is not None:
        query = query.where(Order.status == status)
    if created_from is not None:
        query = query.where(Order.created_at >= created_from)
    if created_to is not None:
        query = query.where(Order.created_at < created_to)
    if order_no:
        query = query.where(Order.order_no == order_no)
    if phone_index:
        query = query.where(Order.ship_phone_index == phone_index)
    return query


Row = TypeVar("Row", OrderLine, Shipment)


async def _grouped_by_order(
    session: AsyncSession, model: type[Row], order_ids: list[int]
) -> dict[int, list[Row]]:
    grouped: dict[int, list[Row]] = defaultdict(list)
    if order_ids:
        rows = await session.scalars(
            select(model).where(model.order_id.in_(order_ids)).order_by(model.id)
        )
        for row in rows:
            grouped[row.order_id].append(row)
    return grouped


async def lines_of(session: AsyncSession, order_ids: list[int]) -> dict[int, list[OrderLine]]:
    return await _grouped_by_order(session, OrderLine, order_ids)


async def locked_order_lines(session: AsyncSession, order_id: int) -> list[OrderLine]:
    """The order's lines as they are now, read after :func:`weshop.core.db.lock_row` on the
    order (rows already in the session are refreshed)."""
    rows = await session.scalars(
        select(OrderLine)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def shipments_of(session: AsyncSession, order_ids: list[int]) -> dict[int, list[Shipment]]:
    return await _grouped_by_order(session, Shipment, order_ids)


async def events_of(session: AsyncSession, order_id: int) -> list[OrderEvent]:
    rows = await session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
    )
    return list(rows)


async def store_names(session: AsyncSession, store_ids: set[int]) -> dict[int, str]:
    if not store_ids:
        return {}
    rows = await session.execute(select(Store.id, Store.name).where(Store.id.in_(store_ids)))
    return {store_id: name for store_id, name in rows}


async def shopper_order(session: AsyncSession, user_id: int, order_id: int) -> Order | None:
    return await session.scalar(select(Order).where(Order.id == order_id, Order.user_id == user_id))


async def store_order(session: AsyncSession, scope: StoreScope, order_id: int) -> Order | None:
    return await session.scalar(
        select(Order).where(Order.id == order_id, Order.store_id == scope.store_id)
    )


async def live_sibling(session: AsyncSession, order: Order) -> Order | None:
    """Another order of the same checkout that is neither cancelled nor wholly refunded
    (one that keeps some of what it paid, or has not paid yet), the lowest id first."""
    return await session.scalar(
        select(Order)
        .where(
            Order.checkout_no == order.checkout_no,
            Order.id != order.id,
            Order.status != OrderStatus.CANCELLED,
            or_(Order.paid_fen == 0, Order.refunded_fen < Order.paid_fen),
        )
        .order_by(Order.id)
        .limit(1)
    )


async def checkout_order_ids(session: AsyncSession, checkout_no: str) -> list[int]:
    return list(
        await session.scalars(
            select(Order.id).where(Order.checkout_no == checkout_no).order_by(Order.id)
        )
    )


async def orders_shipped_with(session: AsyncSession, store_id: int, tracking_no: str) -> list[int]:
    """The store's orders with a package of this tracking number."""
    rows = await session.scalars(
        select(Shipment.order_id)
        .where(Shipment.store_id == store_id, Shipment.tracking_no == tracking_no)
        .distinct()
    )
    return sorted(rows)


async def pickup_of(session: AsyncSession, order_id: int) -> OrderPickup | None:
    return await session.scalar(select(OrderPickup).where(OrderPickup.order_id == order_id))


async def pickups_of(session: AsyncSession, order_ids: list[int]) -> dict[int, OrderPickup]:
    if not order_ids:
        return {}
    rows = await session.scalars(select(OrderPickup).where(OrderPickup.order_id.in_(order_ids)))
    return {pickup.order_id: pickup for pickup in rows}


async def pickup_by_code(
    session: AsyncSession, store_id: int, code_index: str
) -> OrderPickup | None:
    return await session.scalar(
        select(OrderPickup).where(
            OrderPickup.store_id == store_id, OrderPickup.code_index == code_index
        )
    )


async def mark_picked_up(
    session: AsyncSession, pickup_id: int, picked_up_at: datetime, staff_id: int
) -> bool:
    """Compare-and-set: False when another verification marked it first."""
    result = await session.execute(
        update(OrderPickup)
        .where(OrderPickup.id == pickup_id, OrderPickup.picked_up_at.is_(None))
        .values(picked_up_at=picked_up_at, picked_up_by=staff_id)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
