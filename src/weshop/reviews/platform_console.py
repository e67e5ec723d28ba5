"""The platform console's reported reviews: hide one (the reason is kept on it) or dismiss
the report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import PageOperator
from weshop.core.errors import InvalidInput
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.reviews import service, views
from weshop.reviews.models import ReportStatus
from weshop.reviews.schemas import DecisionIn
from weshop.web.csrf import verify_csrf
from weshop.web.forms import posted_values
from weshop.web.templating import render, shop_time

router = APIRouter(prefix="/platform", dependencies=[Depends(verify_csrf)])

PAGE_SIZE = 20


@router.get("/review-reports")
async def reports_page(
    request: Request,
    operator: PageOperator,
    session: DbSession,
    status: Annotated[ReportStatus | None, Query()] = ReportStatus.OPEN,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Reported reviews, open ones unless ``status`` says otherwise; each open one with the
    hide and dismiss forms."""
    page = await views.reports_page(session, status, cursor, PAGE_SIZE)
    return render(
        request,
        "reviews/platform/reports.html",
        {"section": "reviews", "page": page, "status": status, "when": shop_time},
    )


async def _decision(request: Request) -> DecisionIn:
    try:
        return DecisionIn.model_validate(
            {"reason": (await posted_values(request)).get("reason", "")}
        )
    except ValidationError:
        raise InvalidInput("give a reason of 1 to 200 characters", code="invalid_reason") from None


@router.post("/review-reports/{report_id}/hide")
async def hide(
    request: Request, report_id: PathId, operator: PageOperator, session: DbSession
) -> Response:
    """Hide the reported review, keeping the reason; a report already decided is a 409 page."""
    await service.hide(session, operator, report_id, await _decision(request))
    return RedirectResponse("/platform/review-reports", 303)


@router.post("/review-reports/{report_id}/dismiss")
async def dismiss(
    request: Request, report_id: PathId, operator: PageOperator, session: DbSession
) -> Response:
    """Dismiss the report: the review stays shown."""
    await service.dismiss(session, operator, report_id, await _decision(request))
    return RedirectResponse("/platform/review-reports", 303)
