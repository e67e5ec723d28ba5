"""Payments: start one for an order, apply the provider's verified callbacks, refund.

A callback is stored once (unique per provider and notification id) and applied under a
compare-and-set, so a replay changes nothing. Refunds are sent to the provider by the worker
after the transaction that decided them has committed, idempotent by ``out_refund_no``.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.core.clock import utcnow
from weshop.core.errors import Conflict, InvalidInput
from weshop.core.outbox import emit
from weshop.core.tenancy import StoreScope
from weshop.ledger import service as ledger
from weshop.ledger.repository import order_with_lines
from weshop.ledger.targets import Part, split
from weshop.orders import service as orders
from weshop.orders.models import Order, OrderStatus
from weshop.orders.state import ORDER_MACHINE
from weshop.payments import repository as repo
from weshop.payments.accounts import sub_mchid_for
from weshop.payments.models import (
    NotificationOutcome,
    Payment,
    PaymentNotification,
    PaymentStatus,
    Refund,
    RefundPart,
    RefundStatus,
)
from weshop.payments.provider import (
    PaymentNotice,
    PaymentProvider,
    ProviderRefund,
    ProviderRefundStatus,
    RefundUpdate,
)
from weshop.payments.state import PAYMENT_MACHINE, REFUND_MACHINE

log = structlog.get_logger(__name__)

SEND_REFUND = "payments.send_refund"
QUERY_PAYMENT = "payments.query_payment"
QUERY_REFUND = "payments.query_refund"
RETURN_SUBSIDY = "payments.return_subsidy"
# When to ask again about a refund the provider is still processing (WeChat Pay takes from
# seconds to days): quickly at first, then daily; after the last, people must look.
REFUND_QUERY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    *(timedelta(days=1),) * 14,
)
# When to ask the provider about a payment whose callback has not come: soon after it
# starts, and again just after the order's payment window closed (and the order, if
# unpaid, was cancelled: money taken in that race then goes back).
FIRST_QUERY_AFTER = timedelta(minutes=5)
LAST_QUERY_AFTER_DEADLINE = timedelta(minutes=1)
# Orders whose money staff may give back in part; a cancelled one was refunded in full.
REFUNDABLE_ORDER_STATUSES = frozenset(
    {OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.COMPLETED}
)


def _number(prefix: str) -> str:
    return f"{prefix}{utcnow():%Y%m%d%H%M%S}{secrets.token_hex(5).upper()}"


async def start_payment(
    session: AsyncSession,
    user: User,
    order_id: int,
    provider: PaymentProvider,
    payer_ip: str | None = None,
) -> Payment:
    """Open (or reopen) the payment of an unpaid order and return its cashier URL; queue
    the queries that find it paid should its callback never arrive."""
    order = await orders.shopper_order(session, user, order_id)
    ORDER_MACHINE.target(order.status, "pay")
    if utcnow() >= order.pay_deadline:
        raise Conflict("the payment window of this order has passed", code="payment_window_passed")
    for payment in await repo.pending_payments(session, order.id):
        if payment.provider == provider.name and payment.amount_fen == order.payable_fen:
            return payment
    sub_mchid = await sub_mchid_for(session, order.store_id, provider)
    payment = Payment(
        store_id=order.store_id,
        order_id=order.id,
        user_id=user.id,
        provider=provider.name,
        out_trade_no=_number("P"),
        amount_fen=order.payable_fen,
        currency=order.currency,
    )
    created = await provider.create_payment(
        out_trade_no=payment.out_trade_no,
        amount_fen=payment.amount_fen,
        description=f"WeShop order {order.order_no}",
        expires_at=order.pay_deadline,
        sub_mchid=sub_mchid,
        payer_ip=payer_ip,
    )
    payment.cashier_url = created.cashier_url
    session.add(payment)
    await session.flush()
    for when, due in (
        ("soon", utcnow() + FIRST_QUERY_AFTER),
        ("deadline", order.pay_deadline + LAST_QUERY_AFTER_DEADLINE),
    ):
        emit(
            session,
            QUERY_PAYMENT,
            {"payment_id": payment.id},
            due_at=due,
            store_id=payment.store_id,
            dedupe_key=f"{QUERY_PAYMENT}:{payment.id}:{when}",
        )
    return payment


async def query_payment(
    session: AsyncSession, payment_id: int, providers: dict[str, PaymentProvider]
) -> NotificationOutcome | None:
    """Ask the provider about a payment not known here to have succeeded; a success found
    so is applied exactly as its callback would be (stored once per transaction,
    compare-and-set). A payment closed here may have been paid just before: its money
    then goes back, as when a late callback says so."""
    payment = await session.get(Payment, payment_id)
    if payment is None or payment.status == PaymentStatus.SUCCEEDED:
        return None
    provider = providers[payment.provider]
    sub_mchid = await sub_mchid_for(session, payment.store_id, provider)
    notice = await provider.query_payment(payment.out_trade_no, sub_mchid=sub_mchid)
    if notice is None:
        return None
    return await apply_payment_notice(session, provider.name, notice)


async def _store_notification(
    session: AsyncSession, provider: str, notice: PaymentNotice
) -> PaymentNotification | None:
    """Insert the notification; None when this provider already sent this one."""
    record = PaymentNotification(
        provider=provider,
        notification_id=notice.notification_id,
        out_trade_no=notice.out_trade_no,
        amount_fen=notice.amount_fen,
        outcome=NotificationOutcome.APPLIED,
        payload=notice.raw,
    )
    try:
        async with session.begin_nested():
            session.add(record)
            await session.flush()
    except IntegrityError:
        return None
    return record


async def apply_payment_notice(
    session: AsyncSession, provider: str, notice: PaymentNotice
) -> NotificationOutcome:
    record = await _store_notification(session, provider, notice)
    if record is None:
        log.info("payments.notification_replayed", notification_id=notice.notification_id)
        return NotificationOutcome.ALREADY_APPLIED
    outcome, detail = await _apply(session, provider, notice)
    record.outcome, record.detail = outcome, detail
    level = (
        log.info
        if outcome in (NotificationOutcome.APPLIED, NotificationOutcome.ALREADY_APPLIED)
        else log.warning
    )
    level(
        "payments.notification",
        outcome=str(outcome),
        detail=detail,
        out_trade_no=notice.out_trade_no,
    )
    return outcome


async def _apply(
    session: AsyncSession, provider: str, notice: PaymentNotice
) -> tuple[NotificationOutcome, str]:
    payment = await repo.payment_by_trade_no(session, provider, notice.out_trade_no)
    if payment is None:
        return NotificationOutcome.UNKNOWN_PAYMENT, "no payment with this out_trade_no"
    if notice.amount_fen != payment.amount_fen:
        return (
            NotificationOutcome.AMOUNT_MISMATCH,
            f"expected {payment.amount_fen}, got {notice.amount_fen}",
        )
    if payment.status == PaymentStatus.SUCCEEDED:
        return NotificationOutcome.ALREADY_APPLIED, "payment already succeeded"
    await PAYMENT_MACHINE.apply(
        session,
        payment,
        "succeed",
        paid_at=notice.paid_at,
        provider_transaction_id=notice.transaction_id,
    )
    accepted = await orders.mark_paid(session, payment.order_id, payment.amount_fen, notice.paid_at)
    await ledger.record_payment(session, payment, accepted=accepted)
    if accepted:
        return NotificationOutcome.APPLIED, ""
    # Paid after the order was cancelled or expired: the money goes straight back.
    await request_refund(session, payment, payment.amount_fen, "paid after the order was closed")
    return NotificationOutcome.REFUND_STARTED, "order no longer awaited payment"


async def refundable_parts(session: AsyncSession, payment: Payment) -> dict[Part, int]:
    """What is left to refund of each part of the payment (its order's lines, and shipping
    under None): the payment spread over the parts, less every refund asked for that has
    not failed. Locks the payment first, so two refunds never both take the last fen."""
    await session.execute(select(Payment.id).where(Payment.id == payment.id).with_for_update())
    order, lines = await order_with_lines(session, payment.order_id)
    paid = split(payment.amount_fen, ledger.order_payable(order, lines))
    asked = await repo.requested_refund_parts(session, payment.id)
    return {part: amount - asked.get(part, 0) for part, amount in paid.items()}


async def _record_refund(
    session: AsyncSession, payment: Payment, parts: dict[Part, int], reason: str
) -> Refund:
    refund = Refund(
        store_id=payment.store_id,
        order_id=payment.order_id,
        payment_id=payment.id,
        out_refund_no=_number("R"),
        amount_fen=sum(parts.values()),
        reason=reason[:200],
    )
    session.add(refund)
    await session.flush()
    session.add_all(
        RefundPart(
            refund_id=refund.id,
            store_id=payment.store_id,
            order_id=payment.order_id,
            order_line_id=part,
            amount_fen=amount,
        )
        for part, amount in parts.items()
        if amount
    )
    emit(session, SEND_REFUND, {"refund_id": refund.id}, store_id=payment.store_id)
    return refund


async def request_refund(
    session: AsyncSession, payment: Payment, amount_fen: int, reason: str
) -> Refund:
    """Record a refund of ``amount_fen``, spread over the parts in proportion to what is left
    of each, and queue its sending; the provider is called after commit."""
    left = await refundable_parts(session, payment)
    if not 0 < amount_fen <= sum(left.values()):
        raise Conflict(
            "the refund is more than is left to refund of this payment",
            code="refund_exceeds_payment",
            details={"left_fen": sum(left.values())},
        )
    return await _record_refund(session, payment, split(amount_fen, left), reason)


async def refund_order(
    session: AsyncSession, order_id: int, amount_fen: int, reason: str
) -> Refund | None:
    """Give back up to ``amount_fen`` of the order's payment: no more than is left of it
    (a cancellation after partial refunds returns the rest)."""
    payment = await repo.succeeded_payment(session, order_id)
    if payment is None:
        log.error("payments.refund_without_payment", order_id=order_id)
        return None
    left = await refundable_parts(session, payment)
    amount = min(amount_fen, sum(left.values()))
    if amount <= 0:
        log.warning("payments.nothing_left_to_refund", order_id=order_id)
        return None
    return await _record_refund(session, payment, split(amount, left), reason)


async def refund_lines(
    session: AsyncSession, order: Order, amounts: dict[int, int], reason: str
) -> Refund:
    """Give back part of a paid order, by line (staff): each amount at most the line's
    payable less what was refunded, or is being refunded, of it. The refund is sent to the
    provider after commit, with the same out_refund_no on every retry."""
    if order.status not in REFUNDABLE_ORDER_STATUSES:
        raise Conflict(f"a {order.status} order cannot be refunded", code="order_not_refundable")
    payment = await repo.succeeded_payment(session, order.id)
    if payment is None:
        raise Conflict("the order has no payment to refund", code="order_not_refundable")
    if not amounts or any(amount <= 0 for amount in amounts.values()):
        raise InvalidInput(
            "name each line to refund with a positive amount", code="invalid_refund_amount"
        )
    left = await refundable_parts(session, payment)
    for line_id, amount in amounts.items():
        if line_id is None or line_id not in left:
            raise InvalidInput(
                "an item is not a line of this order",
                code="unknown_order_line",
                details={"order_line_id": line_id},
            )
        if amount > left[line_id]:
            raise Conflict(
                "more than is left to refund of a line",
                code="refund_exceeds_line",
                details={"order_line_id": line_id, "left_fen": left[line_id]},
            )
    parts: dict[Part, int] = dict(amounts)
    return await _record_refund(session, payment, parts, reason)


async def refund_succeeded(session: AsyncSession, refund: Refund, provider_refund_id: str) -> None:
    """The provider paid the money back: the refund, its order and the ledger record it."""
    await REFUND_MACHINE.apply(
        session, refund, "succeed", provider_refund_id=provider_refund_id, succeeded_at=utcnow()
    )
    await orders.record_refund(session, refund.order_id, refund.amount_fen)
    await ledger.record_refund(session, refund)
    payment = await session.get_one(Payment, refund.payment_id)
    if payment.subsidy_paid_fen:
        emit(
            session,
            RETURN_SUBSIDY,
            {"refund_id": refund.id},
            store_id=refund.store_id,
            dedupe_key=f"{RETURN_SUBSIDY}:{refund.id}",
        )


async def refund_store_order(
    session: AsyncSession, scope: StoreScope, order_id: int, amounts: dict[int, int], reason: str
) -> Refund:
    """Staff give back part of one of their store's orders (see :func:`refund_lines`)."""
    order = await orders.store_order(session, scope, order_id)
    return await refund_lines(session, order, amounts, reason)


async def store_order_refunds(
    session: AsyncSession, scope: StoreScope, order_id: int
) -> list[Refund]:
    order = await orders.store_order(session, scope, order_id)
    return await repo.order_refunds(session, order.id)


async def parts_of_refunds(
    session: AsyncSession, refund_ids: list[int]
) -> dict[int, list[RefundPart]]:
    found: dict[int, list[RefundPart]] = {}
    for part in await repo.parts_of(session, refund_ids):
        found.setdefault(part.refund_id, []).append(part)
    return found


async def send_refund(
    session: AsyncSession, refund_id: int, providers: dict[str, PaymentProvider]
) -> None:
    """Ask the provider to pay back; the same out_refund_no makes a retry harmless. A
    refund the provider is still processing is asked about later (deadline rows)."""
    refund = await repo.refund_by_id(session, refund_id)
    if refund is None or refund.status != RefundStatus.PENDING:
        return
    payment = await session.get_one(Payment, refund.payment_id)
    provider = providers[payment.provider]
    sub_mchid = await sub_mchid_for(session, payment.store_id, provider)
    await _return_fee_before_refund(session, refund, payment, provider, sub_mchid)
    result = await provider.refund(
        out_trade_no=payment.out_trade_no,
        out_refund_no=refund.out_refund_no,
        amount_fen=refund.amount_fen,
        total_fen=payment.amount_fen,
        reason=refund.reason,
        sub_mchid=sub_mchid,
    )
    await _take_refund_answer(session, refund, result, asked=0)


async def query_refund(
    session: AsyncSession, refund_id: int, asked: int, providers: dict[str, PaymentProvider]
) -> None:
    """Ask the provider how a refund it was processing stands."""
    refund = await repo.refund_by_id(session, refund_id)
    if refund is None or refund.status != RefundStatus.PENDING:
        return
    payment = await session.get_one(Payment, refund.payment_id)
    provider = providers[payment.provider]
    sub_mchid = await sub_mchid_for(session, payment.store_id, provider)
    result = await provider.query_refund(refund.out_refund_no, sub_mchid=sub_mchid)
    await _take_refund_answer(session, refund, result, asked=asked)


async def apply_refund_update(session: AsyncSession, provider: str, update: RefundUpdate) -> str:
    """A verified refund callback: applied when it is news, under the refund's
    compare-and-set; a replay, an unknown refund or a wrong amount changes nothing."""
    refund = await repo.refund_by_number(session, update.out_refund_no)
    if refund is None:
        log.warning("payments.refund_notice_unknown", provider=provider)
        return "unknown_refund"
    if refund.amount_fen != update.amount_fen:
        log.warning("payments.refund_notice_amount_mismatch", refund_id=refund.id)
        return "amount_mismatch"
    if refund.status != RefundStatus.PENDING:
        log.info("payments.refund_notice_replayed", refund_id=refund.id)
        return "already_applied"
    await _take_refund_answer(session, refund, update.refund, asked=None)
    return "applied"


async def _take_refund_answer(
    session: AsyncSession, refund: Refund, result: ProviderRefund, *, asked: int | None
) -> None:
    """Record the provider's answer; ``asked`` counts the queries so far (None: a callback,
    which schedules nothing, as the queries already in place go on)."""
    if result.status == ProviderRefundStatus.SUCCEEDED:
        await refund_succeeded(session, refund, result.refund_id)
    elif result.status == ProviderRefundStatus.FAILED:
        await REFUND_MACHINE.apply(
            session, refund, "fail", failure_reason=result.failure_reason[:200]
        )
        log.error("payments.refund_failed", refund_id=refund.id, reason=result.failure_reason)
    elif asked is not None and asked < len(REFUND_QUERY_DELAYS):
        emit(
            session,
            QUERY_REFUND,
            {"refund_id": refund.id, "asked": asked + 1},
            due_at=utcnow() + REFUND_QUERY_DELAYS[asked],
            store_id=refund.store_id,
            dedupe_key=f"{QUERY_REFUND}:{refund.id}:{asked + 1}",
        )
    elif asked is not None:
        log.error("payments.refund_stuck", refund_id=refund.id, asked=asked)


async def _return_fee_before_refund(
    session: AsyncSession,
    refund: Refund,
    payment: Payment,
    provider: PaymentProvider,
    sub_mchid: str | None,
) -> None:
    """A refund of a settled order takes back part of the platform's fee: the platform
    returns that part of its split to the store first, so that the store can pay the refund
    and the provider's balances stay the ledger's (no 二清 either way)."""
    if not provider.partner or not await ledger.is_settled(session, refund.order_id):
        return
    if payment.fee_split_fen is None:
        # Settled here, not yet at the provider: the refund waits for that (worker retry).
        raise RuntimeError("the order's settlement has not reached the provider yet")
    await session.execute(select(Payment.id).where(Payment.id == payment.id).with_for_update())
    asked = await repo.requested_refund_parts(session, payment.id)
    keeps, _ = await ledger.platform_targets_after_refunds(session, refund.order_id, asked)
    # A retry after a crash computes the same amount under the same out_return_no.
    owed = payment.fee_split_fen - await repo.fee_returned(session, payment.id, refund.id) - keeps
    if owed <= 0:
        return
    order = await session.get_one(Order, refund.order_id)
    await provider.return_fee(
        out_order_no=settlement_order_no(order),
        out_return_no=f"F{refund.out_refund_no}",
        amount_fen=owed,
        sub_mchid=sub_mchid,
    )
    refund.fee_returned_fen = owed


async def close_open_payments(
    session: AsyncSession, order_id: int, provider_for: dict[str, PaymentProvider], now: datetime
) -> None:
    """An order was cancelled: close its open payments so nobody pays them."""
    for payment in await repo.pending_payments(session, order_id):
        provider = provider_for[payment.provider]
        sub_mchid = await sub_mchid_for(session, payment.store_id, provider)
        await provider.close_payment(payment.out_trade_no, sub_mchid=sub_mchid)
        await PAYMENT_MACHINE.apply(session, payment, "close", closed_at=now)


def settlement_order_no(order: Order) -> str:
    """The provider's out-order-no of an order's settlement: one per order, so a repeat of
    the instruction is the same instruction."""
    return f"S{order.order_no}"


async def return_subsidy(
    session: AsyncSession, refund_id: int, providers: dict[str, PaymentProvider]
) -> None:
    """After a refund of an order whose platform subsidy was paid in at the provider: take
    back the part the refund took away, so that the store keeps what the ledger says."""
    refund = await session.get_one(Refund, refund_id)
    payment = await session.get_one(Payment, refund.payment_id)
    if not payment.subsidy_paid_fen or refund.provider_refund_id is None:
        return
    await session.execute(select(Payment.id).where(Payment.id == payment.id).with_for_update())
    asked = await repo.requested_refund_parts(session, payment.id)
    _, keeps = await ledger.platform_targets_after_refunds(session, refund.order_id, asked)
    taken = await repo.subsidy_returned(session, payment.id, refund.id)
    owed = payment.subsidy_paid_fen - taken - keeps
    if owed <= 0:
        return
    provider = providers[payment.provider]
    assert payment.provider_transaction_id is not None
    await provider.return_subsidy(
        out_order_no=f"B{refund.out_refund_no}",
        transaction_id=payment.provider_transaction_id,
        refund_id=refund.provider_refund_id,
        amount_fen=owed,
        sub_mchid=await sub_mchid_for(session, payment.store_id, provider),
    )
    refund.subsidy_returned_fen = owed


async def settle_at_provider(
    session: AsyncSession,
    order_id: int,
    platform_fee_fen: int,
    platform_subsidy_fen: int,
    providers: dict[str, PaymentProvider],
) -> None:
    """The ledger settled an order: instruct the provider to move the money it mirrors —
    the discounts the platform funded paid into the order, the fee to the platform, the
    rest released to the store (subsidy and profit sharing: no 二清)."""
    payment = await repo.succeeded_payment(session, order_id)
    order = await session.get_one(Order, order_id)
    if payment is None or payment.provider_transaction_id is None:
        log.error("payments.settlement_without_payment", order_id=order_id)
        return
    if order.refunded_fen >= payment.amount_fen:
        return  # all of it went back to the shopper: nothing is left to release
    if payment.fee_split_fen is not None:
        # Settled again after a reversal in the ledger: the provider released the money
        # once and cannot do it twice. Different figures need a person to correct them.
        if (payment.fee_split_fen, payment.subsidy_paid_fen) != (
            platform_fee_fen,
            platform_subsidy_fen,
        ):
            log.error("payments.resettlement_differs", order_id=order_id)
        return
    provider = providers[payment.provider]
    await provider.settle(
        transaction_id=payment.provider_transaction_id,
        out_order_no=settlement_order_no(order),
        platform_fee_fen=platform_fee_fen,
        platform_subsidy_fen=platform_subsidy_fen,
        sub_mchid=await sub_mchid_for(session, payment.store_id, provider),
    )
    payment.fee_split_fen = platform_fee_fen if provider.partner else 0
    payment.subsidy_paid_fen = platform_subsidy_fen if provider.partner else 0
