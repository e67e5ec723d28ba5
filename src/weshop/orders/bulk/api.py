"""批量发货 over the API: a batch of the store's orders shipped in one request."""

from __future__ import annotations

from fastapi import APIRouter

from weshop.core.http import DbSession
from weshop.core.tenancy import StoreScope
from weshop.orders.bulk import service as bulk
from weshop.orders.bulk.schemas import BatchShippedOut, ShipmentBatchIn, ShipmentBatchOut
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission

merchant = APIRouter(prefix="/api/v1/merchant/stores/{store_id}", tags=["merchant: orders"])


@merchant.post(
    "/shipment-batches", response_model=ShipmentBatchOut, summary="Ship a batch of orders"
)
async def ship_batch(
    body: ShipmentBatchIn,
    session: DbSession,
    scope: StoreScope = staff_with(Permission.ORDERS_FULFIL),
):
    """批量发货: ship each order of the batch in one package holding everything it has left
    to ship, exactly as `POST .../orders/{order_id}/shipments` with one package would. The
    carrier may be given by code (`zhongtong`) or name (中通快递, 中通); a known carrier is
    recorded by its name, so the package is tracked.

    All or nothing: an id of another store answers 404 and writes nothing; an order that
    cannot ship now (unpaid, shipped, cancelled, collected at a pickup point, waiting for
    its group) refuses the whole batch with 409, its `details.order_no` naming it."""
    shipped = await bulk.ship_batch(session, scope, body.shipments)
    return ShipmentBatchOut(
        orders=[
            BatchShippedOut(
                id=row.order.id,
                order_no=row.order.order_no,
                status=row.order.status,
                carrier=row.carrier,
                tracking_no=row.tracking_no,
            )
            for row in shipped
        ]
    )
