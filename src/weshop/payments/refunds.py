"""Refunds: asked for by line (or spread over what is left of each line), sent to the
provider by the worker after the deciding transaction has committed, idempotent by
``out_refund_no``; completed by the provider's answer, its callback or a later query. A
refund of a settled order first has the platform return its share of the fee, and after it
takes back its share of the subsidy (partner mode), so the provider keeps what the ledger
says."""

from __future__ import annotations

import secrets
from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.clock import utcnow
from weshop.core.db import lock_row
from weshop.core.errors import Conflict, InvalidInput
from weshop.core.events import announce, ask
from weshop.core.outbox import emit
from weshop.core.tenancy import StoreScope
from weshop.orders import service as orders
from weshop.orders.models import Order, OrderStatus
from weshop.orders.parts import Part, left_to_refund, split
from weshop.payments import repository as repo
from weshop.payments.events import (
    FreeOrderCancelled,
    IsOrderSettled,
    PlatformSharesAfterRefunds,
    RefundSucceeded,
)
from weshop.payments.models import (
    Payment,
    Refund,
    RefundPart,
    RefundStatus,
)
from weshop.payments.provider import (
    PaymentProvider,
    ProviderRefund,
    ProviderRefundStatus,
    RefundUpdate,
)
from weshop.payments.provider_settlement import settlement_order_no
from weshop.payments.state import REFUND_MACHINE
from weshop.payments.sub_merchants import sub_mchid_for

log = structlog.get_logger(__name__)

SEND_REFUND = "payments.send_refund"
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
# Orders whose money staff may give back in part; a cancelled one was refunded in full.
REFUNDABLE_ORDER_STATUSES = frozenset(
    {OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.COMPLETED}
)


# The platform's fee given back before a refund of a settled order: one return per refund.
FEE_RETURN_PREFIX = "F"


def fee_return_no(out_refund_no: str) -> str:
    return f"{FEE_RETURN_PREFIX}{out_refund_no}"


def out_number(prefix: str) -> str:
    """A merchant-side number for the provider (out_trade_no, out_refund_no): unique, sortable."""
    return f"{prefix}{utcnow():%Y%m%d%H%M%S}{secrets.token_hex(5).upper()}"


async def parts_left(session: AsyncSession, payment: Payment) -> dict[Part, int]:
    """What is left to refund of each part of the payment (its order's lines, and shipping
    under None): the payment spread over the parts, less every refund asked for that has
    not failed. Reads only: a refund takes the payment's lock first (:func:`refundable_parts`).
    """
    asked = await repo.requested_refund_parts(session, payment.id)
    return await left_to_refund(session, payment.order_id, payment.amount_fen, asked)


async def refundable_parts(session: AsyncSession, payment: Payment) -> dict[Part, int]:
    """:func:`parts_left` under the payment's lock, so two refunds never both take the last
    fen."""
    await lock_row(session, Payment, payment.id)
    return await parts_left(session, payment)


async def order_left_to_refund(
    session: AsyncSession, order_id: int, *, lock: bool = False
) -> dict[Part, int]:
    """What is left to refund of each part of the order's payment (nothing when it has no
    payment); with ``lock``, under the payment's lock (see :func:`refundable_parts`)."""
    payment = await repo.succeeded_payment(session, order_id)
    if payment is None:
        return {}
    return await (refundable_parts if lock else parts_left)(session, payment)


async def _record_refund(
    session: AsyncSession, payment: Payment, parts: dict[Part, int], reason: str
) -> Refund:
    refund = Refund(
        store_id=payment.store_id,
        order_id=payment.order_id,
        payment_id=payment.id,
        out_refund_no=out_number("R"),
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


async def refund_cancelled_order(
    session: AsyncSession, order_id: int, amount_fen: int
) -> Refund | None:
    """Give back up to ``amount_fen`` of a cancelled order's payment, with the order's cancel
    reason: no more than is left of it (a cancellation after partial refunds returns the
    rest)."""
    order = await session.get_one(Order, order_id)
    reason = order.cancel_reason or "order cancelled"
    payment = await repo.succeeded_payment(session, order_id)
    if payment is None:
        log.error("payments.refund_without_payment", order_id=order_id)
        return None
    if payment.amount_fen == 0:
        # The order cost nothing: nothing to give back, but a subsidy the platform owed goes.
        await announce(session, FreeOrderCancelled(order_id))
        return None
    left = await refundable_parts(session, payment)
    amount = min(amount_fen, sum(left.values()))
    if amount <= 0:
        log.warning("payments.nothing_left_to_refund", order_id=order_id)
        return None
    return await _record_refund(session, payment, split(amount, left), reason)


async def refund_lines(
    session: AsyncSession,
    order: Order,
    amounts: dict[int, int],
    reason: str,
    *,
    shipping_fen: int = 0,
) -> Refund:
    """Give back part of a paid order, by line (staff, or an after-sales request): each
    amount at most the line's payable less what was refunded, or is being refunded, of it,
    checked under the payment's lock; ``shipping_fen`` likewise of the shipping. The refund
    is sent to the provider after commit, with the same out_refund_no on every retry."""
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
    if shipping_fen:
        if shipping_fen > left.get(None, 0):
            raise Conflict(
                "more than is left to refund of the shipping",
                code="refund_exceeds_shipping",
                details={"left_fen": left.get(None, 0)},
            )
        parts[None] = shipping_fen
    return await _record_refund(session, payment, parts, reason)


async def refund_succeeded(session: AsyncSession, refund: Refund, provider_refund_id: str) -> None:
    """The provider paid the money back: the refund, its order and the ledger record it."""
    await REFUND_MACHINE.apply(
        session, refund, "succeed", provider_refund_id=provider_refund_id, succeeded_at=utcnow()
    )
    await orders.record_refund(session, refund.order_id, refund.amount_fen, refund.id)
    await announce(session, RefundSucceeded(refund))
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
    if not provider.partner or not await ask(session, IsOrderSettled(refund.order_id)):
        return
    if payment.fee_split_fen is None:
        # Settled here, not yet at the provider: the refund waits for that (worker retry).
        raise RuntimeError("the order's settlement has not reached the provider yet")
    await lock_row(session, Payment, payment.id)
    asked = await repo.requested_refund_parts(session, payment.id)
    keeps, _ = await ask(session, PlatformSharesAfterRefunds(refund.order_id, asked))
    # A retry after a crash computes the same amount under the same out_return_no.
    owed = payment.fee_split_fen - await repo.fee_returned(session, payment.id, refund.id) - keeps
    if owed <= 0:
        return
    order = await session.get_one(Order, refund.order_id)
    await provider.return_fee(
        out_order_no=settlement_order_no(order),
        out_return_no=fee_return_no(refund.out_refund_no),
        amount_fen=owed,
        sub_mchid=sub_mchid,
    )
    refund.fee_returned_fen = owed


async def return_subsidy(
    session: AsyncSession, refund_id: int, providers: dict[str, PaymentProvider]
) -> None:
    """After a refund of an order whose platform subsidy was paid in at the provider: take
    back the part the refund took away, so that the store keeps what the ledger says."""
    refund = await session.get_one(Refund, refund_id)
    payment = await session.get_one(Payment, refund.payment_id)
    if not payment.subsidy_paid_fen or refund.provider_refund_id is None:
        return
    await lock_row(session, Payment, payment.id)
    asked = await repo.requested_refund_parts(session, payment.id)
    _, keeps = await ask(session, PlatformSharesAfterRefunds(refund.order_id, asked))
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
