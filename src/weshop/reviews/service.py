"""The rules of reviews (评价), follow-ups (追评), replies, reports and the store's DSR.

- Only the buyer reviews, and only once the order is COMPLETED: another shopper's order, or a
  line of it, answers 404. Each line is reviewed once (409 ``already_reviewed``); the order's
  service and logistics stars come with its first reviews, once (422 ``order_stars_required``,
  409 ``order_already_rated``).
- Photos are images uploaded for the order (they are the store's media assets); at most 9.
- One follow-up per review, within 180 days of it (409 ``already_followed_up``,
  ``follow_up_closed``). Staff reply publicly once to a review and once to its follow-up
  (409 ``already_replied``).
- Staff never delete a review: they report it to the platform, which hides it (the reason is
  kept on the review) or dismisses the report. A text in which screening starred an abusive
  word is reported by the screening itself (a report without a reporter).
- Every text passes :func:`weshop.reviews.screening.screen` before it is kept. No reward of
  any kind depends on a review (see that module).
- DSR (description, service, logistics): rolling 90-day averages, to two decimals, of the
  shown reviews' stars and of the orders' service and logistics stars, with the 90 days
  before for the trend. One aggregate query per table, kept by ``core.read_cache`` until a
  review or a rating is written (the window moves by whole days, so the key names the day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.core.clock import utcnow
from weshop.core.errors import Conflict, InvalidInput, NotFound
from weshop.core.read_cache import kept_read
from weshop.core.tenancy import StoreScope
from weshop.media import service as media
from weshop.media.models import MediaAsset
from weshop.orders import repository as orders_repo
from weshop.orders import service as orders
from weshop.orders.models import Order, OrderStatus
from weshop.reviews import repository as repo
from weshop.reviews.models import OrderRating, Review, ReviewReport
from weshop.reviews.repository import WindowSums
from weshop.reviews.schemas import DecisionIn, FollowUpIn, OrderReviewIn, ReplyIn, ReportIn
from weshop.reviews.screening import screen
from weshop.reviews.state import REPORT, REVIEW

FOLLOW_UP_DAYS = 180
# The reason of the report that screening files when it stars an abusive word.
SCREENING_REASON = "abusive words starred by screening"
DSR_WINDOW_DAYS = 90
TWO_PLACES = Decimal("0.01")


# Shoppers


async def completed_order(session: AsyncSession, user: User, order_id: int) -> Order:
    """The shopper's own order, once completed (another's answers 404)."""
    order = await orders.shopper_order(session, user, order_id)
    if order.status != OrderStatus.COMPLETED:
        raise Conflict("only a completed order can be reviewed", code="order_not_completed")
    return order


async def upload_photo(
    session: AsyncSession,
    user: User,
    order_id: int,
    data: bytes,
    *,
    media_dir: Path,
    max_bytes: int,
) -> MediaAsset:
    """An image for the review of the shopper's completed order, kept with the store's media."""
    order = await completed_order(session, user, order_id)
    scope = StoreScope(store_id=order.store_id, actor_id=user.id, role="shopper")
    return await media.upload_image(session, scope, data, media_dir=media_dir, max_bytes=max_bytes)


async def _check_photos(session: AsyncSession, store_id: int, photo_ids: list[int]) -> None:
    if len(set(photo_ids)) != len(photo_ids):
        raise InvalidInput("a photo is given twice", code="duplicate_photo")
    found = await repo.store_assets(session, store_id, photo_ids)
    if len(found) != len(photo_ids):
        raise InvalidInput("a photo was not uploaded for this order", code="unknown_photo")


async def review_order(
    session: AsyncSession, user: User, order_id: int, body: OrderReviewIn
) -> list[Review]:
    """Review lines of the shopper's completed order (and rate the order, the first time)."""
    order = await completed_order(session, user, order_id)
    lines = {line.id: line for line in (await orders_repo.lines_of(session, [order.id]))[order.id]}
    given = [line.order_line_id for line in body.lines]
    if len(set(given)) != len(given):
        raise InvalidInput("a line is reviewed twice", code="duplicate_line")
    if any(line_id not in lines for line_id in given):
        raise NotFound("no such line in this order", code="unknown_line")
    stars = (body.service_stars, body.logistics_stars)
    if await repo.rating_of_order(session, order.id) is None:
        if None in stars:
            raise InvalidInput(
                "rate the store's service and logistics with the order's first reviews",
                code="order_stars_required",
            )
        session.add(
            OrderRating(
                store_id=order.store_id,
                order_id=order.id,
                user_id=user.id,
                service_stars=body.service_stars,
                logistics_stars=body.logistics_stars,
            )
        )
    elif stars != (None, None):
        raise Conflict("this order's service and logistics are rated", code="order_already_rated")
    for line in body.lines:
        await _check_photos(session, order.store_id, line.photo_ids)
    reviews = []
    for line in body.lines:
        screened = screen(line.text)
        reviews.append(
            Review(
                store_id=order.store_id,
                order_id=order.id,
                order_line_id=line.order_line_id,
                product_id=lines[line.order_line_id].product_id,
                user_id=user.id,
                stars=line.stars,
                text=screened.text,
                photo_ids=line.photo_ids,
                has_photos=bool(line.photo_ids),
                anonymous=line.anonymous,
                flagged=screened.flagged,
                followup_photo_ids=[],
            )
        )
    try:
        async with session.begin_nested():
            session.add_all(reviews)
            await session.flush()
    except IntegrityError:
        # Another request reviewed one of these lines (or rated the order) first.
        raise Conflict(
            "a line of this order is already reviewed", code="already_reviewed"
        ) from None
    for review in reviews:
        if review.flagged:
            await _put_before_the_platform(session, review)
    return reviews


async def _put_before_the_platform(session: AsyncSession, review: Review) -> None:
    """Screening starred an abusive word: the platform sees the review among the reported."""
    if await repo.open_report(session, review.id) is None:
        session.add(
            ReviewReport(review_id=review.id, store_id=review.store_id, reason=SCREENING_REASON)
        )
        await session.flush()


async def follow_up(session: AsyncSession, user: User, review_id: int, body: FollowUpIn) -> Review:
    """The shopper's one follow-up (追评) to their review, within 180 days of it."""
    review = await repo.review_of_user(session, user.id, review_id)
    if review is None:
        raise NotFound("no such review")
    now = utcnow()
    if now - review.created_at > timedelta(days=FOLLOW_UP_DAYS):
        raise Conflict(
            f"a follow-up is possible for {FOLLOW_UP_DAYS} days after the review",
            code="follow_up_closed",
        )
    await _check_photos(session, review.store_id, body.photo_ids)
    screened = screen(body.text)
    written = await repo.set_once(
        session,
        review.id,
        Review.followup_at.is_(None),
        followup_text=screened.text,
        followup_photo_ids=body.photo_ids,
        followup_at=now,
        flagged=review.flagged or screened.flagged,
    )
    if not written:
        raise Conflict("this review already has its follow-up", code="already_followed_up")
    await session.refresh(review)
    if screened.flagged:
        await _put_before_the_platform(session, review)
    return review


# Staff


async def store_review(session: AsyncSession, scope: StoreScope, review_id: int) -> Review:
    review = await repo.review_of_store(session, scope.store_id, review_id)
    if review is None:
        raise NotFound("no such review")
    return review


async def reply(session: AsyncSession, scope: StoreScope, review_id: int, body: ReplyIn) -> Review:
    """The store's public reply, once to the review and once to its follow-up."""
    review = await store_review(session, scope, review_id)
    text = screen(body.text).text
    now = utcnow()
    if body.to == "follow_up":
        if review.followup_at is None:
            raise Conflict("this review has no follow-up to answer", code="no_follow_up")
        written = await repo.set_once(
            session,
            review.id,
            Review.followup_reply_at.is_(None),
            followup_reply_text=text,
            followup_reply_at=now,
        )
    else:
        written = await repo.set_once(
            session,
            review.id,
            Review.reply_at.is_(None),
            reply_text=text,
            reply_at=now,
            reply_by=scope.actor_id,
        )
    if not written:
        raise Conflict("the store has already replied to this", code="already_replied")
    await session.refresh(review)
    return review


async def report(
    session: AsyncSession, scope: StoreScope, review_id: int, body: ReportIn
) -> ReviewReport:
    """Ask the platform to look at a review (staff cannot delete one)."""
    review = await store_review(session, scope, review_id)
    REVIEW.target(review.status, "hide")
    if await repo.open_report(session, review.id) is not None:
        raise Conflict("this review is already reported", code="already_reported")
    found = ReviewReport(
        review_id=review.id,
        store_id=review.store_id,
        reason=body.reason,
        reported_by=scope.actor_id,
    )
    session.add(found)
    await session.flush()
    return found


# The platform


async def platform_report(session: AsyncSession, report_id: int) -> ReviewReport:
    found = await repo.report(session, report_id)
    if found is None:
        raise NotFound("no such report")
    return found


async def _decide(
    session: AsyncSession, operator: User, report_id: int, action: str, reason: str
) -> ReviewReport:
    found = await platform_report(session, report_id)
    await REPORT.apply(
        session, found, action, decided_by=operator.id, decision_reason=reason, decided_at=utcnow()
    )
    return found


async def hide(
    session: AsyncSession, operator: User, report_id: int, body: DecisionIn
) -> ReviewReport:
    """Uphold a report: the review is hidden from the public and from the DSR, the reason kept."""
    found = await _decide(session, operator, report_id, "uphold", body.reason)
    review = await session.get_one(Review, found.review_id)
    await REVIEW.apply(session, review, "hide", hidden_reason=body.reason)
    return found


async def dismiss(
    session: AsyncSession, operator: User, report_id: int, body: DecisionIn
) -> ReviewReport:
    """Dismiss a report: the review stays shown."""
    return await _decide(session, operator, report_id, "dismiss", body.reason)


# Figures


def average(count: int, total: int) -> Decimal | None:
    """``total / count`` to two decimals, half up; None without a review."""
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Score:
    score: Decimal | None
    previous: Decimal | None
    count: int

    @property
    def change(self) -> Decimal | None:
        if self.score is None or self.previous is None:
            return None
        return self.score - self.previous


@dataclass(frozen=True)
class StoreScores:
    store_id: int
    description: Score
    service: Score
    logistics: Score


def _score(sums: WindowSums) -> Score:
    return Score(
        score=average(*sums.recent), previous=average(*sums.previous), count=sums.recent[0]
    )


def dsr_windows(today: date) -> tuple[datetime, datetime, datetime]:
    """(start of the previous 90 days, start of the last 90 days, end of today) in UTC."""
    until = datetime.combine(today + timedelta(days=1), time.min, UTC)
    middle = until - timedelta(days=DSR_WINDOW_DAYS)
    return middle - timedelta(days=DSR_WINDOW_DAYS), middle, until


async def store_scores(session: AsyncSession, store_id: int) -> StoreScores:
    """The store's DSR over the 90 days up to the end of today, and the 90 days before."""
    today = utcnow().date()

    async def read() -> StoreScores:
        since, middle, until = dsr_windows(today)
        description = await repo.description_sums(session, store_id, since, middle, until)
        service, logistics = await repo.rating_sums(session, store_id, since, middle, until)
        return StoreScores(
            store_id=store_id,
            description=_score(description),
            service=_score(service),
            logistics=_score(logistics),
        )

    return await kept_read(session, ("store_scores", store_id, today), read)


@dataclass(frozen=True)
class ProductRating:
    count: int
    average: Decimal | None
    positive_percent: int | None


async def product_rating(session: AsyncSession, product_id: int) -> ProductRating:
    """Average stars, count and share of 4-5 star reviews of the product's shown reviews."""
    count, total, positive = await repo.product_rating(session, product_id)
    percent = None
    if count:
        percent = int((Decimal(positive * 100) / count).quantize(Decimal(1), ROUND_HALF_UP))
    return ProductRating(count=count, average=average(count, total), positive_percent=percent)
