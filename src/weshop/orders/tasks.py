"""Deadline handlers of orders; each is idempotent (a repeat finds nothing left to do)."""

from __future__ import annotations

from weshop.core.worker import HandlerRegistry, TaskContext
from weshop.orders import service
from weshop.orders.checkout import PAYMENT_DEADLINE

registry = HandlerRegistry()


@registry.on(PAYMENT_DEADLINE)
async def cancel_if_unpaid(ctx: TaskContext) -> None:
    await service.expire_unpaid(ctx.session, ctx.payload["order_id"], ctx.now)


@registry.on(service.AUTO_CONFIRM)
async def confirm_receipt_automatically(ctx: TaskContext) -> None:
    await service.auto_confirm(ctx.session, ctx.payload["order_id"], ctx.now)
