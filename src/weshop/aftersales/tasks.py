"""Deadline handlers of after-sales; each acts once (see ``service.deadline_passed``)."""

from __future__ import annotations

from weshop.aftersales import service
from weshop.aftersales.steps import DEADLINE
from weshop.core.worker import HandlerRegistry, TaskContext

registry = HandlerRegistry()


@registry.on(DEADLINE)
async def act_on_deadline(ctx: TaskContext) -> None:
    await service.deadline_passed(
        ctx.session, ctx.payload["request_id"], ctx.payload["step"], ctx.now
    )
