"""What the ledger does on payments' in-transaction events (:mod:`weshop.payments.events`):
it posts a payment's or a refund's journal entry in the transaction that records it, undoes
a cancelled free order's subsidy, and answers from its books. The composition wires
:data:`subscribers` into the database's sessions."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.events import Subscribers
from weshop.ledger import repository as repo
from weshop.ledger import service
from weshop.payments.events import (
    FreeOrderCancelled,
    IsOrderSettled,
    PaymentSucceeded,
    PlatformSharesAfterRefunds,
    RefundSucceeded,
)

subscribers = Subscribers()


@subscribers.on(PaymentSucceeded)
async def post_payment(session: AsyncSession, event: PaymentSucceeded) -> None:
    await service.record_payment(session, event.payment, accepted=event.accepted)


@subscribers.on(RefundSucceeded)
async def post_refund(session: AsyncSession, event: RefundSucceeded) -> None:
    await service.record_refund(session, event.refund)


@subscribers.on(FreeOrderCancelled)
async def undo_free_order_subsidy(session: AsyncSession, event: FreeOrderCancelled) -> None:
    await service.record_free_order_cancelled(session, event.order_id)


@subscribers.answers(IsOrderSettled)
async def order_settled(session: AsyncSession, question: IsOrderSettled) -> bool:
    return await repo.is_settled(session, question.order_id)


@subscribers.answers(PlatformSharesAfterRefunds)
async def platform_shares(
    session: AsyncSession, question: PlatformSharesAfterRefunds
) -> tuple[int, int]:
    return await service.platform_targets_after_refunds(
        session, question.order_id, question.refunded
    )
