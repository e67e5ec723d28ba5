"""Flash-sale queries. ``sold`` and a shopper's units move only by conditional UPDATEs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.flashsale.models import (
    AttemptState,
    FlashAttempt,
    FlashBuyer,
    FlashItem,
    FlashSession,
    SessionStatus,
)


def insert_for(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def owned_by(store_id: int | None) -> ColumnElement[bool]:
    """A store's own sessions, or (``None``) the platform's."""
    if store_id is None:
        return FlashSession.store_id.is_(None)
    return FlashSession.store_id == store_id


def sessions_query(store_id: int | None) -> Select[tuple[FlashSession]]:
    return select(FlashSession).where(owned_by(store_id))


async def owned_session(
    session: AsyncSession, store_id: int | None, session_id: int
) -> FlashSession | None:
    return await session.scalar(
        select(FlashSession).where(FlashSession.id == session_id, owned_by(store_id))
    )


async def items_of(session: AsyncSession, session_ids: Iterable[int]) -> list[FlashItem]:
    ids = list(session_ids)
    if not ids:
        return []
    query = (
        select(FlashItem)
        .where(FlashItem.session_id.in_(ids))
        .order_by(FlashItem.session_id, FlashItem.sort_order, FlashItem.id)
    )
    return list(await session.scalars(query))


def unsettled_query() -> Select[tuple[FlashSession]]:
    """Sessions not settled (scheduled, running, or just past their end), soonest first."""
    return (
        select(FlashSession)
        .where(FlashSession.status == SessionStatus.ACTIVE)
        .order_by(FlashSession.starts_at, FlashSession.id)
    )


async def take_units(session: AsyncSession, item_id: int, quantity: int) -> bool:
    """``quantity`` more units sold, if the flash stock has them: the oversell guard."""
    result = await session.execute(
        update(FlashItem)
        .where(FlashItem.id == item_id, FlashItem.sold + quantity <= FlashItem.flash_stock)
        .values(sold=FlashItem.sold + quantity)
    )
    return result.rowcount == 1


async def give_back_units(session: AsyncSession, item_id: int, quantity: int) -> None:
    await session.execute(
        update(FlashItem)
        .where(FlashItem.id == item_id, FlashItem.sold >= quantity)
        .values(sold=FlashItem.sold - quantity)
    )


async def count_attempt(session: AsyncSession, item_id: int) -> None:
    await session.execute(
        update(FlashItem).where(FlashItem.id == item_id).values(attempts=FlashItem.attempts + 1)
    )


async def take_shopper_units(
    session: AsyncSession, item_id: int, user_id: int, quantity: int, limit: int
) -> bool:
    """``quantity`` more units for this shopper, if within ``limit``. The row is created first
    (a concurrent creator waits on the primary key, then does nothing), then moved by a
    conditional UPDATE that the same shopper's concurrent attempts queue behind."""
    insert = insert_for(session)
    await session.execute(
        insert(FlashBuyer)
        .values(item_id=item_id, user_id=user_id, units=0)
        .on_conflict_do_nothing(index_elements=["item_id", "user_id"])
    )
    result = await session.execute(
        update(FlashBuyer)
        .where(
            FlashBuyer.item_id == item_id,
            FlashBuyer.user_id == user_id,
            FlashBuyer.units + quantity <= limit,
        )
        .values(units=FlashBuyer.units + quantity)
    )
    return result.rowcount == 1


async def give_back_shopper_units(
    session: AsyncSession, item_id: int, user_id: int, quantity: int
) -> None:
    await session.execute(
        update(FlashBuyer)
        .where(
            FlashBuyer.item_id == item_id,
            FlashBuyer.user_id == user_id,
            FlashBuyer.units >= quantity,
        )
        .values(units=FlashBuyer.units - quantity)
    )


async def attempt_by_token(
    session: AsyncSession, item_id: int, user_id: int, token: str
) -> FlashAttempt | None:
    return await session.scalar(
        select(FlashAttempt).where(
            FlashAttempt.item_id == item_id,
            FlashAttempt.user_id == user_id,
            FlashAttempt.token == token,
        )
    )


async def release_attempt(
    session: AsyncSession, attempt_id: int, now: datetime, reason: str
) -> bool:
    """Compare-and-set: only the first release of a live attempt wins."""
    result = await session.execute(
        update(FlashAttempt)
        .where(FlashAttempt.id == attempt_id, FlashAttempt.state != AttemptState.RELEASED)
        .values(state=AttemptState.RELEASED, released_at=now, release_reason=reason[:40])
    )
    return result.rowcount == 1


async def live_units_by_item(session: AsyncSession, item_ids: list[int]) -> dict[int, int]:
    """Units of the live attempts (not released) per item."""
    if not item_ids:
        return {}
    query = (
        select(FlashAttempt.item_id, func.coalesce(func.sum(FlashAttempt.quantity), 0))
        .where(FlashAttempt.item_id.in_(item_ids), FlashAttempt.state != AttemptState.RELEASED)
        .group_by(FlashAttempt.item_id)
    )
    return {item_id: int(units) for item_id, units in (await session.execute(query)).all()}


async def live_tokens(session: AsyncSession, item_id: int) -> list[tuple[int, str, int, bool]]:
    """Every attempt of an item: ``(user_id, token, quantity, live)``."""
    query = select(
        FlashAttempt.user_id, FlashAttempt.token, FlashAttempt.quantity, FlashAttempt.state
    ).where(FlashAttempt.item_id == item_id)
    return [
        (user_id, token, quantity, state != AttemptState.RELEASED)
        for user_id, token, quantity, state in (await session.execute(query)).all()
    ]


async def buyers_of(session: AsyncSession, item_id: int) -> dict[int, int]:
    query = select(FlashBuyer.user_id, FlashBuyer.units).where(
        FlashBuyer.item_id == item_id, FlashBuyer.units > 0
    )
    return {user_id: units for user_id, units in (await session.execute(query)).all()}


async def running_items(session: AsyncSession, now: datetime) -> list[FlashItem]:
    """Items of the sessions not settled yet (scheduled or running)."""
    query = (
        select(FlashItem)
        .join(FlashSession, FlashSession.id == FlashItem.session_id)
        .where(FlashSession.status == SessionStatus.ACTIVE)
        .order_by(FlashItem.id)
    )
    return list(await session.scalars(query))
