"""Deadline handlers of members; each is idempotent (a repeat finds nothing left to do)."""

from __future__ import annotations

from weshop.core.outbox import emit
from weshop.core.worker import HandlerRegistry, TaskContext
from weshop.members import service
from weshop.members.points_book import EXPIRE_TOPIC

registry = HandlerRegistry()

MEMBERS_PER_RUN = 200


@registry.on(EXPIRE_TOPIC)
async def expire_points(ctx: TaskContext) -> None:
    """Lapse points past their expiry; a run that hit its limit queues the next at once."""
    await service.expire_points(ctx.session, ctx.now, limit=MEMBERS_PER_RUN)
    if await service.more_points_due(ctx.session, ctx.now):
        emit(ctx.session, EXPIRE_TOPIC, {}, due_at=ctx.now)
