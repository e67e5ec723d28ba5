"""Payments: start one for an order, apply the provider's verified callbacks, close the open
ones of a cancelled order. (Refunds are in ``refunds``, settlement in ``settlement``.)

A callback is stored once (unique per provider and notification id) and applied under a
compare-and-set, so a replay changes nothing. A succeeded payment is announced in its own
transaction (:class:`~weshop.payments.events.PaymentSucceeded`): the ledger posts it there.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.core.clock import utcnow
from weshop.core.config import Settings
from weshop.core.errors import Conflict, IllegalTransition
from weshop.core.events import announce
from weshop.core.outbox import emit
from weshop.orders import service as orders
from weshop.orders.models import Order
from weshop.orders.state import ORDER_MACHINE
from weshop.payments import repository as repo
from weshop.payments.combined_parts import close_combined
from weshop.payments.descriptions import order_description
from weshop.payments.events import PaymentSucceeded
from weshop.payments.in_app import in_app_payer
from weshop.payments.models import (
    IN_APP_CHANNELS,
    NO_PROVIDER,
    NotificationOutcome,
    Payment,
    PaymentChannel,
    PaymentStatus,
)
from weshop.payments.provider import (
    ChannelUnsupported,
    CreatedPayment,
    InAppPayer,
    PaymentNotice,
    PaymentProvider,
)
from weshop.payments.refunds import out_number, request_refund
from weshop.payments.state import PAYMENT_MACHINE
from weshop.payments.sub_merchants import refuse_direct_mode_for_many_stores, sub_mchid_for
from weshop.stores.models import Store

log = structlog.get_logger(__name__)

QUERY_PAYMENT = "payments.query_payment"
# When to ask the provider about a payment whose callback has not come: soon after it
# starts, and again just after the order's payment window closed (and the order, if
# unpaid, was cancelled: money taken in that race then goes back).
FIRST_QUERY_AFTER = timedelta(minutes=5)
LAST_QUERY_AFTER_DEADLINE = timedelta(minutes=1)
# The states a payment can succeed from, by its transition table.
SUCCEED_FROM = [state for (state, action) in PAYMENT_MACHINE.transitions if action == "succeed"]


def usable_channel(provider: PaymentProvider, channel: PaymentChannel | None) -> PaymentChannel:
    """The channel asked for, or the provider's default; one the provider cannot take is
    refused (409 ``payment_channel_unsupported``)."""
    chosen = channel or provider.default_channel
    if chosen not in provider.channels:
        raise ChannelUnsupported(
            f"the {provider.name} provider cannot take {chosen} payments",
            details={"channel": str(chosen), "channels": sorted(provider.channels)},
        )
    return chosen


async def start_payment(
    session: AsyncSession,
    user: User,
    order_id: int,
    provider: PaymentProvider,
    payer_ip: str | None = None,
    *,
    channel: PaymentChannel | None = None,
    settings: Settings | None = None,
) -> Payment:
    """Open (or reopen) the payment of an unpaid order in ``channel`` (the provider's default
    when None) and return it: its cashier URL, or for a payment inside WeChat its prepay id
    (``settings`` name the apps); queue the queries that find it paid should its callback
    never arrive. Nothing is written when the payment cannot be made."""
    order = await orders.shopper_order(session, user, order_id)
    ORDER_MACHINE.target(order.status, "pay")
    if utcnow() >= order.pay_deadline:
        raise Conflict("the payment window of this order has passed", code="payment_window_passed")
    if order.payable_fen == 0:
        return await _pay_nothing(session, order, user, channel or provider.default_channel)
    await refuse_direct_mode_for_many_stores(session, provider)
    channel = usable_channel(provider, channel)
    payer = None
    if channel in IN_APP_CHANNELS:
        if settings is None:
            raise ValueError("an in-app payment needs the settings that name the apps")
        payer = await in_app_payer(session, settings, user.id, order.store_id, channel)
    sub_mchid = await sub_mchid_for(session, order.store_id, provider)
    for payment in await repo.pending_payments(session, order.id):
        if payment.combined_payment_id is not None and payment.provider == provider.name:
            # Paid alone now: the checkout's combined payment closes (all its parts close
            # together); its other orders stay payable. (One at another provider stays
            # open: paid too, the order's second payment is refunded, as any late one.)
            await close_combined(session, payment.combined_payment_id, provider, utcnow())
    for payment in await repo.pending_payments(session, order.id):
        if (
            payment.provider == provider.name
            and payment.amount_fen == order.payable_fen
            and payment.channel == channel
            and payment.appid == (payer.appid if payer else None)
        ):
            return await _with_fresh_prepay(session, payment, order, provider, sub_mchid, payer)
    payment = Payment(
        store_id=order.store_id,
        order_id=order.id,
        user_id=user.id,
        provider=provider.name,
        out_trade_no=out_number("P"),
        amount_fen=order.payable_fen,
        currency=order.currency,
        channel=channel,
        appid=payer.appid if payer else None,
    )
    created = await _create_at_provider(
        session, payment, order, provider, sub_mchid, payer_ip, payer
    )
    payment.cashier_url = created.cashier_url
    payment.prepay_id = created.prepay_id
    payment.prepay_expires_at = created.prepay_expires_at
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


async def _create_at_provider(
    session: AsyncSession,
    payment: Payment,
    order: Order,
    provider: PaymentProvider,
    sub_mchid: str | None,
    payer_ip: str | None,
    payer: InAppPayer | None,
) -> CreatedPayment:
    # The same parameters each time: asked again, the provider answers the same payment.
    store = await session.get(Store, order.store_id)
    assert store is not None
    return await provider.create_payment(
        out_trade_no=payment.out_trade_no,
        amount_fen=payment.amount_fen,
        description=order_description(store.name, order.order_no),
        expires_at=order.pay_deadline,
        sub_mchid=sub_mchid,
        payer_ip=payer_ip,
        channel=payment.channel,
        payer=payer,
    )


async def _with_fresh_prepay(
    session: AsyncSession,
    payment: Payment,
    order: Order,
    provider: PaymentProvider,
    sub_mchid: str | None,
    payer: InAppPayer | None,
) -> Payment:
    """An open payment asked for again: an in-app one whose prepay id has expired is placed
    again under the same number, for which the provider answers a fresh prepay id."""
    expires = payment.prepay_expires_at
    if payer is None or (expires is not None and utcnow() < expires):
        return payment
    created = await _create_at_provider(session, payment, order, provider, sub_mchid, None, payer)
    payment.prepay_id = created.prepay_id
    payment.prepay_expires_at = created.prepay_expires_at
    return payment


def pay_params(provider: PaymentProvider, payment: Payment) -> dict[str, str] | None:
    """What the payer's WeChat client is handed to pay an in-app payment (signed now; the
    same prepay id each time while it lasts); None for a payment paid elsewhere."""
    if payment.prepay_id is None or payment.appid is None:
        return None
    return provider.pay_params(payment.appid, payment.prepay_id)


async def _pay_nothing(
    session: AsyncSession, order: Order, user: User, channel: PaymentChannel
) -> Payment:
    """An order that costs nothing is paid at once, without a provider: a succeeded payment
    of 0 fen (provider ``none``, no transaction) and the ledger's entry that says so. No
    money moves, so no callback, query, refund or settlement ever reaches a provider."""
    now = utcnow()
    out_trade_no = out_number("P")
    payment = Payment(
        store_id=order.store_id,
        order_id=order.id,
        user_id=user.id,
        provider=NO_PROVIDER,
        out_trade_no=out_trade_no,
        amount_fen=0,
        currency=order.currency,
        cashier_url=return_path(out_trade_no),
        channel=channel,
    )
    session.add(payment)
    await session.flush()
    await PAYMENT_MACHINE.apply(session, payment, "succeed", paid_at=now)
    accepted = await orders.mark_paid(session, order.id, 0, now)
    await announce(session, PaymentSucceeded(payment, accepted=accepted))
    if accepted:
        await orders.sell_paid_stock(session, order.id)
    log.info("payments.paid_without_provider", order_id=order.id, out_trade_no=out_trade_no)
    return payment


def return_path(out_trade_no: str) -> str:
    """The storefront's page a payer comes back to from a cashier."""
    return f"/pay/return/{out_trade_no}"


def combined_return_path(combine_out_trade_no: str) -> str:
    """...and from the cashier of a combined payment (a checkout's orders of several stores)."""
    return f"/pay/return/combined/{combine_out_trade_no}"


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


async def apply_payment_notice(
    session: AsyncSession, provider: str, notice: PaymentNotice
) -> NotificationOutcome:
    notification_id = await repo.insert_notification(
        session,
        {
            "provider": provider,
            "notification_id": notice.notification_id,
            "out_trade_no": notice.out_trade_no,
            "amount_fen": notice.amount_fen,
            "outcome": NotificationOutcome.APPLIED,
            "detail": "",
            "payload": notice.raw,
            "received_at": utcnow(),
        },
    )
    if notification_id is None:
        log.info("payments.notification_replayed", notification_id=notice.notification_id)
        return NotificationOutcome.ALREADY_APPLIED
    outcome, detail = await _apply(session, provider, notice)
    if (outcome, detail) != (NotificationOutcome.APPLIED, ""):
        await repo.set_notification_outcome(session, notification_id, outcome, detail)
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
    # The usual case in one statement: the awaited payment, of this amount, succeeds.
    payment = await repo.succeed_payment(
        session,
        provider,
        notice.out_trade_no,
        notice.amount_fen,
        SUCCEED_FROM,
        {"paid_at": notice.paid_at, "provider_transaction_id": notice.transaction_id},
    )
    if payment is None:
        return await _not_applied(session, provider, notice)
    accepted = await orders.mark_paid(session, payment.order_id, payment.amount_fen, notice.paid_at)
    await announce(session, PaymentSucceeded(payment, accepted=accepted))
    if accepted:
        # Last: the stock and sales rows are shared by all orders of a product (see there).
        await orders.sell_paid_stock(session, payment.order_id)
        return NotificationOutcome.APPLIED, ""
    # Paid after the order was cancelled or expired: the money goes straight back.
    await request_refund(session, payment, payment.amount_fen, "paid after the order was closed")
    return NotificationOutcome.REFUND_STARTED, "order no longer awaited payment"


async def _not_applied(
    session: AsyncSession, provider: str, notice: PaymentNotice
) -> tuple[NotificationOutcome, str]:
    """Why a notice's payment did not succeed: unknown, another amount, or succeeded
    already; any other state is an illegal transition."""
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
    PAYMENT_MACHINE.target(payment.status, "succeed")  # IllegalTransition from this state
    # It could, yet did not a moment ago: it changed meanwhile, as a lost compare-and-set.
    raise IllegalTransition(
        f"the payment changed meanwhile; it is now {payment.status}",
        details={"state": str(payment.status), "action": "succeed"},
    )


async def close_open_payments(
    session: AsyncSession, order_id: int, provider_for: dict[str, PaymentProvider], now: datetime
) -> None:
    """An order was cancelled: close its open payments so nobody pays them. A part of a
    combined payment closes the whole combined payment (its parts close together at the
    provider); the checkout's other orders stay payable."""
    for payment in await repo.pending_payments(session, order_id):
        provider = provider_for[payment.provider]
        if payment.combined_payment_id is not None:
            await close_combined(session, payment.combined_payment_id, provider, now)
            continue
        sub_mchid = await sub_mchid_for(session, payment.store_id, provider)
        await provider.close_payment(payment.out_trade_no, sub_mchid=sub_mchid)
        await PAYMENT_MACHINE.apply(session, payment, "close", closed_at=now)
