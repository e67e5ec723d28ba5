"""Paying a whole checkout at once: the unpaid orders of one checkout (one per store) are
paid by one payment of the shopper (WeChat Pay's 合单支付 in partner mode; one sandbox
payment), whose parts are the orders' own payments.

- Orders of 0 fen are paid at once, without the provider, as when paid alone.
- One order left to pay: its ordinary payment (a combined payment has 2 to 50 parts).
- Two or more: a :class:`CombinedPayment` with a :class:`Payment` per order pointing to it,
  so refunds, settlement and the ledger keep working per order. Asked again with the same
  orders it answers the same payment; once an order was paid, cancelled or paid alone, the
  combined payment was closed and the next one covers the orders still awaiting payment.
- The callback lists every part: each is stored and applied once (compare-and-set, amount
  checked per part) exactly as a single payment's callback; a part whose order was
  cancelled meanwhile is refunded.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.core.clock import utcnow
from weshop.core.config import Settings
from weshop.core.errors import Conflict, NotFound
from weshop.core.outbox import emit
from weshop.orders.models import Order, OrderStatus
from weshop.payments import service
from weshop.payments.combined_parts import close_combined, parts_of, sub_payments
from weshop.payments.descriptions import checkout_description
from weshop.payments.in_app import in_app_payer
from weshop.payments.models import (
    IN_APP_CHANNELS,
    CombinedPayment,
    NotificationOutcome,
    Payment,
    PaymentChannel,
    PaymentStatus,
)
from weshop.payments.provider import (
    InAppPayer,
    PaymentNotice,
    PaymentProvider,
)
from weshop.payments.refunds import out_number
from weshop.payments.sub_merchants import refuse_direct_mode_for_many_stores
from weshop.stores.models import Store

log = structlog.get_logger(__name__)

QUERY_COMBINED_PAYMENT = "payments.query_combined_payment"
# WeChat Pay takes at most 50 sub-orders in one combined payment.
MAX_PARTS = 50


@dataclass(frozen=True)
class CheckoutPayment:
    """Where the shopper pays a checkout: its combined payment, or the ordinary payment of
    its one order left to pay, or nothing (all paid, e.g. orders of 0 fen)."""

    checkout_no: str
    orders: list[Order]
    combined: CombinedPayment | None = None
    single: Payment | None = None


async def checkout_orders(session: AsyncSession, user: User, checkout_no: str) -> list[Order]:
    """The shopper's orders of a checkout, oldest first; another shopper's checkout answers
    404 as an unknown one does."""
    rows = list(
        await session.scalars(
            select(Order)
            .where(Order.checkout_no == checkout_no, Order.user_id == user.id)
            .order_by(Order.id)
        )
    )
    if not rows:
        raise NotFound("no such checkout")
    return rows


async def start_checkout_payment(
    session: AsyncSession,
    user: User,
    checkout_no: str,
    provider: PaymentProvider,
    payer_ip: str | None = None,
    *,
    channel: PaymentChannel | None = None,
    settings: Settings | None = None,
) -> CheckoutPayment:
    """Open (or reopen) one payment of the checkout's orders awaiting payment. Nothing is
    written when it cannot be made."""
    orders = await checkout_orders(session, user, checkout_no)
    now = utcnow()
    awaiting = [order for order in orders if order.status == OrderStatus.PENDING_PAYMENT]
    if not awaiting:
        raise Conflict("no order of this checkout awaits payment", code="checkout_not_payable")
    if all(now >= order.pay_deadline for order in awaiting):
        raise Conflict("the payment window of this order has passed", code="payment_window_passed")
    awaiting = [order for order in awaiting if now < order.pay_deadline]
    for free in [order for order in awaiting if order.payable_fen == 0]:
        await service.start_payment(session, user, free.id, provider, channel=channel)
    paying = [order for order in awaiting if order.payable_fen > 0]
    if not paying:
        return CheckoutPayment(checkout_no, orders)
    if len(paying) == 1:
        single = await service.start_payment(
            session, user, paying[0].id, provider, payer_ip, channel=channel, settings=settings
        )
        return CheckoutPayment(checkout_no, orders, single=single)
    combined = await _combined_payment(
        session, user, checkout_no, paying, provider, payer_ip, channel, settings
    )
    return CheckoutPayment(checkout_no, orders, combined=combined)


async def _combined_payment(
    session: AsyncSession,
    user: User,
    checkout_no: str,
    paying: list[Order],
    provider: PaymentProvider,
    payer_ip: str | None,
    channel: PaymentChannel | None,
    settings: Settings | None,
) -> CombinedPayment:
    if not provider.combines:
        raise Conflict(
            f"the {provider.name} provider cannot take one payment for several stores",
            code="combined_payment_unsupported",
        )
    if len(paying) > MAX_PARTS:
        raise Conflict(
            f"at most {MAX_PARTS} orders are paid together",
            code="combined_payment_too_many_orders",
        )
    await refuse_direct_mode_for_many_stores(session, provider)
    channel = service.usable_channel(provider, channel)
    payer = None
    if channel in IN_APP_CHANNELS:
        if settings is None:
            raise ValueError("an in-app payment needs the settings that name the apps")
        # Several stores: paid under the platform's app, never one store's own.
        payer = await in_app_payer(session, settings, user.id, None, channel)
    wanted = {(order.id, order.payable_fen) for order in paying}
    for open_one in await _open_combined(session, checkout_no):
        parts = await parts_of(session, open_one.id)
        if (
            open_one.provider == provider.name
            and open_one.channel == channel
            and open_one.appid == (payer.appid if payer else None)
            and {(part.order_id, part.amount_fen) for part in parts} == wanted
        ):
            return await _with_fresh_prepay(session, open_one, parts, paying, provider, payer)
        await close_combined(session, open_one.id, provider, utcnow())
    combined = CombinedPayment(
        user_id=user.id,
        checkout_no=checkout_no,
        provider=provider.name,
        combine_out_trade_no=out_number("H"),
        amount_fen=sum(order.payable_fen for order in paying),
        currency=paying[0].currency,
        channel=channel,
        appid=payer.appid if payer else None,
    )
    session.add(combined)
    await session.flush()
    parts = []
    for order in paying:
        part = Payment(
            store_id=order.store_id,
            order_id=order.id,
            user_id=user.id,
            provider=provider.name,
            out_trade_no=out_number("P"),
            amount_fen=order.payable_fen,
            currency=order.currency,
            channel=channel,
            appid=payer.appid if payer else None,
            combined_payment_id=combined.id,
        )
        session.add(part)
        parts.append(part)
    await session.flush()
    created = await provider.create_combined_payment(
        combine_out_trade_no=combined.combine_out_trade_no,
        parts=await sub_payments(session, parts, provider),
        description=await _description(session, checkout_no, paying),
        expires_at=min(order.pay_deadline for order in paying),
        payer_ip=payer_ip,
        channel=channel,
        payer=payer,
    )
    combined.cashier_url = created.cashier_url
    combined.prepay_id = created.prepay_id
    combined.prepay_expires_at = created.prepay_expires_at
    deadline = min(order.pay_deadline for order in paying)
    for when, due in (
        ("soon", utcnow() + service.FIRST_QUERY_AFTER),
        ("deadline", deadline + service.LAST_QUERY_AFTER_DEADLINE),
    ):
        emit(
            session,
            QUERY_COMBINED_PAYMENT,
            {"combined_payment_id": combined.id},
            due_at=due,
            dedupe_key=f"{QUERY_COMBINED_PAYMENT}:{combined.id}:{when}",
        )
    log.info(
        "payments.combined_started",
        combine_out_trade_no=combined.combine_out_trade_no,
        orders=len(parts),
    )
    return combined


async def _description(session: AsyncSession, checkout_no: str, orders: list[Order]) -> str:
    names = []
    for order in orders:
        store = await session.get(Store, order.store_id)
        assert store is not None
        names.append(store.name)
    return checkout_description(names, checkout_no)


async def _with_fresh_prepay(
    session: AsyncSession,
    combined: CombinedPayment,
    parts: list[Payment],
    orders: list[Order],
    provider: PaymentProvider,
    payer: InAppPayer | None,
) -> CombinedPayment:
    """An open combined payment asked for again: an in-app one whose prepay id expired is
    placed again under the same number (the provider answers a fresh prepay id)."""
    expires = combined.prepay_expires_at
    if payer is None or (expires is not None and utcnow() < expires):
        return combined
    created = await provider.create_combined_payment(
        combine_out_trade_no=combined.combine_out_trade_no,
        parts=await sub_payments(session, parts, provider),
        description=await _description(session, combined.checkout_no, orders),
        expires_at=min(order.pay_deadline for order in orders),
        channel=combined.channel,
        payer=payer,
    )
    combined.prepay_id = created.prepay_id
    combined.prepay_expires_at = created.prepay_expires_at
    return combined


async def _open_combined(session: AsyncSession, checkout_no: str) -> list[CombinedPayment]:
    rows = await session.scalars(
        select(CombinedPayment).where(
            CombinedPayment.checkout_no == checkout_no,
            CombinedPayment.status == PaymentStatus.PENDING,
        )
    )
    return list(rows)


def combined_pay_params(
    provider: PaymentProvider, combined: CombinedPayment
) -> dict[str, str] | None:
    """What the payer's WeChat client is handed for an in-app combined payment."""
    if combined.prepay_id is None or combined.appid is None:
        return None
    return provider.pay_params(combined.appid, combined.prepay_id)


async def apply_combined_notices(
    session: AsyncSession, provider: str, notices: list[PaymentNotice]
) -> list[NotificationOutcome]:
    """A combined payment's callback (or the answer to a query): each part applied as its
    own payment's notice; the combined payment is paid once its parts are."""
    outcomes = [await service.apply_payment_notice(session, provider, notice) for notice in notices]
    paid_at = notices[0].paid_at
    combined_ids = set(
        await session.scalars(
            select(Payment.combined_payment_id).where(
                Payment.provider == provider,
                Payment.out_trade_no.in_([notice.out_trade_no for notice in notices]),
                Payment.combined_payment_id.is_not(None),
            )
        )
    )
    for combined_id in combined_ids:
        await session.execute(
            update(CombinedPayment)
            .where(
                CombinedPayment.id == combined_id,
                CombinedPayment.status != PaymentStatus.SUCCEEDED,
            )
            .values(status=PaymentStatus.SUCCEEDED, paid_at=paid_at)
        )
    return outcomes


async def query_combined_payment(
    session: AsyncSession, combined_id: int, providers: dict[str, PaymentProvider]
) -> list[NotificationOutcome]:
    """Ask the provider about a combined payment whose callback has not come; what it says
    was paid is applied as the callback would be."""
    combined = await session.get(CombinedPayment, combined_id)
    if combined is None or combined.status == PaymentStatus.SUCCEEDED:
        return []
    notices = await providers[combined.provider].query_combined_payment(
        combined.combine_out_trade_no
    )
    if not notices:
        return []
    return await apply_combined_notices(session, combined.provider, notices)


async def shopper_combined_payment(
    session: AsyncSession, user: User, combine_out_trade_no: str
) -> CombinedPayment:
    combined = await session.scalar(
        select(CombinedPayment).where(
            CombinedPayment.combine_out_trade_no == combine_out_trade_no,
            CombinedPayment.user_id == user.id,
        )
    )
    if combined is None:
        raise NotFound("no such payment")
    return combined
