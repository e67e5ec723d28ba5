"""After-sales figures of a store for its console: open requests by state and by deadline
(overdue, due within 24 hours), the refund rate (fen refunded over fen paid, last 30 days,
every refund of the store counted), the dispute rate (requests ever escalated over orders
ever paid) and the median time from request to refund (requests refunded in the last 30
days)."""

from __future__ import annotations

from datetime import timedelta
from statistics import median

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.aftersales import repository as repo
from weshop.aftersales.schemas import StatsOut
from weshop.core.clock import utcnow
from weshop.core.tenancy import StoreScope

WINDOW = timedelta(days=30)


async def store_stats(session: AsyncSession, scope: StoreScope) -> StatsOut:
    now = utcnow()
    since = now - WINDOW
    overdue, soon = await repo.open_due(session, scope.store_id, now, now + timedelta(hours=24))
    paid, refunded = await repo.paid_and_refunded(session, scope.store_id, since)
    orders = await repo.paid_orders(session, scope.store_id)
    disputes = await repo.disputes_of_store(session, scope.store_id)
    durations = [
        (done - asked).total_seconds()
        for asked, done in await repo.refund_durations(session, scope.store_id, since)
    ]
    return StatsOut(
        open_by_status=await repo.open_by_status(session, scope.store_id),
        due_within_24h=soon,
        overdue=overdue,
        refund_rate=refunded / paid if paid else 0.0,
        refunded_fen_30d=refunded,
        paid_fen_30d=paid,
        dispute_rate=disputes / orders if orders else 0.0,
        median_refund_seconds_30d=median(durations) if durations else None,
    )
