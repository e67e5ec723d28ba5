"""The shopper's cart: lines of SKUs from any number of stores, checked against today's
catalogue and stock every time it is shown (checkout checks again and reserves)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.cart import repository as repo
from weshop.cart.models import CartItem
from weshop.cart.schemas import CartGroup, CartItemOut, CartOut, CartStoreOut
from weshop.catalog.views import SkuListing, describe_skus
from weshop.core.errors import Conflict, InvalidInput, NotFound, OutOfStock
from weshop.core.money import MAX_LINE_QUANTITY
from weshop.inventory.models import StockLevel
from weshop.inventory.service import stock_levels

MAX_LINES = 100


def _problem(listing: SkuListing, available: int, quantity: int) -> str | None:
    if listing.problem is not None:
        return listing.problem
    if available == 0:
        return "out_of_stock"
    if available < quantity:
        return "not_enough_stock"
    return None


def _line(item: CartItem, listing: SkuListing, level: StockLevel | None) -> CartItemOut:
    available = level.available if level else 0
    problem = _problem(listing, available, item.quantity)
    return CartItemOut(
        id=item.id,
        sku_id=item.sku_id,
        product_id=listing.product.id,
        title=listing.product.title,
        spec_text=listing.sku.spec_text,
        image_url=listing.image_url,
        unit_price_fen=listing.sku.price_fen,
        quantity=item.quantity,
        available=available,
        line_total_fen=listing.sku.price_fen * item.quantity,
        purchasable=problem is None,
        problem=problem,
    )


async def _describe(session: AsyncSession, item: CartItem) -> CartItemOut:
    listing = (await describe_skus(session, [item.sku_id]))[item.sku_id]
    levels = await stock_levels(session, [item.sku_id])
    return _line(item, listing, levels.get(item.sku_id))


async def view_cart(session: AsyncSession, user: User) -> CartOut:
    items = await repo.items_of(session, user.id)
    sku_ids = [item.sku_id for item in items]
    listings = await describe_skus(session, sku_ids)
    levels = await stock_levels(session, sku_ids)
    groups: dict[int, CartGroup] = {}
    for item in items:
        listing = listings[item.sku_id]
        group = groups.get(listing.store.id)
        if group is None:
            store = CartStoreOut(id=listing.store.id, name=listing.store.name)
            group = groups[listing.store.id] = CartGroup(store=store, items=[], subtotal_fen=0)
        line = _line(item, listing, levels.get(item.sku_id))
        group.items.append(line)
        if line.purchasable:
            group.subtotal_fen += line.line_total_fen
    return CartOut(
        groups=list(groups.values()),
        total_fen=sum(group.subtotal_fen for group in groups.values()),
        count=len(items),
    )


def _check_stock(available: int, wanted: int) -> None:
    if available == 0:
        raise OutOfStock("this item is sold out", details={"available": 0})
    if available < wanted:
        raise Conflict(
            f"only {available} left",
            code="not_enough_stock",
            details={"available": available, "requested": wanted},
        )


def _too_many(quantity: int) -> InvalidInput:
    return InvalidInput(
        f"at most {MAX_LINE_QUANTITY} of one item",
        code="quantity_too_large",
        details={"quantity": quantity},
    )


async def add_item(session: AsyncSession, user: User, sku_id: int, quantity: int) -> CartItemOut:
    """Put an SKU in the cart, or add to its line; only what is on sale and in stock."""
    listing = (await describe_skus(session, [sku_id])).get(sku_id)
    if listing is None or listing.problem == "unpublished":
        raise NotFound("no such product on sale")
    if listing.problem == "sku_inactive":
        raise Conflict("this option is no longer sold", code="sku_inactive")
    existing = await repo.item_for_sku(session, user.id, sku_id)
    wanted = quantity + (existing.quantity if existing else 0)
    if wanted > MAX_LINE_QUANTITY:
        raise _too_many(wanted)
    level = (await stock_levels(session, [sku_id])).get(sku_id)
    _check_stock(level.available if level else 0, wanted)
    if existing is None:
        if await repo.count_lines(session, user.id) >= MAX_LINES:
            raise Conflict(f"a cart holds at most {MAX_LINES} lines", code="cart_full")
        item = CartItem(
            user_id=user.id, store_id=listing.sku.store_id, sku_id=sku_id, quantity=quantity
        )
        try:
            async with session.begin_nested():
                session.add(item)
        except IntegrityError:
            # A concurrent add created the line first: add to it instead.
            existing = await repo.item_for_sku(session, user.id, sku_id)
            if existing is None:
                raise
    if existing is not None:
        if not await repo.add_to_line(session, existing.id, quantity):
            raise _too_many(wanted)
        await session.refresh(existing)
        item = existing
    return _line(item, listing, level)


async def _item(session: AsyncSession, user: User, item_id: int) -> CartItem:
    item = await repo.item_of(session, user.id, item_id)
    if item is None:
        raise NotFound("no such cart item")
    return item


async def set_quantity(
    session: AsyncSession, user: User, item_id: int, quantity: int
) -> CartItemOut:
    """Change a line's quantity; more than is in stock is refused, fewer always works."""
    item = await _item(session, user, item_id)
    if quantity > item.quantity:
        level = (await stock_levels(session, [item.sku_id])).get(item.sku_id)
        _check_stock(level.available if level else 0, quantity)
    item.quantity = quantity
    await session.flush()
    return await _describe(session, item)


async def remove_item(session: AsyncSession, user: User, item_id: int) -> None:
    item = await _item(session, user, item_id)
    await session.delete(item)
    await session.flush()


async def remove_skus(session: AsyncSession, user_id: int, sku_ids: Iterable[int]) -> int:
    """Drop the lines of these SKUs (after checkout); returns how many lines went."""
    return await repo.delete_skus(session, user_id, sku_ids)
