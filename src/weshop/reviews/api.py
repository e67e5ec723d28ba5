"""Reviews over HTTP: a product's reviews and a store's DSR for everyone; reviewing, photos
and follow-ups for the buyer; the store's reviews, replies and reports for its staff; reported
reviews for the platform."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, UploadFile, status

from weshop.accounts.auth import CurrentOperator, CurrentUser
from weshop.catalog import views as catalog_views
from weshop.core.errors import NotFound
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import MAX_ID, PathId, ProductId
from weshop.core.pagination import DEFAULT_LIMIT, CursorQuery, Limit, Page
from weshop.core.tenancy import StoreScope
from weshop.media.schemas import MediaOut
from weshop.reviews import repository as repo
from weshop.reviews import service, views
from weshop.reviews.models import ReportStatus
from weshop.reviews.schemas import (
    DecisionIn,
    FollowUpIn,
    LineToReviewOut,
    OrderReviewIn,
    ProductReviewsOut,
    ReplyIn,
    ReportIn,
    ReportOut,
    StoreReviewOut,
    StoreScoresOut,
)
from weshop.stores import service as stores
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission
from weshop.web.response_cache import cached_response

shop = APIRouter(prefix="/api/v1/shop", tags=["shop"])
me = APIRouter(prefix="/api/v1/me", tags=["reviews"])
merchant = APIRouter(prefix="/api/v1/merchant/stores/{store_id}", tags=["merchant: reviews"])
platform = APIRouter(prefix="/api/v1/platform", tags=["platform: reviews"])

ReviewId = Annotated[int, Path(ge=1, le=MAX_ID, description="Review id.")]
ReportId = Annotated[int, Path(ge=1, le=MAX_ID, description="Report id.")]
OrderId = Annotated[int, Path(ge=1, le=MAX_ID, description="Order id.")]

Reader = staff_with(Permission.ORDERS_READ)
Writer = staff_with(Permission.REVIEWS_WRITE)


# Everyone


@shop.get("/products/{product_id}/reviews", response_model=ProductReviewsOut)
@cached_response()
async def product_reviews(
    product_id: ProductId,
    session: DbSession,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """A product's rating (average stars, count, % of 4-5 stars) and its reviews, those with
    photos first, then newest first; follow `next_cursor` for more. Hidden reviews are not
    shown or counted; an anonymous review shows a masked name."""
    if await catalog_views.store_of_product(session, product_id) is None:
        raise NotFound("no such product")
    return await views.product_reviews(session, product_id, cursor, limit)


@shop.get("/stores/{store_id}/scores", response_model=StoreScoresOut)
@cached_response()
async def store_scores(store_id: PathId, session: DbSession):
    """The store's DSR: description (the products' stars), service and logistics, each the
    average of the last 90 days to two decimals, with the 90 days before for the trend."""
    store = await stores.get_store(session, store_id)
    return views.scores_out(await service.store_scores(session, store.id))


# The buyer


@me.post(
    "/orders/{order_id}/review-photos", status_code=status.HTTP_201_CREATED, response_model=MediaOut
)
async def upload_review_photo(
    order_id: OrderId,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    file: UploadFile = File(description="A PNG, JPEG, WebP or GIF image."),
):
    """Upload a photo for the review of one's completed order; give its id in `photo_ids`.
    Another shopper's order answers 404; an order not completed, 409 `order_not_completed`."""
    limit = runtime.settings.max_upload_bytes
    data = await file.read(limit + 1)
    return await service.upload_photo(
        session, user, order_id, data, media_dir=runtime.settings.media_dir, max_bytes=limit
    )


@me.post(
    "/orders/{order_id}/reviews",
    status_code=status.HTTP_201_CREATED,
    response_model=list[StoreReviewOut],
)
async def review_order(
    order_id: OrderId, body: OrderReviewIn, user: CurrentUser, session: DbSession
):
    """Review lines of one's completed order: stars, text (≤ 500, phone and ID numbers masked,
    abuse starred), up to 9 photos, anonymous or not. Give `service_stars` and
    `logistics_stars` with the order's first reviews (422 `order_stars_required`), never again
    (409 `order_already_rated`). A line is reviewed once (409 `already_reviewed`); another
    shopper's order or line answers 404; an order not completed, 409 `order_not_completed`."""
    return await views.store_reviews(
        session, await service.review_order(session, user, order_id, body)
    )


@me.get("/reviews/pending", response_model=list[LineToReviewOut])
async def lines_to_review(user: CurrentUser, session: DbSession, limit: Limit = DEFAULT_LIMIT):
    """待评价: lines of one's completed orders not reviewed yet, newest orders first."""
    return await views.lines_to_review(session, user.id, limit)


@me.get("/reviews", response_model=Page[StoreReviewOut])
async def my_reviews(
    user: CurrentUser, session: DbSession, cursor: CursorQuery = None, limit: Limit = DEFAULT_LIMIT
):
    """One's reviews, newest first, hidden ones included (with the platform's reason)."""
    return await views.reviews_page(session, repo.reviews_of_user(user.id), cursor, limit)


@me.post("/reviews/{review_id}/follow-up", response_model=StoreReviewOut)
async def follow_up(review_id: ReviewId, body: FollowUpIn, user: CurrentUser, session: DbSession):
    """Add the one follow-up (追评) to one's review, within 180 days of it: 409
    `already_followed_up`, `follow_up_closed`."""
    review = await service.follow_up(session, user, review_id, body)
    return (await views.store_reviews(session, [review]))[0]


# Staff


@merchant.get("/reviews", response_model=Page[StoreReviewOut])
async def list_store_reviews(
    session: DbSession,
    stars: Annotated[int | None, Query(ge=1, le=5, description="Only these stars.")] = None,
    with_photos: Annotated[bool, Query(description="Only reviews with photos.")] = False,
    unreplied: Annotated[
        bool, Query(description="Only reviews (or follow-ups) the store has not answered.")
    ] = False,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
    scope: StoreScope = Reader,
):
    """The store's reviews, newest first, hidden and flagged ones included."""
    query = repo.store_reviews(
        scope.store_id, stars=stars, with_photos=with_photos, unreplied=unreplied
    )
    return await views.reviews_page(session, query, cursor, limit)


@merchant.post("/reviews/{review_id}/reply", response_model=StoreReviewOut)
async def reply(review_id: ReviewId, body: ReplyIn, session: DbSession, scope: StoreScope = Writer):
    """Reply publicly, once to the review (`to: review`) and once to its follow-up
    (`to: follow_up`): 409 `already_replied`, `no_follow_up`."""
    review = await service.reply(session, scope, review_id, body)
    return (await views.store_reviews(session, [review]))[0]


@merchant.post(
    "/reviews/{review_id}/reports", status_code=status.HTTP_201_CREATED, response_model=ReportOut
)
async def report(
    review_id: ReviewId, body: ReportIn, session: DbSession, scope: StoreScope = Writer
):
    """Report a review to the platform with a reason (a review is never deleted by the store):
    409 `already_reported` while a report is open; a hidden review is 409."""
    found = await service.report(session, scope, review_id, body)
    return (await views.reports_out(session, [found]))[0]


# The platform


@platform.get("/review-reports", response_model=Page[ReportOut])
async def list_reports(
    operator: CurrentOperator,
    session: DbSession,
    report_status: Annotated[
        ReportStatus | None, Query(alias="status", description="Only reports in this state.")
    ] = ReportStatus.OPEN,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """Reported reviews, newest first; open ones unless `status` says otherwise."""
    return await views.reports_page(session, report_status, cursor, limit)


@platform.post("/review-reports/{report_id}/hide", response_model=ReportOut)
async def hide_review(
    report_id: ReportId, body: DecisionIn, operator: CurrentOperator, session: DbSession
):
    """Uphold an open report: the review is hidden from the public and from the DSR, with the
    reason kept. A report already decided is 409."""
    found = await service.hide(session, operator, report_id, body)
    return (await views.reports_out(session, [found]))[0]


@platform.post("/review-reports/{report_id}/dismiss", response_model=ReportOut)
async def dismiss_report(
    report_id: ReportId, body: DecisionIn, operator: CurrentOperator, session: DbSession
):
    """Dismiss an open report: the review stays shown. A report already decided is 409."""
    found = await service.dismiss(session, operator, report_id, body)
    return (await views.reports_out(session, [found]))[0]
