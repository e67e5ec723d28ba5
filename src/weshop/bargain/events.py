"""What bargaining does in the transactions of the orders and payments below it: a paid
bargain order marks its bargain bought; a closed one gives the unit back; a refund that gives
back the whole of the bargained line marks the bargain refunded (``bargain.buying``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.bargain import buying
from weshop.core.clock import utcnow
from weshop.core.events import Subscribers
from weshop.orders.events import CampaignOrderClosed, CampaignOrderPaid
from weshop.orders.models import CampaignKind, Order
from weshop.payments.events import RefundSucceeded

subscribers = Subscribers()


@subscribers.on(CampaignOrderPaid)
async def bargain_order_paid(session: AsyncSession, event: CampaignOrderPaid) -> None:
    if event.kind != CampaignKind.BARGAIN or event.entry_id is None:
        return
    await buying.order_paid(session, event.entry_id, event.order_id, event.paid_at)


@subscribers.on(CampaignOrderClosed)
async def bargain_order_closed(session: AsyncSession, event: CampaignOrderClosed) -> None:
    if event.kind != CampaignKind.BARGAIN or event.entry_id is None:
        return
    await buying.order_closed(session, event.entry_id, event.order_id, event.was_paid, utcnow())


@subscribers.on(RefundSucceeded)
async def bargain_order_refunded(session: AsyncSession, event: RefundSucceeded) -> None:
    order = await session.get(Order, event.refund.order_id)
    if order is None or order.campaign_kind != CampaignKind.BARGAIN:
        return
    if order.campaign_entry_id is not None:
        await buying.order_refunded(session, order.campaign_entry_id, order.id, utcnow())
