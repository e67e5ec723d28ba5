from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.payments.models import Payment, PaymentStatus, Refund


async def payment_by_trade_no(
    session: AsyncSession, provider: str, out_trade_no: str
) -> Payment | None:
    return await session.scalar(
        select(Payment).where(Payment.provider == provider, Payment.out_trade_no == out_trade_no)
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
