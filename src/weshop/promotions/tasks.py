"""Deadline handlers of promotions; each is idempotent (a repeat finds nothing left to do)."""

from __future__ import annotations

from weshop.core.worker import HandlerRegistry, TaskContext
from weshop.promotions import service

registry = HandlerRegistry()


@registry.on(service.EXPIRY_SWEEP)
async def sweep_expired_coupons(ctx: TaskContext) -> None:
    """Expire what is due, then queue the next hour's sweep: the chain keeps itself going."""
    await service.expire_coupons(ctx.session, ctx.now)
    await service.schedule_expiry_sweep(ctx.session, ctx.now)
