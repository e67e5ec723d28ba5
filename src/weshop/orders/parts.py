"""An order's money in parts: one per line (keyed by the order line id) and its shipping
(keyed ``None``). Payments are spread over the parts and refunded by part; the ledger posts
by part. What each part costs is what the order recorded at checkout."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.money import allocate
from weshop.orders.models import Order, OrderLine

Part = int | None


def split(amount: int, weights: Mapping[Part, int]) -> dict[Part, int]:
    """``amount`` over the parts, in proportion to ``weights``, to the fen."""
    parts = list(weights)
    return dict(zip(parts, allocate(amount, [weights[part] for part in parts]), strict=True))


def order_payable(order: Order, lines: list[OrderLine]) -> dict[Part, int]:
    """The price of each part: each line's payable, and the shipping when there is any."""
    payable: dict[Part, int] = {line.id: line.payable_fen for line in lines}
    if order.shipping_fen:
        payable[None] = order.shipping_fen
    return payable


async def order_with_lines(session: AsyncSession, order_id: int) -> tuple[Order, list[OrderLine]]:
    order = await session.get_one(Order, order_id)
    lines = await session.scalars(
        select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id)
    )
    return order, list(lines)


async def left_to_refund(
    session: AsyncSession, order_id: int, paid_fen: int, refunded: Mapping[Part, int]
) -> dict[Part, int]:
    """What is left to refund of each part of a payment of ``paid_fen``: the payment spread
    over the parts in proportion to their price, less ``refunded`` (by part)."""
    order, lines = await order_with_lines(session, order_id)
    paid = split(paid_fen, order_payable(order, lines))
    return {part: amount - refunded.get(part, 0) for part, amount in paid.items()}
