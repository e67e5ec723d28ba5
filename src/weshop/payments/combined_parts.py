"""The parts of a combined payment (one :class:`Payment` per order of the checkout) and
closing it: at the provider all parts close together, so closing one order's part closes
the whole combined payment; the checkout's other orders stay payable (again together, or
each alone)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.orders.models import Order
from weshop.payments.descriptions import order_description
from weshop.payments.models import CombinedPayment, Payment, PaymentStatus
from weshop.payments.provider import PaymentProvider, SubPayment
from weshop.payments.state import PAYMENT_MACHINE
from weshop.payments.sub_merchants import sub_mchid_for
from weshop.stores.models import Store


async def parts_of(session: AsyncSession, combined_id: int) -> list[Payment]:
    rows = await session.scalars(
        select(Payment).where(Payment.combined_payment_id == combined_id).order_by(Payment.id)
    )
    return list(rows)


async def sub_payments(
    session: AsyncSession, parts: list[Payment], provider: PaymentProvider
) -> list[SubPayment]:
    """The parts as the provider is told them (the same each time: it checks them)."""
    found = []
    for part in parts:
        order = await session.get(Order, part.order_id)
        store = await session.get(Store, part.store_id)
        assert order is not None and store is not None
        found.append(
            SubPayment(
                out_trade_no=part.out_trade_no,
                amount_fen=part.amount_fen,
                description=order_description(store.name, order.order_no),
                attach=order.order_no,
                sub_mchid=await sub_mchid_for(session, part.store_id, provider),
            )
        )
    return found


async def close_combined(
    session: AsyncSession, combined_id: int, provider: PaymentProvider, now: datetime
) -> None:
    """Close an open combined payment at the provider and here, with its open parts."""
    combined = await session.get(CombinedPayment, combined_id)
    if combined is None or combined.status != PaymentStatus.PENDING:
        return
    parts = await parts_of(session, combined_id)
    await provider.close_combined_payment(
        combined.combine_out_trade_no, await sub_payments(session, parts, provider)
    )
    await session.execute(
        update(CombinedPayment)
        .where(CombinedPayment.id == combined_id, CombinedPayment.status == PaymentStatus.PENDING)
        .values(status=PaymentStatus.CLOSED, closed_at=now)
    )
    for part in parts:
        if part.status == PaymentStatus.PENDING:
            await PAYMENT_MACHINE.apply(session, part, "close", closed_at=now)
