"""Refunds as the merchant console shows them beside an order: what was given back, and what
is left to give back of each line."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.orders.models import Order
from weshop.orders.parts import Part
from weshop.payments import repository as repo
from weshop.payments.models import Refund, RefundPart
from weshop.payments.refunds import REFUNDABLE_ORDER_STATUSES, parts_left, parts_of_refunds


@dataclass(frozen=True)
class OrderRefunds:
    """An order's refunds (oldest first) with their parts, and what is left to refund of each
    part (a line's id, or None for the shipping) while staff may still refund it."""

    refunds: list[Refund]
    parts: dict[int, list[RefundPart]] = field(default_factory=dict)
    left: dict[Part, int] = field(default_factory=dict)

    @property
    def refundable(self) -> bool:
        return any(amount > 0 for part, amount in self.left.items() if part is not None)


async def order_refunds(session: AsyncSession, order: Order) -> OrderRefunds:
    """Reads only, without the payment's lock (pages read in read-only transactions): the
    refund itself checks again under the lock."""
    refunds = await repo.order_refunds(session, order.id)
    parts = await parts_of_refunds(session, [refund.id for refund in refunds])
    payment = await repo.succeeded_payment(session, order.id)
    if payment is None or order.status not in REFUNDABLE_ORDER_STATUSES:
        return OrderRefunds(refunds=refunds, parts=parts)
    return OrderRefunds(refunds=refunds, parts=parts, left=await parts_left(session, payment))
