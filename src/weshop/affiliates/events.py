"""What the alliance pool does on the events of the domains below it, in their own
transactions: every placed line gets its attribution decision
(:mod:`weshop.affiliates.decisions`) and its commissions, which then follow the order's
payment, closing, refunds and settlement (:mod:`weshop.affiliates.commissions`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates import commissions, fraud
from weshop.affiliates.clicks import current_visitor
from weshop.affiliates.decisions import attribute_placed_lines
from weshop.affiliates.promoters import current_policy
from weshop.core.clock import utcnow
from weshop.core.events import Question, Subscribers
from weshop.ledger.announcements import (
    CommissionClawedBack,
    CommissionDue,
    CommissionsUnderReview,
    OrderClawBacks,
    OrderCommissions,
    OrderSettled,
    PayoutAccounts,
)
from weshop.orders.events import OrderClosed, OrdersPlaced
from weshop.payments.events import PaymentSucceeded, RefundSucceeded

subscribers = Subscribers()


@dataclass(frozen=True)
class ShareLinkMiniProgramCode(Question[str | None]):
    """The mini-program code (小程序码) opening a promoter's share link, for its poster: an
    image file under the media directory, or None when no mini-program opens the link's
    store (the poster then carries the link's QR code)."""

    store_id: int
    target: str  # the link's target, "product:12"
    link_code: str


@subscribers.on(OrdersPlaced)
async def attribute_orders(db: AsyncSession, event: OrdersPlaced) -> None:
    policy = await current_policy(db)  # read once for both
    rows = await attribute_placed_lines(db, event, current_visitor(), policy)
    await commissions.estimate(db, event, rows, policy)


@subscribers.on(PaymentSucceeded)
async def freeze_commissions(db: AsyncSession, event: PaymentSucceeded) -> None:
    if event.accepted:
        await commissions.freeze(db, event.payment.order_id, utcnow())


@subscribers.on(OrderClosed)
async def close_commissions(db: AsyncSession, event: OrderClosed) -> None:
    if not event.was_paid:
        await commissions.close_unpaid(db, event.order_id, utcnow())


@subscribers.on(RefundSucceeded)
async def follow_refund(db: AsyncSession, event: RefundSucceeded) -> None:
    await commissions.follow_refunds(db, event.refund.order_id, utcnow())


@subscribers.answers(OrderCommissions)
async def commissions_due(db: AsyncSession, question: OrderCommissions) -> list[CommissionDue]:
    return await commissions.due_at_settlement(db, question.order_id)


@subscribers.answers(OrderClawBacks)
async def commission_claw_backs(
    db: AsyncSession, question: OrderClawBacks
) -> list[CommissionClawedBack]:
    return await commissions.claw_backs(db, question.order_id, utcnow())


@subscribers.answers(CommissionsUnderReview)
async def commissions_under_review(db: AsyncSession, question: CommissionsUnderReview) -> bool:
    return await fraud.order_under_review(db, question.order_id)


@subscribers.answers(PayoutAccounts)
async def payout_accounts(db: AsyncSession, question: PayoutAccounts) -> dict[int, str]:
    return await commissions.payout_accounts(db, question.promoter_ids)


@subscribers.on(OrderSettled)
async def settle_commissions(db: AsyncSession, event: OrderSettled) -> None:
    await commissions.settle(db, event.order_id, event.settled_at, event.commissions)
    await commissions.settle_owed(db, event.owed_paid)
