"""Orders as the API shows them: with lines, packages, history and masked personal data."""

from __future__ import annotations

from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.crypto import mask_name, mask_phone, mask_text
from weshop.inventory.models import StockReservation
from weshop.inventory.warehouses import order_allocations
from weshop.orders import repository as repo
from weshop.orders.models import Order, OrderEvent, OrderLine, OrderPickup, Shipment
from weshop.orders.schemas import (
    AllocationOut,
    CampaignRefOut,
    OrderEventOut,
    OrderLineOut,
    OrderOut,
    PickupOut,
    ShipmentOut,
    ShippingAddressOut,
)
from weshop.orders.state import ORDER_MACHINE

Audience = Literal["shopper", "staff"]

# Machine actions each side may start, under the name the API uses for them.
_ACTIONS: dict[Audience, dict[str, str]] = {
    "shopper": {
        "pay": "pay",
        "cancel": "cancel",
        "cancel_with_refund": "cancel",
        "confirm_receipt": "confirm_receipt",
    },
    "staff": {
        "cancel": "cancel",
        "cancel_with_refund": "cancel",
        "ship": "ship",
        "ship_partly": "ship",
    },
}


def allowed_actions(order: Order, audience: Audience, *, pickup_order: bool = False) -> list[str]:
    """What ``audience`` may do next; a ``pickup_order`` is verified at its pickup point,
    never shipped."""
    names = _ACTIONS[audience]
    found = [names[a] for a in ORDER_MACHINE.allowed_actions(order.status) if a in names]
    if order.shipping_held or pickup_order:
        found = [action for action in found if action != "ship"]
    return list(dict.fromkeys(found))


def pickup_out(pickup: OrderPickup, audience: Audience) -> PickupOut:
    """Staff see the contact masked and never the code: they verify the one shown to them."""
    staff = audience == "staff"
    return PickupOut(
        pickup_point_id=pickup.pickup_point_id,
        point_name=pickup.point_name,
        point_address=pickup.point_address,
        point_opening_hours=pickup.point_opening_hours,
        point_phone=pickup.point_phone,
        contact_name=mask_name(pickup.contact_name) if staff else pickup.contact_name,
        contact_phone=mask_phone(pickup.contact_phone) if staff else pickup.contact_phone,
        code=None if staff else pickup.code,
        picked_up_at=pickup.picked_up_at,
    )


def shipping_address(order: Order, *, reveal: bool) -> ShippingAddressOut:
    return ShippingAddressOut(
        recipient=order.ship_recipient if reveal else mask_name(order.ship_recipient),
        phone=order.ship_phone if reveal else mask_phone(order.ship_phone),
        province=order.ship_province,
        city=order.ship_city,
        district=order.ship_district,
        detail=order.ship_detail if reveal else mask_text(order.ship_detail),
        postal_code=order.ship_postal_code,
    )


async def describe_orders(
    session: AsyncSession,
    orders: list[Order],
    *,
    audience: Audience,
    with_history: bool = False,
) -> list[OrderOut]:
    ids = [order.id for order in orders]
    lines = await repo.lines_of(session, ids)
    shipments = await repo.shipments_of(session, ids)
    pickups = await repo.pickups_of(session, ids)
    names = await repo.store_names(session, {order.store_id for order in orders})
    allocations = await order_allocations(session, ids) if audience == "staff" else {}
    described = []
    for order in orders:
        history = await repo.events_of(session, order.id) if with_history else []
        described.append(
            order_out(
                order,
                store_name=names.get(order.store_id, ""),
                lines=lines[order.id],
                shipments=shipments[order.id],
                history=history,
                audience=audience,
                pickup=pickups.get(order.id),
                allocation=allocations.get(order.id, []),
            )
        )
    return described


def order_out(
    order: Order,
    *,
    store_name: str,
    lines: list[OrderLine],
    shipments: list[Shipment],
    history: list[OrderEvent],
    audience: Audience,
    pickup: OrderPickup | None = None,
    allocation: list[StockReservation] | None = None,
) -> OrderOut:
    """One order as ``audience`` sees it, from its rows (a checkout answers with the orders it
    has just written, without reading them back)."""
    return OrderOut(
        id=order.id,
        order_no=order.order_no,
        checkout_no=order.checkout_no,
        store_id=order.store_id,
        store_name=store_name,
        status=order.status,
        allowed_actions=allowed_actions(order, audience, pickup_order=pickup is not None),
        currency=order.currency,
        subtotal_fen=order.subtotal_fen,
        discount_fen=order.discount_fen,
        shipping_fen=order.shipping_fen,
        payable_fen=order.payable_fen,
        paid_fen=order.paid_fen,
        refunded_fen=order.refunded_fen,
        price_breakdown=order.price_snapshot,
        lines=[OrderLineOut.model_validate(line) for line in lines],
        shipments=[ShipmentOut.model_validate(shipment) for shipment in shipments],
        # The shopper sees their own address in full; staff masked (a role that needs it
        # asks for it: the merchant API's shipping-address, the console's reveal).
        shipping_address=shipping_address(order, reveal=audience == "shopper"),
        buyer_note=order.buyer_note,
        pay_deadline=order.pay_deadline,
        paid_at=order.paid_at,
        shipped_at=order.shipped_at,
        auto_confirm_at=order.auto_confirm_at,
        completed_at=order.completed_at,
        cancelled_at=order.cancelled_at,
        cancel_reason=order.cancel_reason,
        created_at=order.created_at,
        history=[OrderEventOut.model_validate(event) for event in history],
        campaign=None
        if order.campaign_kind is None or order.campaign_id is None
        else CampaignRefOut(
            kind=order.campaign_kind,
            campaign_id=order.campaign_id,
            entry_id=order.campaign_entry_id,
        ),
        shipping_held=order.shipping_held,
        delivery="express" if pickup is None else "pickup",
        pickup=None if pickup is None else pickup_out(pickup, audience),
        warehouse_allocation=[AllocationOut.model_validate(row) for row in allocation or []],
    )


async def describe_order(session: AsyncSession, order: Order, *, audience: Audience) -> OrderOut:
    return (await describe_orders(session, [order], audience=audience, with_history=True))[0]
