"""Bulk tools of the products list: one change applied to a batch of the store's products,
all of it or nothing.

Each change goes through the same service function as the single edit (the state machine,
``update_sku``, ``inventory.move_stock``), so a batch obeys every rule one edit obeys. Every
product of the batch is found in the caller's store before anything is written: one id of
another store answers 404 and the caller's transaction writes nothing. A refusal names the
product it is about (``details.product_id``), so the merchant knows which one to fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.catalog import repository as repo
from weshop.catalog import service
from weshop.catalog.bulk.schemas import (
    MAX_BATCH_SKUS,
    AddToPrice,
    BulkPriceIn,
    BulkStatusIn,
    BulkStockIn,
    PriceChange,
    SetPrice,
    SetStock,
)
from weshop.catalog.models import Product, ProductStatus, Sku
from weshop.catalog.schemas import SkuPatch
from weshop.core.db import lock_row
from weshop.core.errors import Conflict, InvalidInput, NotFound, WeShopError
from weshop.core.money import MAX_UNIT_PRICE_FEN
from weshop.core.tenancy import StoreScope
from weshop.inventory import service as inventory
from weshop.inventory.models import MovementKind, StockLevel

# The status a product is in after each action: a product already there is left alone.
ACTION_TARGETS = {"publish": ProductStatus.PUBLISHED, "unpublish": ProductStatus.UNPUBLISHED}


@dataclass(frozen=True)
class BulkOutcome:
    changed_skus: int
    products: list[service.ProductDetail]


@dataclass(frozen=True)
class PlannedSku:
    """One SKU of a batch: what it is now and what the batch makes of it."""

    product: Product
    sku: Sku
    before: int
    after: int


@contextmanager
def _about(product: Product) -> Iterator[None]:
    """A refusal while changing ``product`` says which product it was."""
    # Read before: after a refusal from the database the row can no longer be loaded.
    named = {"product_id": product.id, "title": product.title}
    try:
        yield
    except WeShopError as exc:
        given = exc.details if isinstance(exc.details, dict) else {}
        exc.details = {**given, **named}
        raise


async def batch_products(
    session: AsyncSession, scope: StoreScope, product_ids: list[int], *, lock: bool = False
) -> list[Product]:
    """The store's products of the batch in id order (the order rows are locked in); 404
    naming the ids that are not the store's."""
    found, missing = [], []
    for product_id in sorted(product_ids):
        product = await repo.product(session, scope.store_id, product_id, lock=lock)
        if product is None:
            missing.append(product_id)
        else:
            found.append(product)
    if missing:
        raise NotFound("some products are not products of this store", details={"ids": missing})
    return found


async def _outcome(
    session: AsyncSession, scope: StoreScope, products: list[Product], changed: int
) -> BulkOutcome:
    return BulkOutcome(
        changed_skus=changed,
        products=[await service.get_product(session, scope, p.id) for p in products],
    )


async def change_status(
    session: AsyncSession, scope: StoreScope, data: BulkStatusIn
) -> BulkOutcome:
    """Publish or unpublish every product of the batch, as one edit would."""
    products = await batch_products(session, scope, data.product_ids, lock=True)
    for product in products:
        if product.status != ACTION_TARGETS[data.action]:
            with _about(product):
                await service.change_status(session, scope, product.id, data.action)
    return await _outcome(session, scope, products, 0)


def new_price(price_fen: int, change: PriceChange) -> int:
    """The price ``change`` makes of ``price_fen``; a percentage rounds half up to the fen."""
    if isinstance(change, SetPrice):
        return change.price_fen
    if isinstance(change, AddToPrice):
        return price_fen + change.amount_fen
    return (price_fen * (100 + change.percent) * 2 + 100) // 200


async def _skus(session: AsyncSession, products: list[Product]) -> list[tuple[Product, Sku]]:
    pairs = [(p, sku) for p in products for sku in await repo.skus_of(session, p.id)]
    if len(pairs) > MAX_BATCH_SKUS:
        raise Conflict(
            f"a batch changes {MAX_BATCH_SKUS} SKUs at most; select fewer products",
            code="batch_too_large",
            details={"skus": len(pairs), "max": MAX_BATCH_SKUS},
        )
    return pairs


async def plan_prices(
    session: AsyncSession, scope: StoreScope, data: BulkPriceIn
) -> list[PlannedSku]:
    """Every SKU of the batch with its price now and after the change, or 409
    ``price_out_of_range`` naming the SKUs the change would price below 1 fen or above the
    highest price; nothing is written."""
    return await _priced(
        session, await batch_products(session, scope, data.product_ids), data.change
    )


async def _priced(
    session: AsyncSession, products: list[Product], change: PriceChange
) -> list[PlannedSku]:
    planned = [
        PlannedSku(p, sku, sku.price_fen, new_price(sku.price_fen, change))
        for p, sku in await _skus(session, products)
    ]
    out_of_range = [
        {"product_id": row.product.id, "sku_id": row.sku.id, "price_fen": row.after}
        for row in planned
        if not 1 <= row.after <= MAX_UNIT_PRICE_FEN
    ]
    if out_of_range:
        raise Conflict(
            "the change would price some SKUs below 1 fen or above the highest price",
            code="price_out_of_range",
            details={"skus": out_of_range[:20]},
        )
    return planned


async def change_prices(session: AsyncSession, scope: StoreScope, data: BulkPriceIn) -> BulkOutcome:
    """Set or move the price of every SKU of the batch, each through ``update_sku``; the
    products are held first (in id order), so each SKU's price is read as it is changed."""
    products = await batch_products(session, scope, data.product_ids, lock=True)
    changed = 0
    for row in await _priced(session, products, data.change):
        if row.after != row.before:
            with _about(row.product):
                await service.update_sku(
                    session, scope, row.product.id, row.sku.id, SkuPatch(price_fen=row.after)
                )
            changed += 1
    return await _outcome(session, scope, products, changed)


async def plan_stock(
    session: AsyncSession, scope: StoreScope, data: BulkStockIn
) -> list[PlannedSku]:
    """Every SKU of the batch with its available stock now and after the change, as the
    stock reads now (a sale meanwhile is counted when the change is made)."""
    products = await batch_products(session, scope, data.product_ids)
    pairs = await _skus(session, products)
    levels = await inventory.stock_levels(session, [sku.id for _p, sku in pairs])
    planned = []
    for product, sku in pairs:
        before = levels[sku.id].available if sku.id in levels else 0
        if isinstance(data.change, SetStock):
            planned.append(PlannedSku(product, sku, before, data.change.quantity))
        else:
            planned.append(PlannedSku(product, sku, before, before + data.change.quantity))
    return planned


async def _locked_available(session: AsyncSession, scope: StoreScope, sku_id: int) -> int:
    """The SKU's available stock, with its row held until the transaction ends: a sale
    waits, so "set to n" is not overwritten by one that read before it."""
    level = await inventory.stock_level(session, scope, sku_id)
    await lock_row(session, StockLevel, sku_id)
    await session.refresh(level)
    return level.available


async def change_stock(session: AsyncSession, scope: StoreScope, data: BulkStockIn) -> BulkOutcome:
    """Set or move the available stock of every SKU of the batch, SKU rows in id order, each
    change a recorded stock movement through ``inventory.move_stock`` (never below zero)."""
    products = await batch_products(session, scope, data.product_ids)
    pairs = sorted(await _skus(session, products), key=lambda pair: pair[1].id)
    changed = 0
    for product, sku in pairs:
        if isinstance(data.change, SetStock):
            delta = data.change.quantity - await _locked_available(session, scope, sku.id)
        else:
            delta = data.change.quantity
        if delta == 0:
            continue
        with _about(product):
            await _move(session, scope, sku.id, delta, data)
        changed += 1
    return await _outcome(session, scope, products, changed)


async def _move(
    session: AsyncSession, scope: StoreScope, sku_id: int, delta: int, data: BulkStockIn
) -> None:
    try:
        await inventory.move_stock(
            session,
            scope,
            sku_id,
            kind=MovementKind.ADJUST,
            quantity=delta,
            reason=data.reason,
            warehouse_id=data.warehouse_id,
        )
    except InvalidInput as exc:
        if exc.code != "invalid_quantity":
            raise
        # The input was valid; this SKU's count would leave the range stock is kept in.
        raise Conflict(
            "the change would take an SKU's stock above the highest count",
            code="stock_out_of_range",
            details={"sku_id": sku_id},
        ) from exc
