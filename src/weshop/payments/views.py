"""Payments as the storefront finds them: a shopper's own payment by its trade number."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.core.clock import utcnow
from weshop.core.errors import NotFound
from weshop.orders.models import Order
from weshop.payments import repository as repo
from weshop.payments.models import Payment, PaymentChannel
from weshop.payments.schemas import CheckoutOrderOut
from weshop.stores.models import Store


async def shopper_payment(
    session: AsyncSession, user: User, out_trade_no: str, providers: Iterable[str]
) -> Payment:
    """The signed-in shopper's payment with this trade number at one of ``providers``; a
    payment of someone else answers 404, as an unknown one does."""
    for provider in providers:
        payment = await repo.payment_by_trade_no(session, provider, out_trade_no)
        if payment is not None and payment.user_id == user.id:
            return payment
    raise NotFound("no such payment")


async def open_in_app_payment(
    session: AsyncSession, order_id: int, provider: str, channel: PaymentChannel
) -> Payment | None:
    """The order's newest open payment in an in-app channel whose prepay id still lasts (the
    one to hand to the payer's WeChat client again), or None."""
    now = utcnow()
    found = [
        payment
        for payment in await repo.pending_payments(session, order_id)
        if payment.provider == provider
        and payment.channel == channel
        and payment.prepay_expires_at is not None
        and now < payment.prepay_expires_at
    ]
    return max(found, key=lambda payment: payment.id, default=None)


async def checkout_order_lines(
    session: AsyncSession, orders: list[Order]
) -> list[CheckoutOrderOut]:
    """The orders of a checkout with their stores' names, as the shopper sees them."""
    names = dict(
        (
            await session.execute(
                select(Store.id, Store.name).where(Store.id.in_({o.store_id for o in orders}))
            )
        ).all()
    )
    return [
        CheckoutOrderOut(
            order_id=order.id,
            order_no=order.order_no,
            store_id=order.store_id,
            store_name=names.get(order.store_id, ""),
            amount_fen=order.payable_fen,
            status=str(order.status),
        )
        for order in orders
    ]
