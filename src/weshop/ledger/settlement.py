"""When the ledger settles an order again: after a refund still with the provider, or after
a settlement reversed before the order's after-sales window closed. (The first settlement
follows the deadline orders set when the order completes.)"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.outbox import emit
from weshop.orders.models import Order
from weshop.orders.service import aftersales_window_end

SETTLE_ORDER = "ledger.settle_order"
# How long a settlement waits, each time, for a refund still with the provider.
SETTLEMENT_WAIT_FOR_REFUNDS = timedelta(hours=1)


async def schedule_settlement(
    session: AsyncSession, order: Order, completed_at: datetime, *, after: str
) -> None:
    """Queue the order's settlement for when its after-sales window closes.

    ``after`` names what asks for a settlement again (a reversed one), so that its deadline
    is a row of its own.
    """
    due = await aftersales_window_end(session, order, completed_at)
    emit(
        session,
        SETTLE_ORDER,
        {"order_id": order.id},
        due_at=due,
        store_id=order.store_id,
        dedupe_key=f"{SETTLE_ORDER}:{order.id}:{after}",
    )


def schedule_settlement_retry(session: AsyncSession, order: Order, due_at: datetime) -> None:
    """Ask again at ``due_at`` (a refund of the order was still with the provider)."""
    emit(
        session,
        SETTLE_ORDER,
        {"order_id": order.id},
        due_at=due_at,
        store_id=order.store_id,
        dedupe_key=f"{SETTLE_ORDER}:{order.id}:wait:{due_at:%Y%m%d%H%M%S%f}",
    )
