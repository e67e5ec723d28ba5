"""The read side of reviews: answers built from rows, with photos and the author's name as the
public may see it."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.accounts.schemas import masked_phone_or_wechat_name
from weshop.core.crypto import mask_name
from weshop.core.errors import InvalidInput
from weshop.core.ids import MAX_ID
from weshop.core.pagination import MAX_CURSOR_LENGTH, Page, encode_cursor, paginate
from weshop.reviews import repository as repo
from weshop.reviews import service
from weshop.reviews.models import ReportStatus, Review, ReviewReport
from weshop.reviews.schemas import (
    FollowUpOut,
    LineToReviewOut,
    PhotoOut,
    ProductRatingOut,
    ProductReviewsOut,
    ReportOut,
    ReviewOut,
    ScoreOut,
    StoreReviewOut,
    StoreScoresOut,
)

ANONYMOUS_FALLBACK = "买家"


def author_name(user: User | None, anonymous: bool) -> str:
    """The nickname (or the masked phone without one); masked to its first character when the
    shopper chose to be anonymous."""
    nickname = (user.display_name if user else "") or ""
    if anonymous:
        return mask_name(nickname or ANONYMOUS_FALLBACK)
    if nickname:
        return nickname
    return masked_phone_or_wechat_name(user.phone) if user else ANONYMOUS_FALLBACK


async def _parts(session: AsyncSession, reviews: Sequence[Review]) -> tuple[dict, dict]:
    photo_ids = {pid for r in reviews for pid in (*r.photo_ids, *r.followup_photo_ids)}
    photos = await repo.assets(session, photo_ids)
    users = await repo.authors(session, {review.user_id for review in reviews})
    return photos, users


def _public(review: Review, photos: dict, users: dict) -> dict[str, Any]:
    def shown(ids: list[int]) -> list[PhotoOut]:
        return [PhotoOut(id=pid, url=photos[pid].url) for pid in ids if pid in photos]

    follow = None
    if review.followup_at is not None:
        follow = FollowUpOut(
            text=review.followup_text or "",
            photos=shown(review.followup_photo_ids),
            created_at=review.followup_at,
            reply=review.followup_reply_text,
        )
    return {
        "id": review.id,
        "product_id": review.product_id,
        "stars": review.stars,
        "text": review.text,
        "photos": shown(review.photo_ids),
        "author": author_name(users.get(review.user_id), review.anonymous),
        "anonymous": review.anonymous,
        "created_at": review.created_at,
        "reply": review.reply_text,
        "follow_up": follow,
    }


async def public_reviews(session: AsyncSession, reviews: Sequence[Review]) -> list[ReviewOut]:
    photos, users = await _parts(session, reviews)
    return [ReviewOut(**_public(review, photos, users)) for review in reviews]


async def store_reviews(session: AsyncSession, reviews: Sequence[Review]) -> list[StoreReviewOut]:
    photos, users = await _parts(session, reviews)
    return [
        StoreReviewOut(
            **_public(review, photos, users),
            store_id=review.store_id,
            order_id=review.order_id,
            order_line_id=review.order_line_id,
            status=review.status,
            flagged=review.flagged,
            hidden_reason=review.hidden_reason,
        )
        for review in reviews
    ]


async def reports_out(session: AsyncSession, reports: Sequence[ReviewReport]) -> list[ReportOut]:
    reviews = {
        review.id: review
        for review in await store_reviews(
            session, [await session.get_one(Review, found.review_id) for found in reports]
        )
    }
    return [
        ReportOut(
            id=found.id,
            review_id=found.review_id,
            store_id=found.store_id,
            reason=found.reason,
            by_screening=found.reported_by is None,
            status=found.status,
            decision_reason=found.decision_reason,
            created_at=found.created_at,
            decided_at=found.decided_at,
            review=reviews[found.review_id],
        )
        for found in reports
    ]


# Photos first: a cursor carries (has_photos, created_at, id) of the last review shown.


def encode_photos_first(review: Review) -> str:
    raw = json.dumps([review.has_photos, review.created_at.isoformat(), review.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_photos_first(cursor: str) -> tuple[bool, datetime, int]:
    invalid = InvalidInput("the cursor is not valid", code="invalid_cursor")
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        has_photos, created, row_id = json.loads(base64.urlsafe_b64decode(padded))
        created_at = datetime.fromisoformat(created)
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise invalid from exc
    if (
        not isinstance(has_photos, bool)
        or not isinstance(row_id, int)
        or not 0 <= row_id <= MAX_ID
        or created_at.utcoffset() != timedelta(0)
    ):
        raise invalid
    return has_photos, created_at, row_id


async def product_reviews(
    session: AsyncSession, product_id: int, cursor: str | None, limit: int
) -> ProductReviewsOut:
    """The product's rating and a page of its shown reviews, those with photos first."""
    after = decode_photos_first(cursor) if cursor else None
    query = repo.photos_first_after(repo.shown_reviews_of_product(product_id), after)
    rows = list(await session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    rating = await service.product_rating(session, product_id)
    return ProductReviewsOut(
        rating=ProductRatingOut(
            count=rating.count,
            average=float(rating.average) if rating.average is not None else None,
            positive_percent=rating.positive_percent,
        ),
        items=await public_reviews(session, rows),
        next_cursor=encode_photos_first(rows[-1]) if more and rows else None,
    )


def _figure(value: Any) -> float | None:
    return float(value) if value is not None else None


def scores_out(scores: service.StoreScores) -> StoreScoresOut:
    def one(score: service.Score) -> ScoreOut:
        return ScoreOut(
            score=_figure(score.score),
            previous=_figure(score.previous),
            change=_figure(score.change),
            count=score.count,
        )

    return StoreScoresOut(
        store_id=scores.store_id,
        window_days=service.DSR_WINDOW_DAYS,
        description=one(scores.description),
        service=one(scores.service),
        logistics=one(scores.logistics),
    )


async def lines_to_review(session: AsyncSession, user_id: int, limit: int) -> list[LineToReviewOut]:
    rows = await session.execute(repo.lines_to_review(user_id).limit(limit))
    return [
        LineToReviewOut(
            order_id=order.id,
            order_no=order.order_no,
            order_line_id=line.id,
            product_id=line.product_id,
            title=line.title,
            spec_text=line.spec_text,
            completed_at=order.completed_at,
        )
        for line, order in rows
    ]


T = TypeVar("T")
Row = TypeVar("Row", Review, ReviewReport)


async def page_of(
    session: AsyncSession,
    rows: list[Row],
    limit: int,
    answers: Callable[[AsyncSession, list[Row]], Awaitable[list[T]]],
) -> Page[T]:
    """A page of ``limit`` of the ``limit + 1`` rows fetched (newest first), as answers."""
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more and rows else None
    return Page(
        items=await answers(session, rows),
        next_cursor=encode_cursor(last.created_at, last.id) if last else None,
    )


async def reviews_page(
    session: AsyncSession, query: Select[Any], cursor: str | None, limit: int
) -> Page[StoreReviewOut]:
    """A page of the reviews ``query`` selects, newest first."""
    rows = list(await session.scalars(paginate(query, Review, cursor, limit)))
    return await page_of(session, rows, limit, store_reviews)


async def reports_page(
    session: AsyncSession, status: ReportStatus | None, cursor: str | None, limit: int
) -> Page[ReportOut]:
    """A page of the reports in ``status`` (any: None), newest first."""
    query = paginate(repo.reports(status), ReviewReport, cursor, limit)
    return await page_of(session, list(await session.scalars(query)), limit, reports_out)
