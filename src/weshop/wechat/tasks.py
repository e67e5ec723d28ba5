"""Outbox handlers of WeChat: sending the queued messages (:mod:`weshop.wechat.sending`),
each with its access token made fresh before its transaction opens."""

from __future__ import annotations

from typing import Any

from weshop.core.runtime import Runtime
from weshop.core.worker import HandlerRegistry, TaskContext
from weshop.wechat import sending
from weshop.wechat.messages import SEND_STAFF_MESSAGE, SEND_SUBSCRIPTION

registry = HandlerRegistry()


@registry.before(SEND_SUBSCRIPTION)
async def prepare_subscription(runtime: Runtime, payload: dict[str, Any]) -> None:
    await sending.prepare(runtime, sending.subscription_apps(runtime, payload))


@registry.on(SEND_SUBSCRIPTION)
async def send_subscription(ctx: TaskContext) -> None:
    await sending.send_subscription(ctx.session, ctx.runtime, ctx.payload, ctx.message.attempts)


@registry.before(SEND_STAFF_MESSAGE)
async def prepare_staff_message(runtime: Runtime, payload: dict[str, Any]) -> None:
    await sending.prepare(runtime, sending.staff_apps(runtime, payload))


@registry.on(SEND_STAFF_MESSAGE)
async def send_staff_message(ctx: TaskContext) -> None:
    await sending.send_staff_message(ctx.session, ctx.runtime, ctx.payload, ctx.message.attempts)
