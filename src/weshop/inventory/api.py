from __future__ import annotations

from fastapi import APIRouter

from weshop.core.http import DbSession, IdempotencyKey
from weshop.core.idempotency import run_idempotent
from weshop.core.ids import SkuId
from weshop.core.pagination import DEFAULT_LIMIT, CursorQuery, Limit, Page, page_of
from weshop.core.tenancy import StoreScope
from weshop.inventory import service
from weshop.inventory.models import MovementKind
from weshop.inventory.schemas import MovementIn, MovementOut, StockOut, ThresholdIn
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission

merchant = APIRouter(prefix="/api/v1/merchant/stores/{store_id}", tags=["merchant: stock"])

Reader = staff_with(Permission.CATALOG_READ)
Writer = staff_with(Permission.STOCK_WRITE)


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
