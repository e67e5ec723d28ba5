"""When each store made its first sale: the first order paid (for the platform's figure of
how long a store takes from application to first sale)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.orders.models import Order


async def first_paid_at(session: AsyncSession, store_ids: Iterable[int]) -> dict[int, datetime]:
    """The moment of each store's first paid order, for the stores that have one."""
    wanted = list(store_ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(Order.store_id, func.min(Order.paid_at))
        .where(Order.store_id.in_(wanted), Order.paid_at.is_not(None))
        .group_by(Order.store_id)
    )
    return {store_id: paid_at for store_id, paid_at in rows if paid_at is not None}
