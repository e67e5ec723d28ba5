"""Checkout: turn a shopper's items into one order per store, priced and with stock reserved.

Everything happens in the caller's transaction: if any line of any store cannot be reserved,
the whole checkout raises and nothing is written.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts import service as accounts
from weshop.accounts.models import Address, User
from weshop.accounts.repository import phone_index
from weshop.cart import service as cart
from weshop.catalog.models import Product, ProductStatus, Sku
from weshop.core.clock import utcnow
from weshop.core.errors import Conflict, InvalidInput
from weshop.core.money import MAX_LINE_QUANTITY
from weshop.core.outbox import emit
from weshop.inventory.service import reserve_stock
from weshop.orders import repository as repo
from weshop.orders.models import Order, OrderEvent, OrderLine, OrderStatus
from weshop.orders.schemas import CheckoutIn
from weshop.pricing.quote import PricingContext, PricingLine, Quote, price
from weshop.stores.models import Store, StoreStatus

PAYMENT_DEADLINE = "order.payment_deadline"


@dataclass(frozen=True)
class PlacedCheckout:
    checkout_no: str
    orders: list[Order]


def _number(prefix: str, now: datetime) -> str:
    return f"{prefix}{now:%Y%m%d%H%M%S}{secrets.randbelow(10**8):08d}"


async def _load_items(
    session: AsyncSession, quantities: dict[int, int]
) -> dict[int, list[tuple[Sku, Product, int]]]:
    """The wanted SKUs grouped by store; refuses unknown, unsellable or suspended ones."""
    found = await repo.skus_for_checkout(session, list(quantities))
    known = {sku.id for sku, _, _ in found}
    unknown = sorted(set(quantities) - known)
    if unknown:
        raise InvalidInput(
            "some items do not exist", code="unknown_sku", details={"sku_ids": unknown}
        )
    by_store: dict[int, list[tuple[Sku, Product, int]]] = defaultdict(list)
    for sku, product, store in found:
        if product.status != ProductStatus.PUBLISHED or not sku.is_active:
            raise Conflict(
                f"“{product.title}” is not on sale",
                code="product_unavailable",
                details={"sku_id": sku.id},
            )
        if store.status != StoreStatus.ACTIVE:
            raise Conflict(f"the store “{store.name}” is not taking orders", code="store_suspended")
        by_store[store.id].append((sku, product, quantities[sku.id]))
    return by_store


async def place_orders(session: AsyncSession, user: User, data: CheckoutIn) -> PlacedCheckout:
    now = utcnow()
    quantities: dict[int, int] = defaultdict(int)
    for item in data.items:
        quantities[item.sku_id] += item.quantity
    if any(quantity > MAX_LINE_QUANTITY for quantity in quantities.values()):
        raise InvalidInput(f"at most {MAX_LINE_QUANTITY} of one item", code="invalid_quantity")
    address = await accounts.get_address(session, user, data.address_id)
    by_store = await _load_items(session, quantities)
    checkout_no = _number("C", now)
    orders = []
    for store_id in sorted(by_store):
        store = await session.get_one(Store, store_id)
        items = sorted(by_store[store_id], key=lambda item: item[0].id)
        quote = price(
            [
                PricingLine(
                    sku_id=sku.id,
                    product_id=product.id,
                    title=product.title,
                    spec_text=sku.spec_text,
                    unit_price_fen=sku.price_fen,
                    quantity=quantity,
                )
                for sku, product, quantity in items
            ],
            PricingContext(store_id=store_id),
        )
        deadline = now + timedelta(minutes=store.payment_window_minutes)
        order = _new_order(user, store_id, checkout_no, quote, address, data.note, deadline, now)
        session.add(order)
        await session.flush()
        skus = {sku.id: sku for sku, _, _ in items}
        for line in quote.lines:
            session.add(
                OrderLine(
                    order_id=order.id,
                    store_id=store_id,
                    product_id=line.product_id,
                    sku_id=line.sku_id,
                    title=line.title,
                    spec_text=line.spec_text,
                    sku_code=skus[line.sku_id].sku_code,
                    unit_price_fen=line.unit_price_fen,
                    quantity=line.quantity,
                    subtotal_fen=line.subtotal_fen,
                    discount_fen=line.subtotal_fen - line.payable_fen,
                    payable_fen=line.payable_fen,
                )
            )
        await reserve_stock(
            session,
            store_id=store_id,
            order_id=order.id,
            lines=[(line.sku_id, line.quantity) for line in quote.lines],
            expires_at=deadline,
        )
        emit(session, PAYMENT_DEADLINE, {"order_id": order.id}, due_at=deadline, store_id=store_id)
        session.add(
            OrderEvent(
                order_id=order.id,
                store_id=store_id,
                action="place",
                from_status=None,
                to_status=OrderStatus.PENDING_PAYMENT,
                actor=f"shopper:{user.id}",
            )
        )
        orders.append(order)
    if data.from_cart:
        await cart.remove_skus(session, user.id, list(quantities))
    await session.flush()
    return PlacedCheckout(checkout_no=checkout_no, orders=orders)


def _new_order(
    user: User,
    store_id: int,
    checkout_no: str,
    quote: Quote,
    address: Address,
    note: str,
    deadline: datetime,
    now: datetime,
) -> Order:
    return Order(
        order_no=_number("", now),
        checkout_no=checkout_no,
        store_id=store_id,
        user_id=user.id,
        status=OrderStatus.PENDING_PAYMENT,
        currency=quote.currency,
        subtotal_fen=quote.subtotal_fen,
        discount_fen=quote.discount_fen,
        shipping_fen=quote.shipping_fen,
        payable_fen=quote.payable_fen,
        price_snapshot=quote.model_dump(mode="json"),
        ship_recipient=address.recipient,
        ship_phone=address.phone,
        ship_phone_index=phone_index(address.phone),
        ship_province=address.province,
        ship_city=address.city,
        ship_district=address.district,
        ship_detail=address.detail,
        ship_postal_code=address.postal_code,
        buyer_note=note,
        pay_deadline=deadline,
    )
