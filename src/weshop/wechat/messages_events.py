"""What WeChat messages do on the events of the domains below, in their transactions: queue
the shoppers' subscription messages and the staff's template messages
(:mod:`weshop.wechat.messages`). Built from the settings, which say which events have a
template: :func:`message_subscribers`. An event without one reads nothing (a payment, a
shipment, a checkout's stock crossing its threshold cost no query more)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.aftersales.announcements import AftersalesRequested
from weshop.bargain.announcements import BargainFloorReached
from weshop.catalog.models import Product, Sku
from weshop.core.clock import utcnow
from weshop.core.config import Settings
from weshop.core.events import Subscribers
from weshop.groupbuy import repository as groupbuy_repo
from weshop.groupbuy.announcements import GroupCompleted, GroupFailed
from weshop.groupbuy.models import Group, GroupMember, MemberState
from weshop.inventory.events import StockRunningLow
from weshop.logistics.carriers.codes import carrier_code, carrier_name
from weshop.logistics.events import ParcelDelivered
from weshop.orders.events import OrderShipped
from weshop.orders.models import Order
from weshop.orders.tracking import delivered_orders
from weshop.payments.events import PaymentSucceeded, RefundSucceeded
from weshop.wechat import messages
from weshop.wechat.messages import Message, queue_staff, queue_subscription, staff_template
from weshop.wechat.subscriptions import has_template


def message_subscribers(settings: Settings) -> Subscribers:
    subscribers = Subscribers()

    async def to_shopper(
        session: AsyncSession, message: messages.Message, order: Order, subject: str
    ) -> None:
        await queue_subscription(
            session,
            settings,
            message,
            user_id=order.user_id,
            store_id=order.store_id,
            subject=subject,
        )

    @subscribers.on(PaymentSucceeded)
    async def order_paid(session: AsyncSession, event: PaymentSucceeded) -> None:
        if not event.accepted:
            return
        order = await session.get_one(Order, event.payment.order_id)
        if has_template(settings, "order_paid"):
            message = await messages.order_paid(session, order, order.paid_at or utcnow())
            await to_shopper(session, message, order, f"{order.id}")
        if staff_template(settings, "new_order"):
            message = await messages.new_order(session, order)
            await queue_staff(
                session, settings, message, store_id=order.store_id, subject=f"{order.id}"
            )

    @subscribers.on(OrderShipped)
    async def order_shipped(session: AsyncSession, event: OrderShipped) -> None:
        if not has_template(settings, "order_shipped"):
            return
        order = await session.get_one(Order, event.order_id)
        code = carrier_code(event.carrier)
        carrier = carrier_name(code) if code else event.carrier
        message = await messages.order_shipped(session, order, carrier, event.tracking_no)
        await to_shopper(session, message, order, f"{order.id}")

    @subscribers.on(ParcelDelivered)
    async def order_delivered(session: AsyncSession, event: ParcelDelivered) -> None:
        if not has_template(settings, "order_delivered"):
            return
        for order, delivered_at in await delivered_orders(session, event):
            message = await messages.order_delivered(session, order, delivered_at)
            await to_shopper(session, message, order, f"{order.id}")

    @subscribers.on(RefundSucceeded)
    async def refund_succeeded(session: AsyncSession, event: RefundSucceeded) -> None:
        if not has_template(settings, "refund_succeeded"):
            return
        refund = event.refund
        order = await session.get_one(Order, refund.order_id)
        message = messages.refund_succeeded(
            order, refund.amount_fen, refund.succeeded_at or utcnow()
        )
        await to_shopper(session, message, order, f"{refund.id}")

    async def to_joined_members(
        session: AsyncSession,
        group_id: int,
        message_for: Callable[[Product, Group, GroupMember], Message],
    ) -> None:
        """One message to each member who joined the group, of its product."""
        group = await session.get_one(Group, group_id)
        product = await session.get_one(Product, group.product_id)
        joined = await groupbuy_repo.members_of(session, [group.id], [MemberState.JOINED])
        for member in joined[group.id]:
            await queue_subscription(
                session,
                settings,
                message_for(product, group, member),
                user_id=member.user_id,
                store_id=group.store_id,
                subject=f"{group.id}",
            )

    @subscribers.on(GroupCompleted)
    async def group_completed(session: AsyncSession, event: GroupCompleted) -> None:
        if has_template(settings, "group_completed"):
            await to_joined_members(
                session,
                event.group_id,
                lambda product, group, member: messages.group_completed(
                    product.title, group.member_count, member.unit_price_fen, group.id
                ),
            )

    @subscribers.on(GroupFailed)
    async def group_failed(session: AsyncSession, event: GroupFailed) -> None:
        if has_template(settings, "group_failed"):
            await to_joined_members(
                session,
                event.group_id,
                lambda product, group, member: messages.group_failed(
                    product.title, event.reason, member.paid_fen, group.id
                ),
            )

    @subscribers.on(BargainFloorReached)
    async def bargain_floor_reached(session: AsyncSession, event: BargainFloorReached) -> None:
        if not has_template(settings, "bargain_floor_reached"):
            return
        sku = await session.get_one(Sku, event.sku_id)
        product = await session.get_one(Product, sku.product_id)
        message = messages.bargain_floor_reached(
            product.title, event.floor_price_fen, event.bargain_id
        )
        await queue_subscription(
            session,
            settings,
            message,
            user_id=event.user_id,
            store_id=event.store_id,
            subject=f"{event.bargain_id}",
        )

    @subscribers.on(AftersalesRequested)
    async def aftersales_requested(session: AsyncSession, event: AftersalesRequested) -> None:
        if not staff_template(settings, "aftersales_requested"):
            return
        order = await session.get_one(Order, event.order_id)
        message = messages.aftersales_requested(
            order, event.request_id, event.kind, event.amount_fen, event.requested_at
        )
        await queue_staff(
            session, settings, message, store_id=event.store_id, subject=f"{event.request_id}"
        )

    @subscribers.on(StockRunningLow)
    async def stock_running_low(session: AsyncSession, event: StockRunningLow) -> None:
        if not staff_template(settings, "low_stock"):
            return
        message = await messages.low_stock(session, event.sku_id, event.available)
        # At most once a day per SKU: stock that hovers around its threshold (sold, restocked,
        # sold) does not page the staff on every crossing.
        day = utcnow().date().isoformat()
        await queue_staff(
            session, settings, message, store_id=event.store_id, subject=f"{event.sku_id}:{day}"
        )

    return subscribers
