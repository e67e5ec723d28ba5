"""A store's dashboard: today's figures, the last 30 days of paid GMV and paid orders, and a
chosen period (today, 7 or 30 days) against the period of the same length before it.

Days are calendar days in China, as the ledger's statements count them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.analytics import period_repository as periods
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


class Period(enum.StrEnum):
    """The dashboard's periods: today, or the last 7 or 30 days ending today."""

    TODAY = "today"
    WEEK = "7d"
    MONTH = "30d"

    @property
    def days(self) -> int:
        return {Period.TODAY: 1, Period.WEEK: 7, Period.MONTH: 30}[self]


@dataclass(frozen=True)
class Percent:
    """A share in tenths of a percent, from integers (rounded half up); None when the whole
    is zero (no share to speak of)."""

    tenths: int | None

    @classmethod
    def of(cls, part: int, whole: int) -> Percent:
        if whole <= 0:
            return cls(None)
        return cls((2000 * part + whole) // (2 * whole))

    def __str__(self) -> str:
        if self.tenths is None:
            return "—"
        sign = "-" if self.tenths < 0 else ""
        whole, tenth = divmod(abs(self.tenths), 10)
        return f"{sign}{whole}.{tenth}%"


def change(current: int, previous: int) -> Percent:
    """How much ``current`` is up (positive) or down on ``previous``; None from zero."""
    return Percent.of(current - previous, previous) if previous > 0 else Percent(None)


@dataclass(frozen=True)
class Figure:
    """A figure of the period and of the period before, compared."""

    current: int | Percent
    previous: int | Percent
    change: Percent


def _figure(current: int, previous: int) -> Figure:
    return Figure(current, previous, change(current, previous))


def _share(current: Percent, previous: Percent) -> Figure:
    """A share compared in percentage points (tenths), not as a percent of a percent."""
    moved = (
        Percent(current.tenths - previous.tenths)
        if current.tenths is not None and previous.tenths is not None
        else Percent(None)
    )
    return Figure(current, previous, moved)


def average_fen(total_fen: int, count: int) -> int:
    """The average in whole fen, rounded half up; 0 of nothing."""
    return (2 * total_fen + count) // (2 * count) if count else 0


@dataclass(frozen=True)
class TopProduct:
    product_id: int
    title: str
    paid_fen: int
    quantity: int
    buyers: int
    views: int
    visitors: int
    conversion: Percent


@dataclass(frozen=True)
class PeriodDashboard:
    period: Period
    first: date
    last: date
    previous_first: date
    previous_last: date
    visitors: Figure
    page_views: Figure
    paid_orders: Figure
    buyers: Figure
    paid_fen: Figure
    average_order_fen: Figure
    conversion: Figure  # paying buyers / visitors
    refunded_fen: Figure
    refunded_orders: Figure
    refund_rate: Figure  # refunded amount / paid amount
    top_products: list[TopProduct]


TOP_PRODUCTS = 10


async def period_dashboard(
    session: AsyncSession, scope: StoreScope, today: date, period: Period
) -> PeriodDashboard:
    """The period ending today against the one of the same length just before it: two
    statements of totals and one of the best-selling products."""
    last = today
    first = today - timedelta(days=period.days - 1)
    previous_last = first - timedelta(days=1)
    previous_first = first - timedelta(days=period.days)
    now = await periods.period_totals(
        session,
        scope.store_id,
        (first, last),
        (day_start(first), day_start(last + timedelta(days=1))),
    )
    before = await periods.period_totals(
        session,
        scope.store_id,
        (previous_first, previous_last),
        (day_start(previous_first), day_start(first)),
    )
    top = await periods.top_products(
        session,
        scope.store_id,
        (first, last),
        (day_start(first), day_start(last + timedelta(days=1))),
        TOP_PRODUCTS,
    )
    return PeriodDashboard(
        period=period,
        first=first,
        last=last,
        previous_first=previous_first,
        previous_last=previous_last,
        visitors=_figure(now.visitors, before.visitors),
        page_views=_figure(now.page_views, before.page_views),
        paid_orders=_figure(now.paid_orders, before.paid_orders),
        buyers=_figure(now.buyers, before.buyers),
        paid_fen=_figure(now.paid_fen, before.paid_fen),
        average_order_fen=_figure(
            average_fen(now.paid_fen, now.paid_orders),
            average_fen(before.paid_fen, before.paid_orders),
        ),
        conversion=_share(
            Percent.of(now.buyers, now.visitors), Percent.of(before.buyers, before.visitors)
        ),
        refunded_fen=_figure(now.refunded_fen, before.refunded_fen),
        refunded_orders=_figure(now.refunded_orders, before.refunded_orders),
        refund_rate=_share(
            Percent.of(now.refunded_fen, now.paid_fen),
            Percent.of(before.refunded_fen, before.paid_fen),
        ),
        top_products=[
            TopProduct(
                product_id=row.product_id,
                title=row.title,
                paid_fen=row.paid_fen,
                quantity=row.quantity,
                buyers=row.buyers,
                views=row.views,
                visitors=row.visitors,
                conversion=Percent.of(row.buyers, row.visitors),
            )
            for row in top
        ],
    )
