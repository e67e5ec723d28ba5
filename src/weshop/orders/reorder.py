"""再来一单: an order's items put back into the shopper's cart, as far as they can be had now.

Each line is tried on its own (in a savepoint, so one refusal undoes nothing else): an SKU
still on sale goes in with the ordered quantity, or with what is left in stock; a product
taken off the shop, an SKU no longer sold, a sold-out SKU or a full cart is reported, line by
line, and adds nothing.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.cart import service as cart
from weshop.core.errors import Conflict, NotFound, WeShopError
from weshop.orders import repository as repo
from weshop.orders.models import OrderLine, OrderStatus
from weshop.orders.schemas import ReorderLineOut, ReorderOut
from weshop.orders.service import shopper_order

# Orders whose goods have reached (or are on their way to) the shopper.
REORDERABLE = frozenset({OrderStatus.SHIPPED, OrderStatus.COMPLETED})


def _line(line: OrderLine, quantity: int, problem: str | None = None) -> ReorderLineOut:
    return ReorderLineOut(
        product_id=line.product_id,
        sku_id=line.sku_id,
        title=line.title,
        spec_text=line.spec_text,
        ordered=line.quantity,
        added=quantity,
        problem=problem,
    )


async def _add(session: AsyncSession, user: User, line: OrderLine) -> ReorderLineOut:
    try:
        async with session.begin_nested():
            await cart.add_item(session, user, line.sku_id, line.quantity)
        return _line(line, line.quantity)
    except WeShopError as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        if exc.code != "not_enough_stock" or "available" not in details:
            return _line(line, 0, "unpublished" if isinstance(exc, NotFound) else exc.code)
    # What is left in stock, less what the cart already holds of it.
    left = details["available"] - (details["requested"] - line.quantity)
    if left <= 0:
        return _line(line, 0, "out_of_stock")
    try:
        async with session.begin_nested():
            await cart.add_item(session, user, line.sku_id, left)
    except WeShopError as exc:
        return _line(line, 0, exc.code)
    return _line(line, left, "not_enough_stock")


async def reorder(session: AsyncSession, user: User, order_id: int) -> ReorderOut:
    """Put the items of one of the shopper's shipped or completed orders into their cart."""
    order = await shopper_order(session, user, order_id)
    if order.status not in REORDERABLE:
        raise Conflict(
            "only a shipped or completed order can be bought again", code="not_reorderable"
        )
    lines = (await repo.lines_of(session, [order.id])).get(order.id, [])
    added = [await _add(session, user, line) for line in lines]
    return ReorderOut(
        order_id=order.id,
        lines=added,
        all_added=all(line.problem is None for line in added),
    )
