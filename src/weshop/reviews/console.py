"""The merchant console's 评价 page: the store's reviews with filters (stars, with photos,
unreplied), the reply and report forms, and the store's DSR with its trend."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from starlette.responses import Response

from weshop.core.errors import InvalidInput
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.reviews import repository as repo
from weshop.reviews import service, views
from weshop.reviews.schemas import ReplyIn, ReportIn
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff, done_redirect
from weshop.stores.permissions import Permission
from weshop.web.console_forms import N_
from weshop.web.csrf import verify_csrf
from weshop.web.forms import posted_values

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

Reader = console_staff(Permission.ORDERS_READ)
Writer = console_staff(Permission.REVIEWS_WRITE)
PAGE_SIZE = 20
DONE_NOTICES = {
    "replied": N_("Reply published."),
    "reported": N_("Reported to the platform."),
}


@router.get("/reviews")
async def reviews_page(
    request: Request,
    session: DbSession,
    stars: Annotated[int | None, Query(ge=1, le=5)] = None,
    with_photos: bool = False,
    unreplied: bool = False,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    access: ConsoleAccess = Reader,
) -> Response:
    """The store's reviews, newest first, with the DSR on top."""
    query = repo.store_reviews(
        access.scope.store_id, stars=stars, with_photos=with_photos, unreplied=unreplied
    )
    page = await views.reviews_page(session, query, cursor, PAGE_SIZE)
    scores = views.scores_out(await service.store_scores(session, access.scope.store_id))
    return console_page(
        request,
        "reviews/console/reviews.html",
        access,
        "reviews",
        {
            "page": page,
            "scores": scores,
            "filters": {"stars": stars, "with_photos": with_photos, "unreplied": unreplied},
            "notices": DONE_NOTICES,
        },
    )


def _parsed(schema: type[ReplyIn] | type[ReportIn], values: dict) -> ReplyIn | ReportIn:
    try:
        return schema.model_validate(values)
    except ValidationError:
        raise InvalidInput("write 1 to 500 characters", code="invalid_text") from None


@router.post("/reviews/{review_id}/reply")
async def reply(
    request: Request, review_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    """Publish the store's reply (once per review, once per follow-up); a second is a 409 page."""
    form = await posted_values(request)
    body = _parsed(ReplyIn, {"text": form.get("text", ""), "to": form.get("to", "review")})
    await service.reply(session, access.scope, review_id, body)
    return done_redirect(access, "/reviews", "replied")


@router.post("/reviews/{review_id}/report")
async def report(
    request: Request, review_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    """Report the review to the platform with a reason; staff never delete a review."""
    form = await posted_values(request)
    body = _parsed(ReportIn, {"reason": form.get("reason", "")})
    await service.report(session, access.scope, review_id, body)
    return done_redirect(access, "/reviews", "reported")
