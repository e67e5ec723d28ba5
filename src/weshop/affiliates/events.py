"""What the alliance pool does on the orders' events, in the order's own transaction: every
placed line gets its attribution decision (:mod:`weshop.affiliates.decisions`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates.clicks import current_visitor
from weshop.affiliates.decisions import attribute_placed_lines
from weshop.core.events import Subscribers
from weshop.orders.events import OrdersPlaced

subscribers = Subscribers()


@subscribers.on(OrdersPlaced)
async def attribute_orders(db: AsyncSession, event: OrdersPlaced) -> None:
    await attribute_placed_lines(db, event, current_visitor())
