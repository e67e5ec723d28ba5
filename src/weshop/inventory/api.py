from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from weshop.core.http import DbSession, IdempotencyKey
from weshop.core.idempotency import run_idempotent
from weshop.core.ids import MAX_ID, SkuId
from weshop.core.pagination import DEFAULT_LIMIT, CursorQuery, Limit, Page, page_of
from weshop.core.tenancy import StoreScope
from weshop.inventory import service, warehouses
from weshop.inventory.models import MovementKind
from weshop.inventory.schemas import (
    MovementIn,
    MovementOut,
    StockOut,
    ThresholdIn,
    WarehouseIn,
    WarehouseOut,
    WarehousePatch,
    WarehouseStockOut,
    WarehouseStockPage,
)
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission

merchant = APIRouter(prefix="/api/v1/merchant/stores/{store_id}", tags=["merchant: stock"])

Reader = staff_with(Permission.CATALOG_READ)
Writer = staff_with(Permission.STOCK_WRITE)
WarehouseId = Annotated[int, Path(ge=1, le=MAX_ID, description="Warehouse id.")]


@merchant.get("/skus/{sku_id}/stock", response_model=StockOut)
async def get_stock(sku_id: SkuId, session: DbSession, scope: StoreScope = Reader):
    """An SKU's stock: available, reserved for unpaid orders, and its low-stock threshold."""
    return await service.stock_level(session, scope, sku_id)


@merchant.get("/skus/{sku_id}/stock-movements", response_model=Page[MovementOut])
async def list_movements(
    sku_id: SkuId,
    session: DbSession,
    scope: StoreScope = Reader,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """Every change of an SKU's stock, newest first, with who made it and why."""
    rows = await service.movements(session, scope, sku_id, cursor, limit)
    return page_of(rows, limit, MovementOut.model_validate)


@merchant.post("/skus/{sku_id}/stock-movements", status_code=201, response_model=MovementOut)
async def record_movement(
    sku_id: SkuId,
    body: MovementIn,
    session: DbSession,
    idempotency_key: IdempotencyKey = None,
    scope: StoreScope = Writer,
):
    """Receive goods or correct the count. Stock never goes below zero (409, nothing
    written). Send an `Idempotency-Key` so a retried request moves stock once."""

    async def move() -> MovementOut:
        movement = await service.move_stock(
            session,
            scope,
            sku_id,
            kind=MovementKind(body.kind),
            quantity=body.quantity,
            reason=body.reason,
            warehouse_id=body.warehouse_id,
        )
        return MovementOut.model_validate(movement)

    outcome = await run_idempotent(
        session,
        key=idempotency_key,
        owner=f"user:{scope.actor_id}",
        endpoint="inventory.stock_movement",
        payload={"store_id": scope.store_id, "sku_id": sku_id, **body.model_dump()},
        action=move,
        model=MovementOut,
    )
    return outcome.response()


@merchant.put("/skus/{sku_id}/low-stock-threshold", response_model=StockOut)
async def set_threshold(
    sku_id: SkuId, body: ThresholdIn, session: DbSession, scope: StoreScope = Writer
):
    """Set when an SKU counts as low on stock."""
    return await service.set_low_stock_threshold(session, scope, sku_id, body.threshold)


@merchant.get("/skus/{sku_id}/stock/warehouses", response_model=list[WarehouseStockOut])
async def get_stock_by_warehouse(sku_id: SkuId, session: DbSession, scope: StoreScope = Reader):
    """An SKU's stock in each warehouse that holds or held it; their sum is the SKU's stock.
    Empty for a store without warehouses."""
    return await warehouses.sku_stock_by_warehouse(session, scope, sku_id)


@merchant.get("/warehouses", response_model=list[WarehouseOut])
async def list_warehouses(session: DbSession, scope: StoreScope = Reader):
    """The store's warehouses, oldest (the default) first."""
    return await warehouses.list_warehouses(session, scope)


@merchant.post("/warehouses", status_code=201, response_model=WarehouseOut)
async def create_warehouse(body: WarehouseIn, session: DbSession, scope: StoreScope = Writer):
    """Open a warehouse. The store's first is its default and holds all the stock the store
    had (and what its open orders hold); later ones start empty and receive goods through
    the stock movements. Orders are then allocated to warehouses when they hold stock."""
    return await warehouses.create_warehouse(session, scope, **body.model_dump())


@merchant.get("/warehouses/{warehouse_id}", response_model=WarehouseOut)
async def get_warehouse(warehouse_id: WarehouseId, session: DbSession, scope: StoreScope = Reader):
    """One warehouse."""
    return await warehouses.get_warehouse(session, scope, warehouse_id)


@merchant.patch("/warehouses/{warehouse_id}", response_model=WarehouseOut)
async def update_warehouse(
    warehouse_id: WarehouseId, body: WarehousePatch, session: DbSession, scope: StoreScope = Writer
):
    """Change a warehouse's details or region, or deactivate it (only when empty and not the
    default) or reactivate it."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return await warehouses.update_warehouse(session, scope, warehouse_id, changes)


@merchant.get("/warehouses/{warehouse_id}/stock", response_model=WarehouseStockPage)
async def get_warehouse_stock(
    warehouse_id: WarehouseId,
    session: DbSession,
    scope: StoreScope = Reader,
    after_sku_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """What a warehouse holds, per SKU in id order, a page at a time."""
    rows = await warehouses.warehouse_stock(session, scope, warehouse_id, after_sku_id, limit)
    items = [WarehouseStockOut.model_validate(row) for row in rows[:limit]]
    more = len(rows) > limit
    return WarehouseStockPage(items=items, next_after_sku_id=items[-1].sku_id if more else None)
