"""What bargaining does in the transactions of the orders below it: a paid bargain order
marks its bargain bought; a closed one gives the unit back (``bargain.buying``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.bargain import buying
from weshop.core.clock import utcnow
from weshop.core.events import Subscribers
from weshop.orders.events import CampaignOrderClosed, CampaignOrderPaid
from weshop.orders.models import CampaignKind

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
