"""Queries of reviews. A write that must happen once (the review of a line, the order's stars,
a follow-up, a reply) is guarded by a unique key or a conditional UPDATE checked by its row
count, never by a read and a later write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.media.models import MediaAsset
from weshop.orders.models import Order, OrderLine, OrderStatus
from weshop.reviews.models import OrderRating, ReportStatus, Review, ReviewReport, ReviewStatus

POSITIVE_STARS = 4  # 好评: four or five stars


@dataclass(frozen=True)
class WindowSums:
    """(count, sum of stars) in the recent window and in the one before it."""

    recent: tuple[int, int]
    previous: tuple[int, int]


# Reviews


async def review_of_user(session: AsyncSession, user_id: int, review_id: int) -> Review | None:
    return await session.scalar(
        select(Review).where(Review.id == review_id, Review.user_id == user_id)
    )


async def review_of_store(session: AsyncSession, store_id: int, review_id: int) -> Review | None:
    return await session.scalar(
        select(Review).where(Review.id == review_id, Review.store_id == store_id)
    )


async def reviews_of_order(session: AsyncSession, order_id: int) -> list[Review]:
    rows = await session.scalars(
        select(Review).where(Review.order_id == order_id).order_by(Review.id)
    )
    return list(rows)


async def rating_of_order(session: AsyncSession, order_id: int) -> OrderRating | None:
    return await session.scalar(select(OrderRating).where(OrderRating.order_id == order_id))


async def store_assets(
    session: AsyncSession, store_id: int, asset_ids: list[int]
) -> dict[int, MediaAsset]:
    if not asset_ids:
        return {}
    rows = await session.scalars(
        select(MediaAsset).where(MediaAsset.id.in_(asset_ids), MediaAsset.store_id == store_id)
    )
    return {asset.id: asset for asset in rows}


async def assets(session: AsyncSession, asset_ids: set[int]) -> dict[int, MediaAsset]:
    if not asset_ids:
        return {}
    rows = await session.scalars(select(MediaAsset).where(MediaAsset.id.in_(asset_ids)))
    return {asset.id: asset for asset in rows}


async def authors(session: AsyncSession, user_ids: set[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    rows = await session.scalars(select(User).where(User.id.in_(user_ids)))
    return {user.id: user for user in rows}


async def set_once(session: AsyncSession, review_id: int, guard: Any, **values: Any) -> bool:
    """Write ``values`` on the review if ``guard`` (a condition on its row) still holds."""
    result = await session.execute(
        update(Review)
        .where(Review.id == review_id, guard)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def lines_to_review(user_id: int) -> Select[Any]:
    """The lines of the shopper's completed orders that have no review yet, newest first."""
    return (
        select(OrderLine, Order)
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(Review, Review.order_line_id == OrderLine.id)
        .where(
            Order.user_id == user_id,
            Order.status == OrderStatus.COMPLETED,
            Review.id.is_(None),
        )
        .order_by(Order.completed_at.desc(), Order.id.desc(), OrderLine.id)
    )


def reviews_of_user(user_id: int) -> Select[Any]:
    return select(Review).where(Review.user_id == user_id)


def shown_reviews_of_product(product_id: int) -> Select[Any]:
    return select(Review).where(
        Review.product_id == product_id, Review.status == ReviewStatus.VISIBLE
    )


def photos_first_after(query: Select[Any], after: tuple[bool, datetime, int] | None) -> Select[Any]:
    """Reviews with photos first, then newest first; start after the ``(has_photos,
    created_at, id)`` of the last row shown."""
    if after is not None:
        has_photos, created_at, row_id = after
        older = or_(
            Review.created_at < created_at,
            and_(Review.created_at == created_at, Review.id < row_id),
        )
        same_group = and_(Review.has_photos.is_(has_photos), older)
        # After the last review with photos come the older ones with photos, then all without.
        query = query.where(
            or_(Review.has_photos.is_(False), same_group) if has_photos else same_group
        )
    return query.order_by(Review.has_photos.desc(), Review.created_at.desc(), Review.id.desc())


def store_reviews(
    store_id: int, *, stars: int | None, with_photos: bool, unreplied: bool
) -> Select[Any]:
    query = select(Review).where(Review.store_id == store_id)
    if stars is not None:
        query = query.where(Review.stars == stars)
    if with_photos:
        query = query.where(Review.has_photos.is_(True))
    if unreplied:
        query = query.where(
            or_(
                Review.reply_at.is_(None),
                and_(Review.followup_at.is_not(None), Review.followup_reply_at.is_(None)),
            )
        )
    return query


# Figures


async def product_rating(session: AsyncSession, product_id: int) -> tuple[int, int, int]:
    """(count, sum of stars, positive count) of the product's shown reviews."""
    row = (
        await session.execute(
            select(
                func.count(Review.id),
                func.coalesce(func.sum(Review.stars), 0),
                func.coalesce(func.sum(case((Review.stars >= POSITIVE_STARS, 1), else_=0)), 0),
            ).where(Review.product_id == product_id, Review.status == ReviewStatus.VISIBLE)
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def _in(window: Any, value: Any) -> Any:
    return func.coalesce(func.sum(case((window, value), else_=0)), 0)


async def description_sums(
    session: AsyncSession, store_id: int, since: datetime, middle: datetime, until: datetime
) -> WindowSums:
    """The shown reviews' count and sum of stars in [since, middle) and [middle, until): one
    aggregate over the store's index."""
    recent = Review.created_at >= middle
    row = (
        await session.execute(
            select(
                _in(recent, 1),
                _in(recent, Review.stars),
                _in(~recent, 1),
                _in(~recent, Review.stars),
            ).where(
                Review.store_id == store_id,
                Review.created_at >= since,
                Review.created_at < until,
                Review.status == ReviewStatus.VISIBLE,
            )
        )
    ).one()
    return WindowSums(recent=(int(row[0]), int(row[1])), previous=(int(row[2]), int(row[3])))


async def rating_sums(
    session: AsyncSession, store_id: int, since: datetime, middle: datetime, until: datetime
) -> tuple[WindowSums, WindowSums]:
    """The orders' service and logistics stars in the two windows, as above."""
    recent = OrderRating.created_at >= middle
    service, logistics = OrderRating.service_stars, OrderRating.logistics_stars
    row = (
        await session.execute(
            select(
                _in(recent, 1),
                _in(recent, service),
                _in(recent, logistics),
                _in(~recent, 1),
                _in(~recent, service),
                _in(~recent, logistics),
            ).where(
                OrderRating.store_id == store_id,
                OrderRating.created_at >= since,
                OrderRating.created_at < until,
            )
        )
    ).one()
    counts = [int(value) for value in row]
    return (
        WindowSums(recent=(counts[0], counts[1]), previous=(counts[3], counts[4])),
        WindowSums(recent=(counts[0], counts[2]), previous=(counts[3], counts[5])),
    )


# Reports


async def open_report(session: AsyncSession, review_id: int) -> ReviewReport | None:
    return await session.scalar(
        select(ReviewReport).where(
            ReviewReport.review_id == review_id, ReviewReport.status == ReportStatus.OPEN
        )
    )


async def report(session: AsyncSession, report_id: int) -> ReviewReport | None:
    return await session.get(ReviewReport, report_id)


def reports(status: ReportStatus | None) -> Select[Any]:
    query = select(ReviewReport)
    if status is not None:
        query = query.where(ReviewReport.status == status)
    return query
