"""Checkout: turn a shopper's items into one order per store, priced and with stock reserved.

In two steps, so that the write transaction is short (on SQLite it holds the one write lock):
``prepare_checkout`` reads and prices in a read transaction, recording the versions of every
row the price came from (read before them); ``place_prepared`` then, in the write
transaction, compares those versions in one statement, prices again there if anything changed,
and writes. ``place_orders`` does both in one transaction. Whatever is written happens in the
caller's write transaction: if any line of any store cannot be reserved, the whole checkout
raises and nothing is written.

Each store's goods are shipped to the checkout's address, or picked up at one of the store's
open pickup points (``orders.pickup``): such an order has no address and no shipping fee, and
the checkout then needs a pickup contact instead.
"""

from __future__ import annotations

import functools
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import CompoundSelect, bindparam, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts import service as accounts
from weshop.accounts.models import Address, User
from weshop.cart import service as cart
from weshop.catalog.models import Product, ProductStatus, Sku
from weshop.core.clock import utcnow
from weshop.core.errors import Conflict, InvalidInput
from weshop.core.events import announce
from weshop.core.money import MAX_LINE_QUANTITY
from weshop.core.outbox import emit
from weshop.core.read_cache import live_reads
from weshop.core.versions import RowVersion, read_versions
from weshop.inventory.service import reserve_stock
from weshop.logistics import service as logistics
from weshop.logistics.models import PickupPoint
from weshop.members import service as members
from weshop.orders import repository as repo
from weshop.orders.benefits import hold_benefits, platform_coupon_discounts
from weshop.orders.events import OrdersPlaced
from weshop.orders.models import (
    CampaignKind,
    Order,
    OrderEvent,
    OrderLine,
    OrderPickup,
    OrderStatus,
)
from weshop.orders.pickup import check_delivery, chosen_pickup_points, new_pickup, ship_to
from weshop.orders.schemas import Basket, CheckoutIn, CheckoutOut, QuoteIn
from weshop.orders.views import order_out
from weshop.pricing.inputs import CampaignPrice, CartLine, PricingContext
from weshop.pricing.quote import Quote, price
from weshop.promotions import service as promotions
from weshop.stores.models import Store, StoreStatus

PAYMENT_DEADLINE = "order.payment_deadline"


def _number(prefix: str, now: datetime) -> str:
    return f"{prefix}{now:%Y%m%d%H%M%S}{secrets.randbelow(10**8):08d}"


async def _load_items(
    session: AsyncSession, quantities: dict[int, int]
) -> tuple[dict[int, list[tuple[Sku, Product, int]]], dict[int, Store]]:
    """The wanted SKUs grouped by store, and those stores; refuses unknown, unsellable or
    suspended ones."""
    found = await repo.skus_for_checkout(session, list(quantities))
    known = {sku.id for sku, _, _ in found}
    unknown = sorted(set(quantities) - known)
    if unknown:
        raise InvalidInput(
            "some items do not exist", code="unknown_sku", details={"sku_ids": unknown}
        )
    by_store: dict[int, list[tuple[Sku, Product, int]]] = defaultdict(list)
    stores: dict[int, Store] = {}
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
        stores[store.id] = store
    return by_store, stores


@dataclass(frozen=True)
class PricedBasket:
    quote: Quote
    items: dict[int, list[tuple[Sku, Product, int]]]
    stores: dict[int, Store]
    address: Address | None
    # The pickup point chosen for each store whose goods are picked up (自提); others ship.
    pickup_points: dict[int, PickupPoint]


def _quantities(data: Basket) -> dict[int, int]:
    quantities: dict[int, int] = defaultdict(int)
    for item in data.items:
        quantities[item.sku_id] += item.quantity
    if any(quantity > MAX_LINE_QUANTITY for quantity in quantities.values()):
        raise InvalidInput(f"at most {MAX_LINE_QUANTITY} of one item", code="invalid_quantity")
    return quantities


@dataclass(frozen=True)
class OrderTerms:
    """What a checkout's orders carry beyond their price: for an ordinary checkout nothing;
    for a campaign order (``orders.campaigns``) its campaign, and how it differs."""

    campaign_kind: CampaignKind | None = None
    campaign_id: int | None = None
    campaign_entry_id: int | None = None
    campaign_prices: tuple[CampaignPrice, ...] = ()
    # The campaign holds the units itself (flash stock): no regular stock is reserved.
    campaign_holds_stock: bool = False
    shipping_held: bool = False
    # None: the store's payment window.
    payment_window_minutes: int | None = None

    @property
    def channel(self) -> Literal["store", "group", "bargain", "flash"]:
        return "store" if self.campaign_kind is None else self.campaign_kind.value


ORDINARY = OrderTerms()


async def _pricing_context(
    session: AsyncSession,
    user_id: int,
    store_ids: list[int],
    province: str | None,
    data: Basket,
    now: datetime,
    terms: OrderTerms,
    pickup_store_ids: frozenset[int],
) -> PricingContext:
    """Everything the pricing core needs, read from the domains that own it."""
    wallet = await promotions.wallet_for_pricing(session, user_id, store_ids, now)
    chosen = None if data.coupon_ids is None else frozenset(data.coupon_ids)
    if chosen is not None:
        gone = sorted(chosen - {coupon.id for coupon in wallet})
        if gone:
            raise Conflict(
                "a chosen coupon is no longer in your wallet",
                code="coupon_unavailable",
                details={"coupon_ids": gone},
            )
    templates, default_templates = await logistics.shipping_for_pricing(session, store_ids)
    requested = {use.store_id: use.points for use in data.points}
    membership = await members.member_pricing(session, user_id, store_ids, requested, now)
    return PricingContext(
        now=now,
        channel=terms.channel,
        campaign_prices=terms.campaign_prices,
        province=province,
        member_discounts=membership.discounts,
        full_reductions=await promotions.active_reductions_for_pricing(session, store_ids, now),
        coupons=wallet,
        chosen_coupon_ids=chosen,
        stacking=await promotions.stacking_for_pricing(session, store_ids),
        points=membership.points,
        shipping_templates=templates,
        default_shipping_template=default_templates,
        pickup_store_ids=pickup_store_ids,
    )


async def price_basket(
    session: AsyncSession,
    user: User,
    data: Basket,
    address_id: int | None,
    now: datetime,
    terms: OrderTerms = ORDINARY,
) -> PricedBasket:
    """Quote a basket as checkout would place it, with the shopper's own promotions (and a
    campaign's prices, with ``terms``). Reads only: the preview shows this, and placing an
    order prices the same way."""
    quantities = _quantities(data)
    address = None if address_id is None else await accounts.get_address(session, user, address_id)
    by_store, stores = await _load_items(session, quantities)
    pickup_points = await chosen_pickup_points(session, data.pickup_points, set(by_store))
    context = await _pricing_context(
        session,
        user.id,
        sorted(by_store),
        None if address is None else address.province,
        data,
        now,
        terms,
        frozenset(pickup_points),
    )
    lines = [
        CartLine(
            sku_id=sku.id,
            product_id=product.id,
            store_id=store_id,
            category_id=product.category_id,
            title=product.title,
            spec_text=sku.spec_text,
            unit_price_fen=sku.price_fen,
            quantity=quantity,
            weight_grams=sku.weight_grams,
            shipping_template_id=product.shipping_template_id,
        )
        for store_id in sorted(by_store)
        for sku, product, quantity in sorted(by_store[store_id], key=lambda item: item[0].id)
    ]
    # One quote for the whole checkout: platform coupons and their thresholds span stores.
    return PricedBasket(price(lines, context), by_store, stores, address, pickup_points)


async def quote_basket(session: AsyncSession, user: User, data: QuoteIn) -> Quote:
    return (await price_basket(session, user, data, data.address_id, utcnow())).quote


@dataclass(frozen=True)
class PreparedCheckout:
    """A checkout priced, ready to be placed: its basket, when it was priced, and the versions
    of the rows its price came from, read before them (``core.versions``)."""

    priced: PricedBasket
    versions: frozenset[RowVersion]
    now: datetime


@dataclass(frozen=True)
class PlacedCheckout:
    checkout_no: str
    orders: list[Order]
    lines: dict[int, list[OrderLine]]
    pickups: dict[int, OrderPickup]
    store_names: dict[int, str]


@functools.cache
def _versions_query() -> CompoundSelect:
    """The one statement that reads the versions of a checkout's pricing inputs, built once:
    building a union of a dozen selects costs more than running it."""
    skus = bindparam("sku_ids", expanding=True)
    user_id = bindparam("user_id")
    stores = repo.checkout_stores(skus)
    return union_all(
        *repo.checkout_versions(skus, bindparam("address_id")),
        *promotions.pricing_versions(user_id, stores),
        *members.pricing_versions(user_id, stores),
        *logistics.pricing_versions(stores),
    )


async def _pricing_versions(
    session: AsyncSession, user: User, data: CheckoutIn
) -> frozenset[RowVersion]:
    return await read_versions(
        session,
        _versions_query(),
        sku_ids=sorted({item.sku_id for item in data.items}),
        user_id=user.id,
        address_id=data.address_id,
    )


async def prepare_checkout(session: AsyncSession, user: User, data: CheckoutIn) -> PreparedCheckout:
    """Price a checkout as it will be placed; reads only. The versions are read first: a
    change that lands after them shows when ``place_prepared`` compares (on PostgreSQL each
    statement of a read-committed transaction sees what was committed before it)."""
    versions = await _pricing_versions(session, user, data)
    now = utcnow()
    # Checkout charges live prices: no kept pricing inputs (core.read_cache), which could
    # lag the versions just read.
    with live_reads(session):
        priced = await price_basket(session, user, data, data.address_id, now)
    check_delivery(priced.quote, priced.address, priced.pickup_points, data.pickup_contact)
    return PreparedCheckout(priced, versions, now)


async def place_prepared(
    session: AsyncSession, user: User, data: CheckoutIn, prepared: PreparedCheckout
) -> PlacedCheckout:
    """Place a checkout ``prepare_checkout`` priced in an earlier (read) transaction. If any
    row its price came from changed since, it is priced again here, in the write transaction:
    an order never keeps a price that was no longer true when it was placed. Stock is
    re-checked by the conditional UPDATE, coupons and points by their compare-and-set."""
    if await _pricing_versions(session, user, data) != prepared.versions:
        prepared = await prepare_checkout(session, user, data)
    return await _place(session, user, data, prepared.priced, prepared.now)


async def place_orders(
    session: AsyncSession, user: User, data: CheckoutIn, terms: OrderTerms = ORDINARY
) -> PlacedCheckout:
    """Price and place a checkout in one (write) transaction."""
    now = utcnow()
    priced = await price_basket(session, user, data, data.address_id, now, terms)
    check_delivery(priced.quote, priced.address, priced.pickup_points, data.pickup_contact)
    return await _place(session, user, data, priced, now, terms)


async def _place(
    session: AsyncSession,
    user: User,
    data: CheckoutIn,
    priced: PricedBasket,
    now: datetime,
    terms: OrderTerms = ORDINARY,
) -> PlacedCheckout:
    """One order per store, each with its part of the checkout's quote as its price snapshot.
    Rows go in as one INSERT per table. Coupons are locked and points spent before stock is
    reserved: stock rows are the most contended, so their locks are taken last and held the
    shortest time."""
    quote, address = priced.quote, priced.address
    checkout_no = _number("C", now)
    store_quotes = {store_id: quote.for_store(store_id) for store_id in sorted(priced.items)}
    orders = {
        store_id: _new_order(
            user,
            store_id,
            checkout_no,
            store_quote,
            None if store_id in priced.pickup_points else address,
            data.note,
            now
            + timedelta(
                minutes=terms.payment_window_minutes
                or priced.stores[store_id].payment_window_minutes
            ),
            now,
            terms,
        )
        for store_id, store_quote in store_quotes.items()
    }
    session.add_all(orders.values())
    await session.flush()
    pickups: dict[int, OrderPickup] = {}
    if priced.pickup_points:
        contact = data.pickup_contact
        assert contact is not None  # check_delivery checked it
        pickups = {
            orders[store_id].id: new_pickup(orders[store_id], point, contact.name, contact.phone)
            for store_id, point in priced.pickup_points.items()
        }
        session.add_all(pickups.values())
    lines: dict[int, list[OrderLine]] = {}
    for store_id, order in orders.items():
        skus = {sku.id: sku for sku, _, _ in priced.items[store_id]}
        lines[order.id] = [
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
                platform_funded_fen=line.platform_funded_fen,
                payable_fen=line.payable_fen,
            )
            for line in store_quotes[store_id].lines
        ]
        session.add_all(lines[order.id])
        emit(
            session,
            PAYMENT_DEADLINE,
            {"order_id": order.id},
            due_at=order.pay_deadline,
            store_id=store_id,
        )
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
    # The first order holds the checkout's platform coupon (see orders.benefits).
    platform_coupons = platform_coupon_discounts(quote)
    for store_id, order in orders.items():
        await hold_benefits(session, order, store_quotes[store_id], platform_coupons, now)
        platform_coupons = {}
    # Every line is attributed (to a promoter, or to nobody, with the reason) as it is
    # placed; the line ids are needed, so the lines are written first.
    await session.flush()
    placed_lines = [line for order_lines in lines.values() for line in order_lines]
    await announce(session, OrdersPlaced.of(user.id, now, placed_lines))
    if data.from_cart:
        await cart.remove_skus(
            session, user.id, [sku.id for items in priced.items.values() for sku, _, _ in items]
        )
    if terms.campaign_holds_stock:
        return _placed(checkout_no, orders, lines, pickups, priced)
    for store_id, order in orders.items():
        await reserve_stock(
            session,
            store_id=store_id,
            order_id=order.id,
            lines=[(line.sku_id, line.quantity) for line in store_quotes[store_id].lines],
            expires_at=order.pay_deadline,
            # Goods collected at a pickup point come from a warehouse near the point.
            ship_province=(
                priced.pickup_points[store_id].province
                if store_id in priced.pickup_points
                else order.ship_province
            ),
        )
    return _placed(checkout_no, orders, lines, pickups, priced)


def _placed(
    checkout_no: str,
    orders: dict[int, Order],
    lines: dict[int, list[OrderLine]],
    pickups: dict[int, OrderPickup],
    priced: PricedBasket,
) -> PlacedCheckout:
    return PlacedCheckout(
        checkout_no=checkout_no,
        orders=list(orders.values()),
        lines=lines,
        pickups=pickups,
        store_names={store_id: store.name for store_id, store in priced.stores.items()},
    )


def _new_order(
    user: User,
    store_id: int,
    checkout_no: str,
    quote: Quote,
    address: Address | None,
    note: str,
    deadline: datetime,
    now: datetime,
    terms: OrderTerms,
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
        **ship_to(address),
        buyer_note=note,
        pay_deadline=deadline,
        campaign_kind=terms.campaign_kind,
        campaign_id=terms.campaign_id,
        campaign_entry_id=terms.campaign_entry_id,
        shipping_held=terms.shipping_held,
    )


def checkout_answer(placed: PlacedCheckout) -> CheckoutOut:
    """The placed orders as the shopper sees them, from the rows just written."""
    orders = [
        order_out(
            order,
            store_name=placed.store_names[order.store_id],
            lines=placed.lines[order.id],
            shipments=[],
            history=[],
            audience="shopper",
            pickup=placed.pickups.get(order.id),
        )
        for order in placed.orders
    ]
    return CheckoutOut(
        checkout_no=placed.checkout_no,
        orders=orders,
        payable_fen=sum(order.payable_fen for order in orders),
    )


async def check_out(session: AsyncSession, user: User, body: CheckoutIn) -> CheckoutOut:
    """Place the checkout's orders in one transaction and answer with them as the shopper sees
    them (the storefront's checkout page goes on from this answer)."""
    return checkout_answer(await place_orders(session, user, body))
