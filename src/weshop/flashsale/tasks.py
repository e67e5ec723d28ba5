"""Outbox and deadline handlers of flash sales; each is idempotent."""

from __future__ import annotations

from datetime import timedelta

import structlog

from weshop.core.worker import HandlerRegistry, TaskContext
from weshop.flashsale import service
from weshop.flashsale.gate import gate_of
from weshop.flashsale.reconcile import reconcile, running_item_ids

log = structlog.get_logger(__name__)
registry = HandlerRegistry()

# How often the worker reconciles Redis with the database while sessions run.
SWEEP_EVERY = timedelta(seconds=30)


@registry.on(service.SESSION_END)
async def end_session(ctx: TaskContext) -> None:
    await service.end_due_session(ctx.session, ctx.payload["session_id"], ctx.now)


@registry.on(service.GATE_RETURN)
async def return_to_gate(ctx: TaskContext) -> None:
    """A unit given back in the database goes back in Redis (once per token; a no-op when
    Redis lost the item: loading it from the database counts the unit)."""
    gate = gate_of(ctx.runtime)
    if gate is None:
        return
    payload = ctx.payload
    await gate.release(
        payload["item_id"], payload["user_id"], payload["token"], give_stock=True, forget=False
    )


@registry.on(service.GATE_DROP)
async def drop_from_gate(ctx: TaskContext) -> None:
    gate = gate_of(ctx.runtime)
    if gate is not None:
        await gate.drop(ctx.payload["item_ids"])


@registry.on(service.RECONCILE_SWEEP)
async def reconcile_sweep(ctx: TaskContext) -> None:
    """Reconcile every running item, then queue the next sweep while any runs."""
    if not await running_item_ids(ctx.session, ctx.now):
        return  # the next session's start queues the next sweep
    gate = gate_of(ctx.runtime)
    if gate is not None:
        for check in await reconcile(ctx.runtime, gate, ctx.now, writer=ctx.session):
            if check.repaired or check.lost_units:
                log.warning(
                    "flashsale.reconciled",
                    item_id=check.item_id,
                    drift=check.drift,
                    lost_units=check.lost_units,
                    missing=check.redis_stock is None,
                )
    await service.schedule_sweep(ctx.session, ctx.now + SWEEP_EVERY)
