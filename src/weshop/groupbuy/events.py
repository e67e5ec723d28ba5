"""What group buying does in the transaction of an order's payment or closing."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.clock import utcnow
from weshop.core.events import Subscribers
from weshop.groupbuy import membership
from weshop.orders.events import CampaignOrderClosed, CampaignOrderPaid
from weshop.orders.models import CampaignKind

subscribers = Subscribers()


@subscribers.on(CampaignOrderPaid)
async def count_paid_member(session: AsyncSession, event: CampaignOrderPaid) -> None:
    """The paid member takes a place (the N-th completes the group), or gets the policy."""
    if event.kind == CampaignKind.GROUP:
        await membership.on_paid(session, event.entry_id, event.paid_at)


@subscribers.on(CampaignOrderClosed)
async def release_member(session: AsyncSession, event: CampaignOrderClosed) -> None:
    """The member leaves (freeing the place) or is refunded; the campaign stock comes back."""
    if event.kind == CampaignKind.GROUP:
        await membership.on_closed(session, event.entry_id, utcnow())
