"""What each event tells whom, queued in the transaction of its cause.

A subscription message goes to the shopper concerned (:data:`SEND_SUBSCRIPTION`), a staff
message to each active staff member of the store (:data:`SEND_STAFF_MESSAGE`): one outbox row
per message, written only when the event has a configured template, and once per event and
recipient (the row's dedupe key: a second shipment of the same order, or a repeated event,
queues nothing). The keyword values are taken here, from the rows as the event left them;
``wechat.sending`` sends them after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.aftersales.models import RequestKind
from weshop.catalog.models import Product, Sku
from weshop.core.config import Settings
from weshop.orders import repository as orders_repo
from weshop.orders.models import Order
from weshop.wechat import keywords
from weshop.wechat import messages_repository as repo
from weshop.wechat.subscriptions import has_template, platform_app

SEND_SUBSCRIPTION = "wechat.send_subscription"
SEND_STAFF_MESSAGE = "wechat.send_staff_message"
STAFF_EVENTS = ("new_order", "aftersales_requested", "low_stock")
AFTERSALES_KINDS = {
    RequestKind.REFUND_ONLY: "仅退款",
    RequestKind.RETURN_AND_REFUND: "退货退款",
    RequestKind.EXCHANGE: "换货",
}
BARGAIN_TIP = "已砍到底价，快去下单吧"


@dataclass(frozen=True)
class Message:
    """One event's message: its keyword values and what it opens: ``path`` on this site (a
    storefront page, or the console's for staff) and ``page``, the mini-program's page of
    the same thing."""

    event: str
    values: dict[str, str]
    path: str
    page: str = ""


async def queue_subscription(
    session: AsyncSession,
    settings: Settings,
    message: Message,
    *,
    user_id: int,
    store_id: int,
    subject: str,
) -> None:
    """Queue the shopper's message of this event about ``subject`` (an order, a refund, a
    group...), once; nothing without a configured template."""
    if not has_template(settings, message.event):
        return
    await repo.queue_once(
        session,
        SEND_SUBSCRIPTION,
        _payload(message, user_id=user_id, store_id=store_id),
        store_id=store_id,
        dedupe_key=f"{SEND_SUBSCRIPTION}:{message.event}:{subject}:{user_id}",
    )


async def queue_staff(
    session: AsyncSession, settings: Settings, message: Message, *, store_id: int, subject: str
) -> None:
    """Queue this staff message to each of the store's active staff, once each; nothing
    without a configured template or official account. Who has turned it off, or has no
    identity under the official account, is found when it is sent."""
    if not staff_template(settings, message.event):
        return
    for user_id in await repo.active_staff(session, store_id):
        await repo.queue_once(
            session,
            SEND_STAFF_MESSAGE,
            _payload(message, user_id=user_id, store_id=store_id),
            store_id=store_id,
            dedupe_key=f"{SEND_STAFF_MESSAGE}:{message.event}:{subject}:{user_id}",
        )


def staff_template(settings: Settings, event: str) -> str | None:
    """The staff template of this event, when it has one and the official account exists."""
    if platform_app(settings, "official") is None:
        return None
    return settings.wechat_staff_templates.get(event) or None


def _payload(message: Message, *, user_id: int, store_id: int) -> dict[str, Any]:
    return {
        "event": message.event,
        "user_id": user_id,
        "store_id": store_id,
        "values": message.values,
        "path": message.path,
        "page": message.page,
    }


# The messages of each event (keywords as in the README's "WeChat messages" table).


async def products_of(session: AsyncSession, order: Order) -> str:
    """The order's goods as one ``thing``: the first line's title, and "等N件" when it has
    several lines (the title is cut, never the count)."""
    lines = (await orders_repo.lines_of(session, [order.id]))[order.id]
    if not lines:
        return ""
    if len(lines) == 1:
        return keywords.thing(lines[0].title)
    more = f"等{len(lines)}件"
    return keywords.thing(lines[0].title, keywords.THING_MAX - len(more)) + more


def order_path(order: Order) -> str:
    return f"/me/orders/{order.id}"


def order_page(order: Order) -> str:
    return f"pages/order/index?id={order.id}"


async def order_paid(session: AsyncSession, order: Order, paid_at: datetime) -> Message:
    return Message(
        "order_paid",
        {
            "character_string1": keywords.character_string(order.order_no),
            "amount2": keywords.amount(order.paid_fen),
            "thing3": await products_of(session, order),
            "time4": keywords.time(paid_at),
        },
        order_path(order),
        order_page(order),
    )


async def order_shipped(
    session: AsyncSession, order: Order, carrier: str, tracking_no: str
) -> Message:
    return Message(
        "order_shipped",
        {
            "character_string1": keywords.character_string(order.order_no),
            "thing2": await products_of(session, order),
            "thing3": keywords.thing(carrier),
            "character_string4": keywords.character_string(tracking_no),
        },
        order_path(order),
        order_page(order),
    )


async def order_delivered(session: AsyncSession, order: Order, delivered_at: datetime) -> Message:
    return Message(
        "order_delivered",
        {
            "character_string1": keywords.character_string(order.order_no),
            "thing2": await products_of(session, order),
            "time3": keywords.time(delivered_at),
        },
        order_path(order),
        order_page(order),
    )


def refund_succeeded(order: Order, amount_fen: int, refunded_at: datetime) -> Message:
    return Message(
        "refund_succeeded",
        {
            "character_string1": keywords.character_string(order.order_no),
            "amount2": keywords.amount(amount_fen),
            "time3": keywords.time(refunded_at),
        },
        order_path(order),
        order_page(order),
    )


def group_completed(product_title: str, size: int, price_fen: int, group_id: int) -> Message:
    return Message(
        "group_completed",
        {
            "thing1": keywords.thing(product_title),
            "number2": keywords.number(size),
            "amount3": keywords.amount(price_fen),
        },
        f"/g/{group_id}",
        f"pages/groupbuy/index?id={group_id}",
    )


def group_failed(product_title: str, reason: str, refund_fen: int, group_id: int) -> Message:
    return Message(
        "group_failed",
        {
            "thing1": keywords.thing(product_title),
            "thing2": keywords.thing(reason),
            "amount3": keywords.amount(refund_fen),
        },
        f"/g/{group_id}",
        f"pages/groupbuy/index?id={group_id}",
    )


def bargain_floor_reached(product_title: str, floor_fen: int, bargain_id: int) -> Message:
    return Message(
        "bargain_floor_reached",
        {
            "thing1": keywords.thing(product_title),
            "amount2": keywords.amount(floor_fen),
            "thing3": keywords.thing(BARGAIN_TIP),
        },
        f"/bargain/{bargain_id}",
        f"pages/bargain/index?id={bargain_id}",
    )


async def new_order(session: AsyncSession, order: Order) -> Message:
    return Message(
        "new_order",
        {
            "character_string1": keywords.character_string(order.order_no),
            "amount2": keywords.amount(order.paid_fen),
            "thing3": await products_of(session, order),
            "time4": keywords.time(order.created_at),
        },
        f"/console/stores/{order.store_id}/orders/{order.id}",
    )


def aftersales_requested(
    order: Order, request_id: int, kind: RequestKind, amount_fen: int, requested_at: datetime
) -> Message:
    return Message(
        "aftersales_requested",
        {
            "character_string1": keywords.character_string(order.order_no),
            "thing2": keywords.thing(AFTERSALES_KINDS[kind]),
            "amount3": keywords.amount(amount_fen),
            "time4": keywords.time(requested_at),
        },
        f"/console/stores/{order.store_id}/aftersales/{request_id}",
    )


async def low_stock(session: AsyncSession, sku_id: int, available: int) -> Message:
    sku = await session.get_one(Sku, sku_id)
    product = await session.get_one(Product, sku.product_id)
    spec = " ".join(str(value) for value in sku.spec_values.values()) or sku.sku_code
    return Message(
        "low_stock",
        {
            "thing1": keywords.thing(product.title),
            "thing2": keywords.thing(spec),
            "number3": keywords.number(available),
        },
        f"/console/stores/{sku.store_id}/stock/skus/{sku.id}",
    )
