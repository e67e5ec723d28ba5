"""Deadline handlers of bargaining; each is idempotent (a repeat finds nothing left to do)."""

from __future__ import annotations

from weshop.bargain import service
from weshop.core.worker import HandlerRegistry, TaskContext

registry = HandlerRegistry()


@registry.on(service.EXPIRE)
async def expire_bargain(ctx: TaskContext) -> None:
    await service.expire(ctx.session, ctx.payload["bargain_id"], ctx.now)
