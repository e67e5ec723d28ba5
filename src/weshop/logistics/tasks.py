"""Outbox handlers of logistics: subscribing a shipped parcel at its provider (retried by
the worker until accepted) and re-querying quiet parcels."""

from __future__ import annotations

from datetime import timedelta

from weshop.core.worker import HandlerRegistry, TaskContext
from weshop.logistics import tracking
from weshop.logistics.carriers.setup import COMPONENT

registry = HandlerRegistry()


def _recheck_after(ctx: TaskContext) -> timedelta:
    return timedelta(hours=ctx.runtime.settings.parcel_recheck_hours)


@registry.on(tracking.SUBSCRIBE)
async def subscribe_parcel(ctx: TaskContext) -> None:
    await tracking.subscribe(
        ctx.session,
        ctx.runtime.components.get(COMPONENT),
        ctx.payload["parcel_id"],
        public_base_url=ctx.runtime.settings.public_base_url,
        recheck_after=_recheck_after(ctx),
        now=ctx.now,
    )


@registry.on(tracking.RECHECK)
async def recheck_parcel(ctx: TaskContext) -> None:
    await tracking.recheck(
        ctx.session,
        ctx.runtime.components.get(COMPONENT),
        ctx.payload["parcel_id"],
        recheck_after=_recheck_after(ctx),
        now=ctx.now,
    )
