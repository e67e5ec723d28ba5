"""When an order settles: its after-sales window after completion, as a deadline row.

Kept apart from the posting service so that orders can schedule a settlement without
importing the ledger's posting machinery.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.outbox import emit
from weshop.orders.models import Order
from weshop.stores.models import Store

SETTLE_ORDER = "ledger.settle_order"
# Emitted when a settlement is posted: the ledger only mirrors it, the payments domain
# instructs the provider to move the money (the platform never pools it: no 二清).
ORDER_SETTLED = "ledger.order_settled"
# How long a settlement waits, each time, for a refund still with the provider.
SETTLEMENT_WAIT_FOR_REFUNDS = timedelta(hours=1)


async def settlement_due(session: AsyncSession, order: Order, completed_at: datetime) -> datetime:
    store = await session.get_one(Store, order.store_id)
    return completed_at + timedelta(days=store.aftersales_days)


async def schedule_settlement(
    session: AsyncSession, order: Order, completed_at: datetime, *, after: str = ""
) -> None:
    """Queue the order's settlement for when its after-sales window closes.

    ``after`` names what asks for a settlement again (a reversed one), so that its deadline
    is a row of its own.
    """
    due = await settlement_due(session, order, completed_at)
    emit(
        session,
        SETTLE_ORDER,
        {"order_id": order.id},
        due_at=due,
        store_id=order.store_id,
        dedupe_key=f"{SETTLE_ORDER}:{order.id}{':' + after if after else ''}",
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
