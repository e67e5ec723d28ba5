"""Self-pickup orders (自提): checkout's delivery rules, the pickup row written at checkout
and the pickup code.

A store's goods may be collected at one of its open pickup points instead of shipped: the
order then has no address (its ``ship_*`` columns are empty) and no shipping fee (the quote
says ``delivery="pickup"``), and carries an ``OrderPickup`` with the point's details as
chosen and the contact who collects it (encrypted, masked for staff).

When the order is paid it gets a pickup code: 12 decimal digits drawn by ``secrets``, so
10^12 equally likely codes. The shopper sees it (stored encrypted) and staff find the order by
its keyed blind index, unique per store, so a code names one order of its store. The odds: a
store with N paid, uncollected pickup orders has N live codes; one random guess hits one with
probability N / 10^12, so 1,000 guesses against a store with 10,000 waiting orders succeed
with probability at most 1,000 × 10,000 / 10^12 = 10^-5. Guessing is also bounded: each
staff member of a store may fail ``VERIFY_BACKOFF.max_failures`` times before a lock
(``orders.pickup_verification``), so 1,000 guesses take days, not seconds.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

import segno
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import Address
from weshop.accounts.repository import phone_index
from weshop.core.crypto import cipher
from weshop.core.errors import Conflict, InvalidInput
from weshop.logistics import pickup_points as logistics_pickup
from weshop.logistics.models import PickupPoint
from weshop.orders import repository as repo
from weshop.orders.models import Order, OrderPickup
from weshop.orders.schemas import PickupContactIn
from weshop.pricing.quote import Quote

CODE_DIGITS = 12


def code_index(code: str) -> str:
    """The keyed blind index staff find a pickup code by."""
    return cipher().blind_index(code, kind="pickup_code")


def new_pickup(order: Order, point: PickupPoint, name: str, phone: str) -> OrderPickup:
    """The pickup row of ``order``, collected at ``point`` by ``name`` (``phone``); it gets
    its code when the order is paid."""
    return OrderPickup(
        order_id=order.id,
        store_id=order.store_id,
        pickup_point_id=point.id,
        point_name=point.name,
        point_address=f"{point.province}{point.city}{point.district}{point.address}",
        point_opening_hours=point.opening_hours,
        point_phone=point.phone,
        contact_name=name,
        contact_phone=phone,
        contact_phone_index=phone_index(phone),
    )


async def chosen_pickup_points(
    session: AsyncSession, choices: Mapping[int, int], store_ids: set[int]
) -> dict[int, PickupPoint]:
    """The point chosen for each store picked up (``{store_id: point_id}``) of a checkout
    with goods of ``store_ids``."""
    elsewhere = sorted(set(choices) - store_ids)
    if elsewhere:
        raise InvalidInput(
            "pickup is chosen for a store with nothing in this checkout",
            code="pickup_store_not_in_checkout",
            details={"store_ids": elsewhere},
        )
    return await logistics_pickup.chosen_points(session, choices)


def check_delivery(
    quote: Quote,
    address: Address | None,
    pickup_points: Mapping[int, PickupPoint],
    contact: PickupContactIn | None,
) -> None:
    """Shipped stores need an address they deliver to; picked-up stores need a contact."""
    shipped = [store for store in quote.stores if store.delivery == "express"]
    if shipped and address is None:
        raise InvalidInput(
            "give an address for the stores that ship, or pick up at each store",
            code="address_required",
            details={"store_ids": [store.store_id for store in shipped]},
        )
    if pickup_points and contact is None:
        raise InvalidInput(
            "give the name and phone of whoever collects the pickup orders",
            code="pickup_contact_required",
        )
    stores = [store.store_id for store in shipped if not store.deliverable]
    if stores:
        assert address is not None
        raise Conflict(
            f"some stores do not deliver to {address.province}",
            code="undeliverable",
            details={"store_ids": stores, "province": address.province},
        )


def ship_to(address: Address | None) -> dict[str, str]:
    """An order's ``ship_*`` columns: the address, or all empty for an order picked up."""
    if address is None:
        return dict.fromkeys(
            (
                "ship_recipient",
                "ship_phone",
                "ship_phone_index",
                "ship_province",
                "ship_city",
                "ship_district",
                "ship_detail",
                "ship_postal_code",
            ),
            "",
        )
    return {
        "ship_recipient": address.recipient,
        "ship_phone": address.phone,
        "ship_phone_index": phone_index(address.phone),
        "ship_province": address.province,
        "ship_city": address.city,
        "ship_district": address.district,
        "ship_detail": address.detail,
        "ship_postal_code": address.postal_code,
    }


async def issue_code(session: AsyncSession, order: Order) -> None:
    """Give a paid pickup order its code; nothing for an order that ships. A code already
    held by another order of the store is drawn again (the unique index would refuse it)."""
    pickup = await repo.pickup_of(session, order.id)
    if pickup is None or pickup.code is not None:
        return
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        index = code_index(code)
        if await repo.pickup_by_code(session, order.store_id, index) is None:
            break
    pickup.code, pickup.code_index = code, index
    await session.flush()


def code_qr_svg(code: str) -> str:
    """The pickup code as a QR code, inline SVG markup (the page's policy loads no ``data:``
    images) for the counter's scanner."""
    return segno.make(code, error="m", micro=False).svg_inline(scale=5, svgclass="pickup-qr")
