"""A store's warehouses: where it keeps stock, the provinces each serves first, and the stock
each holds.

A store opens its first warehouse and everything it had in stock is in it from then on (its
default warehouse); later warehouses start empty and receive goods. A warehouse that is
deactivated takes no new goods and ships no new orders, so it must first be emptied of
available stock; the default warehouse stays active.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.db import lock_row
from weshop.core.errors import Conflict, InvalidInput, NotFound
from weshop.core.regions import PROVINCE_SET
from weshop.core.tenancy import StoreScope
from weshop.inventory import repository as repo
from weshop.inventory.models import StockReservation, Warehouse, WarehouseStock
from weshop.stores.models import Store


def _province(name: str) -> str:
    if name not in PROVINCE_SET:
        raise InvalidInput(
            f"“{name}” is not a province of China by its full name, e.g. 浙江省",
            code="unknown_province",
            details={"province": name},
        )
    return name


def _regions(names: Sequence[str]) -> list[str]:
    return sorted({_province(name) for name in names})


async def _check_name(
    session: AsyncSession, store_id: int, name: str, except_id: int | None = None
) -> None:
    if await repo.warehouse_name_taken(session, store_id, name, except_id):
        raise Conflict("the store has a warehouse of that name", code="warehouse_name_taken")


async def create_warehouse(
    session: AsyncSession,
    scope: StoreScope,
    *,
    name: str,
    province: str,
    city: str,
    address: str,
    regions: Sequence[str],
) -> Warehouse:
    """Open a warehouse. The store's first becomes its default and holds all its stock so far
    (and the stock held for its open orders)."""
    warehouse = Warehouse(
        store_id=scope.store_id,
        name=name,
        province=_province(province),
        city=city,
        address=address,
        regions=_regions(regions),
        is_active=True,
    )
    # One at a time per store, and with new SKUs (see service.open_stock_level).
    await lock_row(session, Store, scope.store_id)
    await _check_name(session, scope.store_id, name)
    first = await repo.default_warehouse(session, scope.store_id) is None
    warehouse.is_default = first
    session.add(warehouse)
    await session.flush()
    if first:
        await repo.lock_store_levels(session, scope.store_id)
        await repo.fill_first_warehouse(session, scope.store_id, warehouse.id)
    return warehouse


async def update_warehouse(
    session: AsyncSession, scope: StoreScope, warehouse_id: int, changes: dict
) -> Warehouse:
    """Change a warehouse's details, its region, or deactivate/reactivate it."""
    warehouse = await get_warehouse(session, scope, warehouse_id)
    await lock_row(session, Warehouse, warehouse.id)
    await session.refresh(warehouse)
    if "name" in changes and changes["name"] != warehouse.name:
        await _check_name(session, scope.store_id, changes["name"], warehouse.id)
        warehouse.name = changes["name"]
    if "province" in changes:
        warehouse.province = _province(changes["province"])
    if "regions" in changes:
        warehouse.regions = _regions(changes["regions"])
    for plain in ("city", "address"):
        if plain in changes:
            setattr(warehouse, plain, changes[plain])
    if changes.get("is_active") is False and warehouse.is_active:
        if warehouse.is_default:
            raise Conflict("the default warehouse cannot be deactivated", code="default_warehouse")
        if await repo.warehouse_holds_stock(session, warehouse.id):
            raise Conflict(
                "move this warehouse's available stock out before deactivating it",
                code="warehouse_not_empty",
            )
        warehouse.is_active = False
    elif changes.get("is_active") is True:
        warehouse.is_active = True
    await session.flush()
    return warehouse


async def list_warehouses(session: AsyncSession, scope: StoreScope) -> list[Warehouse]:
    return await repo.warehouses_of(session, scope.store_id)


async def get_warehouse(session: AsyncSession, scope: StoreScope, warehouse_id: int) -> Warehouse:
    warehouse = await repo.warehouse(session, scope.store_id, warehouse_id)
    if warehouse is None:
        raise NotFound("no such warehouse")
    return warehouse


async def warehouse_stock(
    session: AsyncSession,
    scope: StoreScope,
    warehouse_id: int,
    after_sku_id: int | None,
    limit: int,
) -> list[WarehouseStock]:
    """A warehouse's SKUs in SKU order from after ``after_sku_id``; ``limit + 1`` rows so the
    caller can tell if more follow."""
    await get_warehouse(session, scope, warehouse_id)
    query = repo.warehouse_stock_query(scope.store_id, warehouse_id)
    if after_sku_id is not None:
        query = query.where(WarehouseStock.sku_id > after_sku_id)
    return list(await session.scalars(query.order_by(WarehouseStock.sku_id).limit(limit + 1)))


async def sku_stock_by_warehouse(
    session: AsyncSession, scope: StoreScope, sku_id: int
) -> list[WarehouseStock]:
    """One SKU's stock in each warehouse that ever held it (empty without warehouses)."""
    if await repo.level(session, scope.store_id, sku_id) is None:
        raise NotFound("no such SKU")
    return await repo.sku_stock_by_warehouse(session, scope.store_id, sku_id)


async def order_allocations(
    session: AsyncSession, order_ids: list[int]
) -> dict[int, list[StockReservation]]:
    """Each order's allocation to warehouses: a reservation per SKU and warehouse (sold,
    held, released or returned). Orders of a store without warehouses have none."""
    allocations: dict[int, list[StockReservation]] = {order_id: [] for order_id in order_ids}
    for reservation in await repo.allocations_of(session, order_ids):
        allocations[reservation.order_id].append(reservation)
    return allocations
