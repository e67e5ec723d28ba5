"""Outbox handlers of WeChat: sending the queued messages (:mod:`weshop.wechat.sending`)."""

from __future__ import annotations

from weshop.core.worker import HandlerRegistry, TaskContext
from weshop.wechat import sending
from weshop.wechat.messages import SEND_STAFF_MESSAGE, SEND_SUBSCRIPTION

registry = HandlerRegistry()


@registry.on(SEND_SUBSCRIPTION)
async def send_subscription(ctx: TaskContext) -> None:
    await sending.send_subscription(ctx.session, ctx.runtime, ctx.payload, ctx.message.attempts)


@registry.on(SEND_STAFF_MESSAGE)
async def send_staff_message(ctx: TaskContext) -> None:
    await sending.send_staff_message(ctx.session, ctx.runtime, ctx.payload, ctx.message.attempts)
