"""The merchant console's landing page: today's figures, a chosen period against the one
before it, the best-selling products, a 30-day chart of paid GMV, and the first-run
checklist (新手引导) until every step is done."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from weshop.analytics import service
from weshop.analytics.chart import ChartPoint, ChartText, bar_line_chart
from weshop.analytics.checklist import store_checklist
from weshop.core.clock import utcnow
from weshop.core.http import DbSession
from weshop.core.money import format_yuan
from weshop.ledger.journal import business_day
from weshop.payments.providers import payment_setup
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff
from weshop.stores.permissions import Permission
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_
from weshop.web.i18n import gettext

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

DAY_LABEL = "%m-%d"
PERIOD_NAMES = {
    service.Period.TODAY: N_("Today"),
    service.Period.WEEK: N_("Last 7 days"),
    service.Period.MONTH: N_("Last 30 days"),
}


def _pays_stores_directly(request: Request) -> bool:
    """Whether a configured provider pays each store as a sub-merchant (partner mode)."""
    setup = payment_setup(request.app.state.runtime)
    return any(getattr(provider, "partner", False) for provider in setup.providers.values())


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
    period: Annotated[service.Period, Query(description="The period compared.")] = (
        service.Period.TODAY
    ),
    guide: Annotated[bool, Query(description="Show the checklist even when done.")] = False,
) -> Response:
    today = business_day(utcnow())
    figures = await service.store_dashboard(session, access.scope, today)
    compared = await service.period_dashboard(session, access.scope, today, period)
    checklist = await store_checklist(
        session, access.scope.store_id, sub_merchant_needed=_pays_stores_directly(request)
    )
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
        {
            "figures": figures,
            "chart": chart,
            "summary": summary,
            "compared": compared,
            "periods": [(p.value, gettext(request, name)) for p, name in PERIOD_NAMES.items()],
            "checklist": checklist,
            "show_checklist": guide or not checklist.complete,
        },
    )
