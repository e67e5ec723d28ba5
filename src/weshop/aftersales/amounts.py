"""What a request may give back.

A request for ``q`` of the ``n`` units of a line not yet given back gets the line's share
of what is left to refund of it: the line's part of the payment (the price snapshot's
apportionment, through the one allocator) less every refund of the line, split by the
allocator in proportion ``q : n - q``. The last unit of a line therefore gets exactly
what is left of it, and the parts of a line's requests sum to the line's part.

The shipping is given back only when the whole order is refunded before anything has
shipped: the request that takes the last units of an order with no shipped line adds what
is left of the shipping. Once anything has shipped, the shipping is the store's cost.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.aftersales import repository as repo
from weshop.core.errors import Conflict
from weshop.core.money import allocate
from weshop.orders.models import Order, OrderLine
from weshop.orders.parts import order_with_lines
from weshop.payments.refunds import order_left_to_refund


@dataclass(frozen=True)
class Refundable:
    line_fen: int
    shipping_fen: int

    @property
    def total_fen(self) -> int:
        return self.line_fen + self.shipping_fen


async def refundable(
    session: AsyncSession, order: Order, line: OrderLine, quantity: int
) -> Refundable:
    """The most a request for ``quantity`` units of ``line`` may give back, under the
    payment's lock (so two requests never count the same fen)."""
    left = await order_left_to_refund(session, order.id, lock=True)
    taken = await repo.units_taken(session, order.id)
    units_left = line.quantity - taken.get(line.id, 0)
    if quantity > units_left:
        raise Conflict(
            "more units than are left to give back of this line",
            code="quantity_exceeds_line",
            details={"units_left": units_left},
        )
    line_fen = allocate(max(left.get(line.id, 0), 0), [quantity, units_left - quantity])[0]
    _, lines = await order_with_lines(session, order.id)
    whole_order = all(
        other.shipped_quantity == 0
        and taken.get(other.id, 0) + (quantity if other.id == line.id else 0) == other.quantity
        for other in lines
    )
    shipping_fen = max(left.get(None, 0), 0) if whole_order else 0
    return Refundable(line_fen=line_fen, shipping_fen=shipping_fen)
