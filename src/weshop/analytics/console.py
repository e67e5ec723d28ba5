"""The merchant console's landing page: today's figures and a 30-day chart of paid GMV."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from weshop.analytics import service
from weshop.analytics.chart import ChartPoint, ChartText, bar_line_chart
from weshop.core.clock import utcnow
from weshop.core.http import DbSession
from weshop.core.money import format_yuan
from weshop.ledger.journal import business_day
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff
from weshop.stores.permissions import Permission
from weshop.web.csrf import verify_csrf
from weshop.web.i18n import gettext

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

DAY_LABEL = "%m-%d"


def _summary(request: Request, dashboard: service.StoreDashboard) -> str:
    """The chart in words, for those who do not see it."""
    values = {
        "days": len(dashboard.series),
        "amount": format_yuan(dashboard.series_paid_fen),
        "orders": dashboard.series_paid_orders,
    }
    best = dashboard.best_day
    if best is None:
        return (
            gettext(
                request, "In the last %(days)s days, %(amount)s was paid for %(orders)s orders."
            )
            % values
        )
    return gettext(
        request,
        "In the last %(days)s days, %(amount)s was paid for %(orders)s orders. The best day "
        "was %(day)s with %(best_amount)s from %(best_orders)s orders.",
    ) % {
        **values,
        "day": best.day.strftime(DAY_LABEL),
        "best_amount": format_yuan(best.paid_fen),
        "best_orders": best.paid_orders,
    }


@router.get("")
async def dashboard(
    request: Request,
    session: DbSession,
    access: ConsoleAccess = console_staff(Permission.ORDERS_READ),
) -> Response:
    figures = await service.store_dashboard(session, access.scope, business_day(utcnow()))
    summary = _summary(request, figures)
    chart = bar_line_chart(
        [ChartPoint(d.day.strftime(DAY_LABEL), d.paid_fen, d.paid_orders) for d in figures.series],
        ChartText(
            title=gettext(request, "Paid GMV and paid orders, last 30 days"),
            description=summary,
            amount_name=gettext(request, "Paid GMV"),
            count_name=gettext(request, "Paid orders"),
        ),
        chart_id="paid-chart",
    )
    return console_page(
        request,
        "analytics/console/dashboard.html",
        access,
        "dashboard",
        {"figures": figures, "chart": chart, "summary": summary},
    )
