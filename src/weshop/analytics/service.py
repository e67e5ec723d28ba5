"""A store's dashboard: today's figures and the last 30 days of paid GMV and paid orders.

Days are calendar days in China, as the ledger's statements count them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.analytics import repository as repo
from weshop.core.tenancy import StoreScope
from weshop.ledger.journal import BUSINESS_TZ

SERIES_DAYS = 30


@dataclass(frozen=True)
class DayFigures:
    day: date
    paid_fen: int
    paid_orders: int


@dataclass(frozen=True)
class StoreDashboard:
    today: date
    orders_today: int
    paid_today_fen: int
    paid_orders_today: int
    orders_to_ship: int
    low_stock_skus: int
    series: list[DayFigures]  # SERIES_DAYS days, oldest first, ending today

    @property
    def series_paid_fen(self) -> int:
        return sum(day.paid_fen for day in self.series)

    @property
    def series_paid_orders(self) -> int:
        return sum(day.paid_orders for day in self.series)

    @property
    def best_day(self) -> DayFigures | None:
        """The day with the most paid GMV in the series (the latest of equals); None if none."""
        best = max(reversed(self.series), key=lambda day: day.paid_fen, default=None)
        return best if best is not None and best.paid_fen > 0 else None


def day_start(day: date) -> datetime:
    """Midnight in China of ``day``, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=BUSINESS_TZ)


async def store_dashboard(session: AsyncSession, scope: StoreScope, today: date) -> StoreDashboard:
    """Two queries: the day totals of the window and today's counts."""
    first = today - timedelta(days=SERIES_DAYS - 1)
    until = day_start(today + timedelta(days=1))
    totals = {
        row.day: row
        for row in await repo.paid_by_day(session, scope.store_id, day_start(first), until)
    }
    series = []
    for offset in range(SERIES_DAYS):
        day = first + timedelta(days=offset)
        found = totals.get(day)
        series.append(
            DayFigures(
                day=day,
                paid_fen=found.paid_fen if found else 0,
                paid_orders=found.paid_orders if found else 0,
            )
        )
    counts = await repo.store_counts(session, scope.store_id, day_start(today), until)
    return StoreDashboard(
        today=today,
        orders_today=counts.orders_placed,
        paid_today_fen=series[-1].paid_fen,
        paid_orders_today=series[-1].paid_orders,
        orders_to_ship=counts.orders_to_ship,
        low_stock_skus=counts.low_stock_skus,
        series=series,
    )
