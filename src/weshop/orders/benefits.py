"""What an order holds of the shopper's coupons and points, through the order's life.

- Placed: the coupons its quote applied are locked to it and the points it used are spent.
- Paid: its coupons are used.
- Cancelled before payment (by the shopper or because the window passed): its coupons come
  back to the wallet and its points to the balance, each exactly once.
- Cancelled with a full refund: its points come back at once, and its coupons where their
  template says so (``return_on_refund``).
- Completed: the shopper earns growth and points on what was paid and not refunded.
- A refund of it succeeds (by staff, by line; an after-sales request; the refund of a
  cancellation): ``follow_refund`` puts the shopper's benefits where the refunded total
  says, counting from the order's totals so that each refund acts once and all of them add
  up exactly:
  - the points it spent come back in proportion to the money refunded (all of them once the
    whole payment is back);
  - what its completion earned (points and growth) is taken back in the same proportion of
    what was earned on; points the balance lacks are owed and paid from later earnings, and
    the member's level follows growth down;
  - once the whole payment is back, its coupons return where their template says so, as on
    a cancellation.
  A refund before completion takes nothing back: completion then earns on what is kept.

A platform coupon is priced over every order of its checkout, so it belongs to the checkout:
the first order holds it, paying any order of the checkout uses it, and an order that ends
while holding it hands it to another order of the checkout still alive. It returns to the
wallet only when no order of the checkout keeps a part of its discount.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.members import service as members
from weshop.orders import repository as repo
from weshop.orders.models import Order
from weshop.pricing.quote import Quote
from weshop.promotions import service as promotions


def platform_coupon_discounts(quote: Quote) -> dict[int, int]:
    """Each applied platform coupon of a whole checkout's quote and all it took off (fen)."""
    return {
        int(promotion.source_id): -promotion.amount_fen
        for promotion in quote.promotions
        if promotion.kind == "coupon" and promotion.store_id is None
    }


async def hold_benefits(
    session: AsyncSession,
    order: Order,
    store_quote: Quote,
    platform_coupons: Mapping[int, int],
    now: datetime,
) -> None:
    """Lock the order's coupons and spend its points as it is placed. ``platform_coupons``
    (id -> discount over the checkout) is given to the one order that holds them.

    Raises ``Conflict`` (``coupon_unavailable``, ``not_enough_points``) when a concurrent
    checkout took them first; the caller's transaction then rolls back."""
    discounts = {
        int(promotion.source_id): -promotion.amount_fen
        for promotion in store_quote.promotions
        if promotion.kind == "coupon" and promotion.store_id is not None
    }
    discounts.update(platform_coupons)
    if discounts:
        await promotions.lock_coupons(
            session, order.user_id, discounts, order.id, now, discounts_fen=discounts
        )
    points = store_quote.stores[0].points_used
    if points:
        await members.spend_points(session, order.store_id, order.user_id, points, order.id, now)


async def use_benefits(session: AsyncSession, order: Order, now: datetime) -> None:
    """The order is paid: its coupons, and its checkout's platform coupon, are used."""
    await promotions.use_coupons(session, order.id, now)
    await promotions.use_platform_coupons(
        session, await repo.checkout_order_ids(session, order.checkout_no), now
    )


async def _pass_platform_coupons_on(session: AsyncSession, order: Order) -> None:
    sibling = await repo.live_sibling(session, order)
    if sibling is not None:
        await promotions.hand_over_platform_coupons(session, order.id, sibling.id)


async def release_benefits(session: AsyncSession, order: Order, reason: str, now: datetime) -> None:
    """The order is cancelled before payment: coupons and points go back, once."""
    await _pass_platform_coupons_on(session, order)
    await promotions.return_coupons(session, order.id, reason)
    await members.refund_points(session, order.id, now)


async def refund_benefits(session: AsyncSession, order: Order, now: datetime) -> None:
    """The paid order is cancelled with a full refund: points back, coupons by policy."""
    await _pass_platform_coupons_on(session, order)
    await promotions.return_used_coupons_on_refund(session, order.id)
    await members.refund_points(session, order.id, now)


async def follow_refund(session: AsyncSession, order: Order, refund_id: int, now: datetime) -> None:
    """A refund of the order succeeded; ``order.refunded_fen`` already counts it. Points
    spent come back and points and growth earned go, in proportion to the refunded total;
    a wholly refunded order returns its coupons by policy and hands its checkout's platform
    coupon to an order that still keeps part of it."""
    await members.return_points_for_refund(
        session, order.id, refund_id, order.refunded_fen, order.paid_fen, now
    )
    await members.claw_back_for_refund(
        session, order.id, refund_id, order.paid_fen - order.refunded_fen, now
    )
    if order.paid_fen and order.refunded_fen >= order.paid_fen:
        await _pass_platform_coupons_on(session, order)
        await promotions.return_used_coupons_on_refund(session, order.id)


async def reward_completion(session: AsyncSession, order: Order, now: datetime) -> None:
    """The order is complete: growth and points on what the shopper paid and kept."""
    kept = order.paid_fen - order.refunded_fen
    if kept > 0:
        await members.earn_for_completed_order(
            session, order.store_id, order.user_id, order.id, kept, now
        )
