"""Outbox handlers of group buying; each is idempotent (a repeat finds nothing left to do)."""

from __future__ import annotations

from weshop.core.worker import HandlerRegistry, TaskContext
from weshop.groupbuy import membership

registry = HandlerRegistry()


@registry.on(membership.GROUP_DEADLINE)
async def end_group_window(ctx: TaskContext) -> None:
    await membership.on_deadline(ctx.session, ctx.payload["group_id"], ctx.now)


@registry.on(membership.REFUND_MEMBER)
async def refund_member(ctx: TaskContext) -> None:
    await membership.refund_member(
        ctx.session, ctx.payload["member_id"], ctx.payload["group_id"], ctx.payload["reason"]
    )


@registry.on(membership.GROUP_COMPLETED)
async def release_completed_orders(ctx: TaskContext) -> None:
    await membership.release_orders(ctx.session, ctx.payload["group_id"])
