"""What flash sales do on the orders' campaign events, in the order's own transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.clock import utcnow
from weshop.core.db import lock_row
from weshop.core.events import Subscribers
from weshop.core.outbox import emit
from weshop.flashsale import repository as repo
from weshop.flashsale import service
from weshop.flashsale.models import FlashAttempt, FlashItem, FlashSession, SessionStatus
from weshop.orders.events import CampaignOrderClosed, CampaignOrderPaid
from weshop.orders.models import CampaignKind

subscribers = Subscribers()


@subscribers.on(CampaignOrderPaid)
async def flash_order_paid(db: AsyncSession, event: CampaignOrderPaid) -> None:
    if event.kind != CampaignKind.FLASH or event.entry_id is None:
        return
    await service.mark_paid(db, event.entry_id, event.paid_at)


@subscribers.on(CampaignOrderClosed)
async def flash_order_closed(db: AsyncSession, event: CampaignOrderClosed) -> None:
    """An unpaid flash order expired or was cancelled, or a paid one was cancelled with its
    refund: its units go back, once. While the session is not settled they go back to the
    flash stock (and, after the commit, to Redis); after, to the SKU's regular stock."""
    if event.kind != CampaignKind.FLASH or event.entry_id is None:
        return
    attempt = await db.get(FlashAttempt, event.entry_id)
    if attempt is None:
        return
    # The session's settlement takes this lock first too: a unit comes back either before
    # it (and is counted in what it returns) or after it (and goes to regular stock).
    await lock_row(db, FlashSession, attempt.session_id)
    if not await repo.release_attempt(db, attempt.id, utcnow(), event.reason):
        return  # released before: once only
    flash = await db.get_one(FlashSession, attempt.session_id, populate_existing=True)
    item = await db.get_one(FlashItem, attempt.item_id, populate_existing=True)
    await repo.give_back_shopper_units(db, item.id, attempt.user_id, attempt.quantity)
    await repo.give_back_units(db, item.id, attempt.quantity)
    if flash.status == SessionStatus.ENDED:
        await db.refresh(item)
        await service.return_unit_to_stock(db, flash, item, attempt.quantity)
        return
    emit(
        db,
        service.GATE_RETURN,
        {"item_id": item.id, "user_id": attempt.user_id, "token": attempt.token},
        store_id=item.store_id,
        dedupe_key=f"{service.GATE_RETURN}:{attempt.id}",
    )
