"""Deadline handlers of the ledger; each is idempotent (a repeat finds nothing left to do)."""

from __future__ import annotations

from weshop.core.worker import HandlerRegistry, TaskContext
from weshop.ledger import service
from weshop.ledger.settlement import SETTLE_ORDER
from weshop.orders.service import AFTERSALES_WINDOW_CLOSED

registry = HandlerRegistry()


@registry.on(AFTERSALES_WINDOW_CLOSED)
@registry.on(SETTLE_ORDER)
async def settle_order(ctx: TaskContext) -> None:
    await service.settle_order(ctx.session, ctx.payload["order_id"], ctx.now)
