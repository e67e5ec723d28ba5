"""The bulk tools of the products list over the API: status, price and stock of a batch of
products in one request, all of it or nothing."""

from __future__ import annotations

from fastapi import APIRouter

from weshop.catalog.bulk import service as bulk
from weshop.catalog.bulk.schemas import (
    BulkPriceIn,
    BulkProductOut,
    BulkResultOut,
    BulkSkuOut,
    BulkStatusIn,
    BulkStockIn,
)
from weshop.core.http import DbSession, IdempotencyKey
from weshop.core.idempotency import run_idempotent
from weshop.core.tenancy import StoreScope
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission

merchant = APIRouter(
    prefix="/api/v1/merchant/stores/{store_id}/products/bulk", tags=["merchant: catalogue"]
)

Writer = staff_with(Permission.CATALOG_WRITE)
StockWriter = staff_with(Permission.STOCK_WRITE)


def result_out(outcome: bulk.BulkOutcome) -> BulkResultOut:
    return BulkResultOut(
        changed_skus=outcome.changed_skus,
        products=[
            BulkProductOut(
                id=detail.product.id,
                title=detail.product.title,
                status=detail.product.status,
                price_from_fen=detail.product.price_from_fen,
                skus=[
                    BulkSkuOut(
                        id=sku.id,
                        spec_text=sku.spec_text,
                        price_fen=sku.price_fen,
                        available=level.available if (level := detail.levels.get(sku.id)) else 0,
                    )
                    for sku in detail.skus
                ],
            )
            for detail in outcome.products
        ],
    )


@merchant.post("/status", response_model=BulkResultOut, summary="Publish or unpublish products")
async def change_status(body: BulkStatusIn, session: DbSession, scope: StoreScope = Writer):
    """批量上下架: put a batch of products on sale or take them off sale, each as the
    single publish / unpublish would (a product to publish needs an active SKU priced above
    0: 409 `not_publishable`; an archived product: 409).

    A batch is all or nothing: an id of another store answers 404 and writes nothing; a
    refusal of one product refuses the whole batch, its `details.product_id` naming it.
    """
    return result_out(await bulk.change_status(session, scope, body))


@merchant.post("/price", response_model=BulkResultOut, summary="Change the prices of products")
async def change_prices(body: BulkPriceIn, session: DbSession, scope: StoreScope = Writer):
    """批量改价: every SKU of the batch gets a price (`set`), or its price moves by an
    amount in fen (`add`) or a percentage (`percent`, rounded half up to the fen). A result
    below 1 fen answers 409 `price_out_of_range`, naming the SKUs.

    A batch is all or nothing: an id of another store answers 404 and writes nothing; a
    refusal of one product refuses the whole batch, its `details.product_id` naming it.
    """
    return result_out(await bulk.change_prices(session, scope, body))


@merchant.post("/stock", response_model=BulkResultOut, summary="Change the stock of products")
async def change_stock(
    body: BulkStockIn,
    session: DbSession,
    idempotency_key: IdempotencyKey = None,
    scope: StoreScope = StockWriter,
):
    """批量改库存: every SKU of the batch gets an available count (`set`, taken under the
    stock row's lock, so a concurrent sale is never overwritten) or moves by a number of
    units (`add`). Each change is a recorded stock movement with `reason`; stock never goes
    below zero (409 `stock_would_go_negative`). Send an `Idempotency-Key` so that a retried
    request moves stock once.

    A batch is all or nothing: an id of another store answers 404 and writes nothing; a
    refusal of one product refuses the whole batch, its `details.product_id` naming it.
    """

    async def move() -> BulkResultOut:
        return result_out(await bulk.change_stock(session, scope, body))

    outcome = await run_idempotent(
        session,
        key=idempotency_key,
        owner=f"user:{scope.actor_id}",
        endpoint="catalog.bulk_stock",
        payload={"store_id": scope.store_id, **body.model_dump(mode="json")},
        action=move,
        model=BulkResultOut,
        status_code=200,
    )
    return outcome.response()
