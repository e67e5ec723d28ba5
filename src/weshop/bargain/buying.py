"""Buying a bargain, and what its order's payment or closing does to it.

The starter buys one unit at the bargain's current price: the floor, or earlier when the
campaign allows it. The order is placed by ``orders.campaigns.place_campaign_order``; in the
same transaction the campaign's stock and the shopper's limit are taken by conditional
UPDATEs and the bargain moves to ``ordered`` by a compare-and-set on its status and version
(so a help landing meanwhile makes the purchase fail, all of it, rather than charge a stale
price).

The order's in-transaction events finish the story: ``CampaignOrderPaid`` marks the bargain
bought; ``CampaignOrderClosed`` gives the unit back to the campaign and the shopper, and, if
the order was never paid, reopens the bargain (the shopper may buy again while its window
lasts) or expires it when the window has passed.

A bought bargain becomes ``refunded`` when its order's money goes back, and its unit
follows what happens to the SKU's regular stock then: an order cancelled after payment
(``CampaignOrderClosed`` with ``was_paid``) returns its stock, so the unit comes back to the
campaign and the shopper; a staff refund of the order's line (``payments.events.
RefundSucceeded``, once the line's whole paid share has gone back) returns no stock (the
goods went out), so the unit stays sold and the shopper's limit stays used. A partial refund
leaves the bargain bought.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.bargain import repository as repo
from weshop.bargain.models import Bargain, BargainState, CampaignStatus
from weshop.bargain.schemas import BuyIn
from weshop.bargain.state import BARGAIN_MACHINE
from weshop.core.errors import Conflict, NotFound
from weshop.orders.campaigns import CampaignOffer, place_campaign_order
from weshop.orders.checkout import PlacedCheckout
from weshop.orders.models import CampaignKind
from weshop.orders.schemas import CheckoutIn

LABEL = "砍价价"


def _ensure_buyable(bargain: Bargain, buy_before_floor: bool, now: datetime) -> None:
    if bargain.status == BargainState.ORDERED:
        raise Conflict(
            "this bargain already has an order waiting for payment",
            code="bargain_ordered",
            details={"order_id": bargain.order_id},
        )
    if bargain.status == BargainState.BOUGHT:
        raise Conflict("this bargain has been bought", code="bargain_bought")
    if bargain.status == BargainState.REFUNDED:
        raise Conflict("this bargain was bought and refunded", code="bargain_refunded")
    if bargain.status == BargainState.EXPIRED or bargain.expires_at <= now:
        raise Conflict("this bargain has expired", code="bargain_expired")
    if bargain.status == BargainState.IN_PROGRESS and not buy_before_floor:
        raise Conflict("this bargain has not reached its floor price yet", code="floor_not_reached")


async def _mark_ordered(
    session: AsyncSession, bargain: Bargain, order_id: int, now: datetime
) -> None:
    """Compare-and-set on the status and version read: the price charged is the one read."""
    target = BARGAIN_MACHINE.target(bargain.status, "order")
    result = await session.execute(
        update(Bargain)
        .where(
            Bargain.id == bargain.id,
            Bargain.status == bargain.status,
            Bargain.version == bargain.version,
        )
        .values(status=target, version=bargain.version + 1, order_id=order_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict("the bargain changed meanwhile: look again", code="bargain_changed")
    await session.refresh(bargain)


async def buy(
    session: AsyncSession, user: User, bargain_id: int, data: BuyIn, now: datetime
) -> PlacedCheckout:
    """Place the bargain's order. 404 for another shopper's bargain; 409: floor_not_reached,
    bargain_ordered, bargain_bought, bargain_refunded, bargain_expired, bargain_changed,
    campaign_stopped, limit_reached, sold_out, and the checkout's own refusals."""
    bargain = await repo.bargain(session, bargain_id)
    if bargain is None or bargain.user_id != user.id:
        raise NotFound("no such bargain")
    campaign = await repo.any_campaign(session, bargain.campaign_id)
    assert campaign is not None
    if campaign.status == CampaignStatus.STOPPED:
        raise Conflict("this bargain campaign has been stopped", code="campaign_stopped")
    _ensure_buyable(bargain, campaign.buy_before_floor, now)
    # Read-only refusals first (counts only grow meanwhile, so a "no" stays right); the
    # guarded updates below decide.
    if await repo.shopper_units(session, campaign.id, user.id) >= campaign.per_shopper_limit:
        raise _limit_reached(campaign.per_shopper_limit)
    if campaign.sold >= campaign.stock:
        raise Conflict("this bargain is sold out", code="sold_out")
    offer = CampaignOffer(
        kind=CampaignKind.BARGAIN,
        campaign_id=campaign.id,
        entry_id=bargain.id,
        sku_id=bargain.sku_id,
        price_fen=bargain.current_price_fen,
        label=LABEL,
    )
    body = CheckoutIn.model_validate(
        {
            "address_id": data.address_id,
            "items": [{"sku_id": bargain.sku_id, "quantity": 1}],
            "coupon_ids": data.coupon_ids,
            "points": [{"store_id": bargain.store_id, "points": data.points}]
            if data.points
            else [],
            "note": data.note,
        }
    )
    # The order first, then the campaign, the shopper's counter and the bargain: the order in
    # which an order's cancellation takes the same rows (stock, then what its event gives
    # back), so that a purchase and a cancellation never wait on each other in a circle.
    placed = await place_campaign_order(session, user, offer, body)
    if not await repo.take_campaign_unit(session, campaign.id):
        raise Conflict("this bargain is sold out", code="sold_out")
    if not await repo.take_shopper_unit(session, campaign.id, user.id, campaign.per_shopper_limit):
        raise _limit_reached(campaign.per_shopper_limit)
    await _mark_ordered(session, bargain, placed.orders[0].id, now)
    return placed


def _limit_reached(limit: int) -> Conflict:
    return Conflict(f"at most {limit} of this bargain per shopper", code="limit_reached")


async def order_paid(
    session: AsyncSession, bargain_id: int, order_id: int, paid_at: datetime
) -> None:
    bargain = await repo.bargain(session, bargain_id)
    if bargain is None or bargain.order_id != order_id:
        return
    if bargain.status == BargainState.ORDERED:
        await BARGAIN_MACHINE.apply(session, bargain, "pay", bought_at=paid_at, updated_at=paid_at)


async def order_closed(
    session: AsyncSession, bargain_id: int, order_id: int, was_paid: bool, now: datetime
) -> None:
    """Give the unit back to the campaign and the shopper; an unpaid order's bargain may be
    bought again while its window lasts, a paid one's is refunded."""
    bargain = await repo.bargain(session, bargain_id)
    if bargain is None or bargain.order_id != order_id:
        return
    await repo.give_back_campaign_unit(session, bargain.campaign_id)
    await repo.give_back_shopper_unit(session, bargain.campaign_id, bargain.user_id)
    if was_paid and bargain.status == BargainState.BOUGHT:
        await BARGAIN_MACHINE.apply(session, bargain, "refund", updated_at=now)
    if was_paid or bargain.status != BargainState.ORDERED:
        return
    if bargain.expires_at <= now:
        action = "expire"
    elif bargain.counted_helps >= bargain.helps_needed:
        action = "reopen_at_floor"
    else:
        action = "reopen"
    await BARGAIN_MACHINE.apply(session, bargain, action, order_id=None, updated_at=now)


async def order_refunded(
    session: AsyncSession, bargain_id: int, order_id: int, now: datetime
) -> None:
    """A refund of the bargain's order succeeded: once the bargained line's whole paid share
    has gone back, the bargain is refunded (its unit stays sold: no stock came back)."""
    bargain = await repo.bargain(session, bargain_id)
    if bargain is None or bargain.order_id != order_id or bargain.status != BargainState.BOUGHT:
        return
    if await repo.lines_refunded_in_full(session, order_id):
        await BARGAIN_MACHINE.apply(session, bargain, "refund", updated_at=now)
