from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.payments.models import (
    NotificationOutcome,
    Payment,
    PaymentNotification,
    PaymentStatus,
    Refund,
    RefundPart,
    RefundStatus,
)


async def insert_notification(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Store a provider's notification; its id, or None when this provider's notification
    of this id is stored already (or being stored by a concurrent transaction, which this
    one then waits for). One statement: no savepoint, no re-select."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return await session.scalar(
        insert(PaymentNotification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["provider", "notification_id"])
        .returning(PaymentNotification.id)
    )


async def set_notification_outcome(
    session: AsyncSession, notification_id: int, outcome: NotificationOutcome, detail: str
) -> None:
    await session.execute(
        update(PaymentNotification)
        .where(PaymentNotification.id == notification_id)
        .values(outcome=outcome, detail=detail)
    )


async def payment_by_trade_no(
    session: AsyncSession, provider: str, out_trade_no: str
) -> Payment | None:
    return await session.scalar(
        select(Payment).where(Payment.provider == provider, Payment.out_trade_no == out_trade_no)
    )


async def succeed_payment(
    session: AsyncSession,
    provider: str,
    out_trade_no: str,
    amount_fen: int,
    from_statuses: list[PaymentStatus],
    values: dict[str, Any],
) -> Payment | None:
    """Compare-and-set in one statement: the payment of ``out_trade_no`` for exactly
    ``amount_fen``, if in one of ``from_statuses``, becomes succeeded with ``values``; the
    payment as it now is, or None when no payment matched (unknown, another amount, or
    another status)."""
    return await session.scalar(
        update(Payment)
        .where(
            Payment.provider == provider,
            Payment.out_trade_no == out_trade_no,
            Payment.amount_fen == amount_fen,
            Payment.status.in_(from_statuses),
        )
        .values(status=PaymentStatus.SUCCEEDED, **values)
        .returning(Payment)
        .execution_options(synchronize_session=False, populate_existing=True)
    )


async def pending_payments(session: AsyncSession, order_id: int) -> list[Payment]:
    rows = await session.scalars(
        select(Payment).where(Payment.order_id == order_id, Payment.status == PaymentStatus.PENDING)
    )
    return list(rows)


async def succeeded_payment(session: AsyncSession, order_id: int) -> Payment | None:
    return await session.scalar(
        select(Payment)
        .where(Payment.order_id == order_id, Payment.status == PaymentStatus.SUCCEEDED)
        .order_by(Payment.id)
        .limit(1)
    )


async def refund_by_id(session: AsyncSession, refund_id: int) -> Refund | None:
    return await session.get(Refund, refund_id)


async def refund_by_number(session: AsyncSession, out_refund_no: str) -> Refund | None:
    return await session.scalar(select(Refund).where(Refund.out_refund_no == out_refund_no))


async def fee_returned(session: AsyncSession, payment_id: int, except_refund_id: int) -> int:
    """The platform fee given back to the store before the payment's other refunds."""
    total = await session.scalar(
        select(func.coalesce(func.sum(Refund.fee_returned_fen), 0)).where(
            Refund.payment_id == payment_id, Refund.id != except_refund_id
        )
    )
    return int(total or 0)


async def subsidy_returned(session: AsyncSession, payment_id: int, except_refund_id: int) -> int:
    """The platform subsidy taken back after the payment's other refunds."""
    total = await session.scalar(
        select(func.coalesce(func.sum(Refund.subsidy_returned_fen), 0)).where(
            Refund.payment_id == payment_id, Refund.id != except_refund_id
        )
    )
    return int(total or 0)


async def requested_refund_parts(session: AsyncSession, payment_id: int) -> dict[int | None, int]:
    """Per part of the order, what the payment's refunds that did not fail give back."""
    rows = await session.execute(
        select(RefundPart.order_line_id, func.sum(RefundPart.amount_fen))
        .join(Refund, Refund.id == RefundPart.refund_id)
        .where(Refund.payment_id == payment_id, Refund.status != RefundStatus.FAILED)
        .group_by(RefundPart.order_line_id)
    )
    return {part: int(total) for part, total in rows}


async def order_refunds(session: AsyncSession, order_id: int) -> list[Refund]:
    rows = await session.scalars(
        select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)
    )
    return list(rows)


async def parts_of(session: AsyncSession, refund_ids: list[int]) -> list[RefundPart]:
    rows = await session.scalars(
        select(RefundPart).where(RefundPart.refund_id.in_(refund_ids)).order_by(RefundPart.id)
    )
    return list(rows)
