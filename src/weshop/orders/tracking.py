"""The order's side of parcel tracking: each package's timeline, and receipt confirmed sooner
once every package is delivered.

Logistics follows the parcels and announces :class:`ParcelDelivered`. When every package of
a shipped order is delivered, its auto-confirm deadline moves to the last delivery plus the
store's ``auto_confirm_after_delivery_days`` — only ever sooner than the deadline it had. The
move is a new ``AUTO_CONFIRM`` deadline; the handler confirms on whichever deadline finds
``auto_confirm_at`` due, and the other finds nothing to do.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.events import Subscribers
from weshop.core.outbox import emit
from weshop.logistics import tracking
from weshop.logistics.carriers.base import ParcelState
from weshop.logistics.carriers.codes import carrier_code, carrier_name
from weshop.logistics.events import ParcelDelivered
from weshop.orders import repository as repo
from weshop.orders.console import OrderForms
from weshop.orders.models import Order, OrderStatus
from weshop.orders.schemas import OrderTrackingOut, PackageTrackingOut, TrackingEventOut
from weshop.orders.service import AUTO_CONFIRM
from weshop.stores.console_access import ConsoleAccess
from weshop.stores.models import Store
from weshop.web.console_forms import N_

subscribers = Subscribers()

STATE_LABELS = {
    ParcelState.PENDING: N_("Waiting for the carrier"),
    ParcelState.COLLECTED: N_("Collected"),
    ParcelState.IN_TRANSIT: N_("In transit"),
    ParcelState.DELIVERING: N_("Out for delivery"),
    ParcelState.DELIVERED: N_("Delivered"),
    ParcelState.TROUBLE: N_("Delivery problem"),
    ParcelState.RETURNING: N_("Being returned"),
    ParcelState.RETURNED: N_("Returned to sender"),
    ParcelState.REJECTED: N_("Refused by the recipient"),
    ParcelState.CUSTOMS: N_("In customs"),
}


async def order_tracking(session: AsyncSession, order: Order) -> OrderTrackingOut:
    """Each package of the order with its carrier's timeline (newest event first)."""
    shipments = (await repo.shipments_of(session, [order.id]))[order.id]
    found = await tracking.parcels(
        session, order.store_id, [(s.carrier, s.tracking_no) for s in shipments]
    )
    packages = []
    for shipment in shipments:
        parcel = found.get((shipment.carrier, shipment.tracking_no))
        code = carrier_code(shipment.carrier)
        packages.append(
            PackageTrackingOut(
                shipment_id=shipment.id,
                carrier=shipment.carrier,
                carrier_name=carrier_name(code) if code else shipment.carrier,
                tracking_no=shipment.tracking_no,
                tracked=parcel is not None,
                state=parcel.state.value if parcel else None,
                delivered_at=parcel.delivered_at if parcel else None,
                events=[
                    TrackingEventOut(at=event.at, text=event.text, area=event.area)
                    for event in (parcel.events if parcel else ())
                ],
            )
        )
    return OrderTrackingOut(order_id=order.id, packages=packages)


def timeline_view(found: OrderTrackingOut) -> dict[str, Any]:
    """Template values of the packages' timelines (the shopper's and the console's page)."""
    return {
        "tracking": {package.shipment_id: package for package in found.packages},
        "parcel_state_labels": {state.value: label for state, label in STATE_LABELS.items()},
    }


async def tracking_section(
    request: Request, session: AsyncSession, access: ConsoleAccess, order: Order, forms: OrderForms
) -> dict[str, Any]:
    """The console order page's package timelines (an ORDER_PAGE_SECTIONS entry)."""
    return timeline_view(await order_tracking(session, order))


async def delivered_orders(
    session: AsyncSession, event: ParcelDelivered
) -> list[tuple[Order, datetime]]:
    """The shipped orders this parcel's delivery leaves with every package delivered, each
    with its last delivery's time."""
    found_orders = []
    for order_id in await repo.orders_shipped_with(session, event.store_id, event.tracking_no):
        order = await session.get_one(Order, order_id)
        if order.status != OrderStatus.SHIPPED:
            continue
        shipments = (await repo.shipments_of(session, [order.id]))[order.id]
        numbers = [(s.carrier, s.tracking_no) for s in shipments]
        found = await tracking.parcels(session, order.store_id, numbers)
        delivered = [found[n].delivered_at for n in numbers if n in found]
        if len(delivered) < len(numbers) or None in delivered:
            continue
        found_orders.append((order, max(d for d in delivered if d is not None)))
    return found_orders


@subscribers.on(ParcelDelivered)
async def confirm_sooner_once_delivered(session: AsyncSession, event: ParcelDelivered) -> None:
    for order, delivered_at in await delivered_orders(session, event):
        if order.auto_confirm_at is None:
            continue
        store = await session.get_one(Store, order.store_id)
        sooner = delivered_at + timedelta(days=store.auto_confirm_after_delivery_days)
        if sooner < order.auto_confirm_at:
            order.auto_confirm_at = sooner
            emit(
                session,
                AUTO_CONFIRM,
                {"order_id": order.id},
                due_at=sooner,
                store_id=order.store_id,
            )
