"""The promoter's live figures: clicks, visitors, attributed orders, their amounts and the
commission on them by state, read from the rows themselves at the moment of asking (no
rollup to wait for), so a click or a payment shows on the next refresh."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import String, case, cast, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates.models import Click, Commission, CommissionStatus, LineAttribution
from weshop.core.clock import CHINA_TZ
from weshop.orders.models import Order, OrderLine, OrderStatus

# Orders whose money came in (and was not all given back by cancellation).
PAID_STATES = (
    OrderStatus.PAID,
    OrderStatus.PARTIALLY_SHIPPED,
    OrderStatus.SHIPPED,
    OrderStatus.COMPLETED,
)


@dataclass(frozen=True)
class PeriodFigures:
    """One period's figures of one promoter."""

    since: datetime
    clicks: int
    visitors: int  # distinct shoppers (signed in, or a browser by its referral cookie)
    attributed_orders: int  # orders with a line attributed to the promoter, placed since
    paid_orders: int  # of those, the ones paid (and not cancelled)
    paid_fen: int  # what shoppers paid for the attributed lines of the paid orders
    # The promoter's commissions on the orders placed since, by state (all levels).
    estimated_fen: int
    frozen_fen: int
    settled_fen: int


def china_day_start(now: datetime) -> datetime:
    """Midnight in China of the day ``now`` falls on."""
    return datetime.combine(now.astimezone(CHINA_TZ).date(), time.min, CHINA_TZ)


def periods(now: datetime) -> dict[str, datetime]:
    """Today (China), the last 7 days and the last 30 days (today included)."""
    today = china_day_start(now)
    return {"today": today, "7d": today - timedelta(days=6), "30d": today - timedelta(days=29)}


async def period_figures(session: AsyncSession, promoter_id: int, since: datetime) -> PeriodFigures:
    visitor = func.coalesce(cast(Click.user_id, String), Click.visitor_id)
    clicks, visitors = (
        await session.execute(
            select(func.count(), func.count(distinct(visitor))).where(
                Click.promoter_id == promoter_id, Click.at >= since
            )
        )
    ).one()
    attributed = (
        select(LineAttribution.order_id, LineAttribution.order_line_id)
        .where(LineAttribution.promoter_id == promoter_id, LineAttribution.decided_at >= since)
        .subquery()
    )
    orders = await session.scalar(select(func.count(distinct(attributed.c.order_id))))
    paid_orders, paid_fen = (
        await session.execute(
            select(
                func.count(distinct(Order.id)), func.coalesce(func.sum(OrderLine.payable_fen), 0)
            )
            .select_from(attributed)
            .join(OrderLine, OrderLine.id == attributed.c.order_line_id)
            .join(Order, Order.id == attributed.c.order_id)
            .where(Order.status.in_(PAID_STATES))
        )
    ).one()
    by_state = dict(
        (
            await session.execute(
                select(
                    Commission.status,
                    func.sum(
                        case(
                            (Commission.status == CommissionStatus.SETTLED, Commission.settled_fen),
                            else_=Commission.amount_fen,
                        )
                    ),
                )
                .where(Commission.promoter_id == promoter_id, Commission.created_at >= since)
                .group_by(Commission.status)
            )
        ).all()
    )
    return PeriodFigures(
        since=since,
        clicks=int(clicks),
        visitors=int(visitors),
        attributed_orders=int(orders or 0),
        paid_orders=int(paid_orders),
        paid_fen=int(paid_fen),
        estimated_fen=int(by_state.get(CommissionStatus.ESTIMATED) or 0),
        frozen_fen=int(by_state.get(CommissionStatus.FROZEN) or 0),
        settled_fen=int(by_state.get(CommissionStatus.SETTLED) or 0),
    )


async def dashboard(
    session: AsyncSession, promoter_id: int, now: datetime
) -> dict[str, PeriodFigures]:
    return {
        name: await period_figures(session, promoter_id, since)
        for name, since in periods(now).items()
    }
