"""What after-sales does on the events of the domains below it, in their transaction: a
request's refund that succeeded marks the request refunded; the ledger's settlement asks
whether a request of the order is still under way."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.aftersales import service
from weshop.core.events import Subscribers
from weshop.ledger.announcements import AftersalesUnderWay
from weshop.payments.events import RefundSucceeded

subscribers = Subscribers()


@subscribers.on(RefundSucceeded)
async def mark_refunded(session: AsyncSession, event: RefundSucceeded) -> None:
    await service.refund_succeeded(session, event.refund.id)


@subscribers.answers(AftersalesUnderWay)
async def request_under_way(session: AsyncSession, question: AftersalesUnderWay) -> bool:
    return await service.under_way(session, question.order_id)
