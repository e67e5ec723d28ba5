"""After-sales queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.aftersales.models import (
    AftersalesPolicy,
    AftersalesRequest,
    AftersalesStep,
    DisputeOutcome,
    RequestKind,
    RequestStatus,
)
from weshop.aftersales.state import OPEN_STATUSES
from weshop.media.models import MediaAsset
from weshop.orders.models import Order
from weshop.payments.models import Refund, RefundStatus


async def policy_of(session: AsyncSession, store_id: int) -> AftersalesPolicy | None:
    return await session.scalar(
        select(AftersalesPolicy).where(AftersalesPolicy.store_id == store_id)
    )


async def open_request_of_line(session: AsyncSession, line_id: int) -> AftersalesRequest | None:
    return await session.scalar(
        select(AftersalesRequest).where(
            AftersalesRequest.order_line_id == line_id,
            AftersalesRequest.status.in_(OPEN_STATUSES),
        )
    )


async def units_taken(session: AsyncSession, order_id: int) -> dict[int, int]:
    """Per line of the order, the units that requests give back for money: open or refunded
    refunds and returns, and any request the platform decided to refund."""
    takes_units = or_(
        and_(
            AftersalesRequest.kind != RequestKind.EXCHANGE,
            AftersalesRequest.status.in_(OPEN_STATUSES | {RequestStatus.REFUNDED}),
        ),
        AftersalesRequest.status == RequestStatus.REFUNDED,
    )
    rows = await session.execute(
        select(AftersalesRequest.order_line_id, func.sum(AftersalesRequest.quantity))
        .where(AftersalesRequest.order_id == order_id, takes_units)
        .group_by(AftersalesRequest.order_line_id)
    )
    return {line_id: int(units) for line_id, units in rows}


async def open_requests_of_order(session: AsyncSession, order_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(AftersalesRequest)
            .where(
                AftersalesRequest.order_id == order_id,
                AftersalesRequest.status.in_(OPEN_STATUSES),
            )
        )
        or 0
    )


async def by_refund(session: AsyncSession, refund_id: int) -> AftersalesRequest | None:
    return await session.scalar(
        select(AftersalesRequest).where(AftersalesRequest.refund_id == refund_id)
    )


async def shoppers_record(session: AsyncSession, user_id: int, since: datetime) -> tuple[int, int]:
    """A shopper's disputes lost (ever) and requests refunded since ``since``."""
    lost = await session.scalar(
        select(func.count())
        .select_from(AftersalesRequest)
        .where(
            AftersalesRequest.user_id == user_id,
            AftersalesRequest.dispute_outcome == DisputeOutcome.SHOPPER_LOST,
        )
    )
    refunded = await session.scalar(
        select(func.count())
        .select_from(AftersalesRequest)
        .where(
            AftersalesRequest.user_id == user_id,
            AftersalesRequest.status == RequestStatus.REFUNDED,
            AftersalesRequest.created_at >= since,
        )
    )
    return int(lost or 0), int(refunded or 0)


async def shoppers_photos(
    session: AsyncSession, store_id: int, user_id: int, ids: list[int]
) -> set[int]:
    """Which of ``ids`` are images this shopper uploaded for this store."""
    if not ids:
        return set()
    rows = await session.scalars(
        select(MediaAsset.id).where(
            MediaAsset.id.in_(ids),
            MediaAsset.store_id == store_id,
            MediaAsset.uploaded_by == user_id,
        )
    )
    return set(rows)


async def photos(session: AsyncSession, ids: list[int]) -> list[MediaAsset]:
    if not ids:
        return []
    rows = await session.scalars(select(MediaAsset).where(MediaAsset.id.in_(ids)))
    return sorted(rows, key=lambda asset: ids.index(asset.id))


async def steps_of(session: AsyncSession, request_id: int) -> list[AftersalesStep]:
    rows = await session.scalars(
        select(AftersalesStep)
        .where(AftersalesStep.request_id == request_id)
        .order_by(AftersalesStep.id)
    )
    return list(rows)


def listed(
    *,
    user_id: int | None = None,
    store_id: int | None = None,
    status: RequestStatus | None = None,
    due_before: datetime | None = None,
) -> Select[tuple[AftersalesRequest]]:
    """Requests of a shopper, of a store or (neither) of every store, newest first."""
    query = select(AftersalesRequest)
    if user_id is not None:
        query = query.where(AftersalesRequest.user_id == user_id)
    if store_id is not None:
        query = query.where(AftersalesRequest.store_id == store_id)
    if status is not None:
        query = query.where(AftersalesRequest.status == status)
    if due_before is not None:
        query = query.where(AftersalesRequest.deadline_at <= due_before)
    return query


async def open_by_status(session: AsyncSession, store_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(AftersalesRequest.status, func.count())
        .where(
            AftersalesRequest.store_id == store_id,
            AftersalesRequest.status.in_(OPEN_STATUSES),
        )
        .group_by(AftersalesRequest.status)
    )
    return {str(status): int(count) for status, count in rows}


async def open_due(
    session: AsyncSession, store_id: int, now: datetime, within: datetime
) -> tuple[int, int]:
    """Open requests of the store whose deadline is past, and due by ``within``."""
    base = select(func.count()).where(
        AftersalesRequest.store_id == store_id,
        AftersalesRequest.status.in_(OPEN_STATUSES),
    )
    overdue = await session.scalar(base.where(AftersalesRequest.deadline_at < now))
    soon = await session.scalar(
        base.where(AftersalesRequest.deadline_at >= now, AftersalesRequest.deadline_at <= within)
    )
    return int(overdue or 0), int(soon or 0)


async def refund_durations(
    session: AsyncSession, store_id: int, since: datetime
) -> list[tuple[datetime, datetime]]:
    """(asked, refunded) of the store's requests refunded since ``since``."""
    rows = await session.execute(
        select(AftersalesRequest.created_at, AftersalesRequest.finished_at).where(
            AftersalesRequest.store_id == store_id,
            AftersalesRequest.status == RequestStatus.REFUNDED,
            AftersalesRequest.finished_at >= since,
        )
    )
    return [(asked, done) for asked, done in rows]


async def disputes_of_store(session: AsyncSession, store_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(
                AftersalesRequest.store_id == store_id,
                AftersalesRequest.escalated_at.is_not(None),
            )
        )
        or 0
    )


async def paid_and_refunded(
    session: AsyncSession, store_id: int, since: datetime
) -> tuple[int, int]:
    """The store's fen paid for orders paid since ``since``, and refunded since then."""
    paid = await session.scalar(
        select(func.coalesce(func.sum(Order.paid_fen), 0)).where(
            Order.store_id == store_id, Order.paid_at >= since
        )
    )
    refunded = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
            Refund.store_id == store_id,
            Refund.status == RefundStatus.SUCCEEDED,
            Refund.succeeded_at >= since,
        )
    )
    return int(paid or 0), int(refunded or 0)


async def paid_orders(session: AsyncSession, store_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(Order.store_id == store_id, Order.paid_at.is_not(None))
        )
        or 0
    )
