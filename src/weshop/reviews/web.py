"""Storefront pages of reviews: the rating and reviews on a product's page and their own page,
the DSR on a store's page, and for the buyer 待评价 (lines to review), the review form of an
order (stars, text, photos, anonymous) and the follow-up form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from weshop.accounts.models import User
from weshop.accounts.page_session import PageUser
from weshop.catalog import views as catalog_views
from weshop.core.errors import NotFound, WeShopError
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import PathId
from weshop.orders import repository as orders_repo
from weshop.orders.models import Order, OrderStatus
from weshop.reviews import repository as repo
from weshop.reviews import service, views
from weshop.reviews.schemas import MAX_PHOTOS, FollowUpIn, OrderReviewIn
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_, error_message
from weshop.web.forms import undo_on_error
from weshop.web.i18n import gettext
from weshop.web.response_cache import cached_response
from weshop.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)])

ON_PRODUCT_PAGE = 3
PAGE_SIZE = 10
PENDING_SHOWN = 50
FORM_ERRORS = {
    "order_stars_required": N_("Rate the service and the delivery too."),
    "already_reviewed": N_("You have already reviewed this."),
    "already_followed_up": N_("You have already added a follow-up."),
    "follow_up_closed": N_("Follow-ups are possible for 180 days after the review."),
    "too_many_photos": N_("At most 9 photos."),
    "invalid_review": N_("Choose 1 to 5 stars and write at most 500 characters."),
}


# Sections of the catalogue's pages


async def product_section(
    request: Request, session: AsyncSession, product_id: int
) -> dict[str, Any] | None:
    """The rating and the first reviews (photos first) on a product's page."""
    found = await views.product_reviews(session, product_id, None, ON_PRODUCT_PAGE)
    return {
        "template": "reviews/shop/_product_reviews.html",
        "found": found,
        "product_id": product_id,
    }


async def store_section(
    request: Request, session: AsyncSession, store_id: int
) -> dict[str, Any] | None:
    """The store's DSR (description, service, logistics) with the trend."""
    scores = views.scores_out(await service.store_scores(session, store_id))
    return {"template": "reviews/shop/_store_scores.html", "scores": scores}


async def order_section(
    request: Request, session: AsyncSession, user: User, order: Order
) -> dict[str, Any] | None:
    """On the buyer's completed order: the link to review it, or to what was reviewed."""
    if order.status != OrderStatus.COMPLETED:
        return None
    reviewed = await repo.reviews_of_order(session, order.id)
    lines = (await orders_repo.lines_of(session, [order.id]))[order.id]
    return {
        "template": "reviews/shop/_order_link.html",
        "order_id": order.id,
        "to_review": len(lines) > len(reviewed),
        "reviewed": reviewed,
    }


@router.get("/p/{product_id}/reviews")
@cached_response()
async def product_reviews_page(
    request: Request,
    product_id: PathId,
    session: DbSession,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """A product's reviews, those with photos first, a page at a time."""
    if await catalog_views.store_of_product(session, product_id) is None:
        raise NotFound("no such product")
    found = await views.product_reviews(session, product_id, cursor, PAGE_SIZE)
    return render(
        request,
        "reviews/shop/product_reviews.html",
        {"found": found, "product_id": product_id, "tab": "home"},
    )


# The buyer


@router.get("/me/reviews")
async def my_reviews(request: Request, user: PageUser, session: DbSession) -> Response:
    """待评价: the lines of completed orders not reviewed yet, by order."""
    pending = await views.lines_to_review(session, user.id, PENDING_SHOWN)
    orders: dict[int, list[Any]] = {}
    for line in pending:
        orders.setdefault(line.order_id, []).append(line)
    return render(request, "reviews/shop/pending.html", {"orders": orders, "tab": "me"})


def _message(request: Request, exc: WeShopError) -> str:
    known = FORM_ERRORS.get(exc.code)
    return gettext(request, known) if known else error_message(request, exc.code, exc.message)


async def _review_form(
    request: Request,
    session: AsyncSession,
    user: User,
    order_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    order = await service.completed_order(session, user, order_id)
    pending = [
        line
        for line in await views.lines_to_review(session, user.id, PENDING_SHOWN)
        if line.order_id == order.id
    ]
    rated = await repo.rating_of_order(session, order.id) is not None
    return render(
        request,
        "reviews/shop/review_form.html",
        {
            "order": order,
            "lines": pending,
            "rated": rated,
            "error": error,
            "max_photos": MAX_PHOTOS,
            "tab": "me",
        },
        status_code=status_code,
    )


@router.get("/me/orders/{order_id}/review")
async def review_form(
    request: Request, order_id: PathId, user: PageUser, session: DbSession
) -> Response:
    return await _review_form(request, session, user, order_id)


def _stars(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None


async def _photo_ids(
    session: AsyncSession, user: User, order_id: int, uploads: list[Any], runtime: Any
) -> list[int]:
    files = [upload for upload in uploads if isinstance(upload, UploadFile) and upload.filename]
    if len(files) > MAX_PHOTOS:
        raise WeShopError("too many photos", code="too_many_photos")
    limit = runtime.settings.max_upload_bytes
    ids = []
    for upload in files:
        asset = await service.upload_photo(
            session,
            user,
            order_id,
            await upload.read(limit + 1),
            media_dir=runtime.settings.media_dir,
            max_bytes=limit,
        )
        if asset.id not in ids:
            ids.append(asset.id)
    return ids


@router.post("/me/orders/{order_id}/review")
async def post_review(
    request: Request, order_id: PathId, user: PageUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Reviews the lines whose stars were chosen, uploading their photos."""
    form = await request.form()
    await service.completed_order(session, user, order_id)
    try:
        async with undo_on_error(session):
            lines = []
            for name in form:
                if not name.startswith("stars."):
                    continue
                line_id = name.removeprefix("stars.")
                stars = _stars(form.get(name))
                if stars is None or not line_id.isdigit():
                    continue
                lines.append(
                    {
                        "order_line_id": int(line_id),
                        "stars": stars,
                        "text": str(form.get(f"text.{line_id}", "")),
                        "anonymous": form.get(f"anonymous.{line_id}") == "1",
                        "photo_ids": await _photo_ids(
                            session, user, order_id, form.getlist(f"photos.{line_id}"), runtime
                        ),
                    }
                )
            try:
                body = OrderReviewIn.model_validate(
                    {
                        "service_stars": _stars(form.get("service_stars")),
                        "logistics_stars": _stars(form.get("logistics_stars")),
                        "lines": lines,
                    }
                )
            except ValidationError:
                raise WeShopError("invalid review", code="invalid_review") from None
            await service.review_order(session, user, order_id, body)
    except WeShopError as exc:
        return await _review_form(
            request, session, user, order_id, error=_message(request, exc), status_code=422
        )
    return RedirectResponse("/me/reviews?notice=reviewed", 303)


async def _follow_up_page(
    request: Request, session: AsyncSession, user: User, review_id: int, error: str | None = None
) -> Response:
    review = await repo.review_of_user(session, user.id, review_id)
    if review is None:
        raise NotFound("no such review")
    [shown] = await views.store_reviews(session, [review])
    return render(
        request,
        "reviews/shop/follow_up.html",
        {"review": shown, "error": error, "max_photos": MAX_PHOTOS, "tab": "me"},
        status_code=422 if error else 200,
    )


@router.get("/me/reviews/{review_id}/follow-up")
async def follow_up_form(
    request: Request, review_id: PathId, user: PageUser, session: DbSession
) -> Response:
    return await _follow_up_page(request, session, user, review_id)


@router.post("/me/reviews/{review_id}/follow-up")
async def post_follow_up(
    request: Request, review_id: PathId, user: PageUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    form = await request.form()
    review = await repo.review_of_user(session, user.id, review_id)
    if review is None:
        raise NotFound("no such review")
    try:
        async with undo_on_error(session):
            photo_ids = await _photo_ids(
                session, user, review.order_id, form.getlist("photos"), runtime
            )
            try:
                body = FollowUpIn(text=str(form.get("text", "")), photo_ids=photo_ids)
            except ValidationError:
                raise WeShopError("invalid follow-up", code="invalid_review") from None
            await service.follow_up(session, user, review_id, body)
    except WeShopError as exc:
        return await _follow_up_page(request, session, user, review_id, _message(request, exc))
    return RedirectResponse(f"/p/{review.product_id}/reviews", 303)
