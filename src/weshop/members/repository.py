"""Members queries. Staff queries take the scope's store id; shopper queries the user's id."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.core.versions import versions_of
from weshop.members.models import (
    MemberLevel,
    MemberRules,
    Membership,
    PointsEntry,
    PointsKind,
)
from weshop.stores.models import Store

# Levels and rules


async def levels_of(session: AsyncSession, store_id: int) -> list[MemberLevel]:
    """Lowest first."""
    rows = await session.scalars(
        select(MemberLevel)
        .where(MemberLevel.store_id == store_id)
        .order_by(MemberLevel.growth_threshold, MemberLevel.id)
    )
    return list(rows)


async def levels_of_stores(
    session: AsyncSession, store_ids: Iterable[int]
) -> dict[int, list[MemberLevel]]:
    """Each store's levels, lowest first."""
    wanted = set(store_ids)
    ladders: dict[int, list[MemberLevel]] = {store_id: [] for store_id in wanted}
    if not wanted:
        return ladders
    rows = await session.scalars(
        select(MemberLevel)
        .where(MemberLevel.store_id.in_(wanted))
        .order_by(MemberLevel.store_id, MemberLevel.growth_threshold, MemberLevel.id)
    )
    for row in rows:
        ladders[row.store_id].append(row)
    return ladders


async def levels_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, MemberLevel]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.scalars(select(MemberLevel).where(MemberLevel.id.in_(wanted)))
    return {row.id: row for row in rows}


async def set_level_band(
    session: AsyncSession, store_id: int, level_id: int | None, low: int, high: int | None
) -> None:
    """Members of the store with ``low <= growth < high`` get ``level_id``."""
    query = update(Membership).where(
        Membership.store_id == store_id, Membership.growth_value >= low
    )
    if high is not None:
        query = query.where(Membership.growth_value < high)
    await session.execute(
        query.values(level_id=level_id).execution_options(synchronize_session="fetch")
    )


async def rules(session: AsyncSession, store_id: int) -> MemberRules | None:
    return await session.get(MemberRules, store_id)


async def rules_of(session: AsyncSession, store_ids: Iterable[int]) -> dict[int, MemberRules]:
    wanted = set(store_ids)
    if not wanted:
        return {}
    rows = await session.scalars(select(MemberRules).where(MemberRules.store_id.in_(wanted)))
    return {row.store_id: row for row in rows}


# Memberships


async def membership(
    session: AsyncSession, store_id: int, user_id: int, *, lock: bool = False
) -> Membership | None:
    """``lock`` holds the row until the transaction ends (PostgreSQL): every change to a
    member's points takes it first, so their lots are never consumed twice at once."""
    query = select(Membership).where(Membership.store_id == store_id, Membership.user_id == user_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def memberships_of_user(
    session: AsyncSession, user_id: int, store_ids: Iterable[int] | None = None
) -> list[tuple[Membership, Store]]:
    query = (
        select(Membership, Store)
        .join(Store, Store.id == Membership.store_id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.store_id)
    )
    if store_ids is not None:
        query = query.where(Membership.store_id.in_(set(store_ids)))
    return [tuple(row) for row in await session.execute(query)]


def store_members_query(
    store_id: int, level_id: int | None, phone_index: str | None
) -> Select[tuple[Membership]]:
    query = select(Membership).where(Membership.store_id == store_id)
    if level_id is not None:
        query = query.where(Membership.level_id == level_id)
    if phone_index is not None:
        query = query.join(User, User.id == Membership.user_id).where(
            User.phone_index == phone_index
        )
    return query


async def users(session: AsyncSession, ids: Iterable[int]) -> dict[int, User]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {u.id: u for u in await session.scalars(select(User).where(User.id.in_(wanted)))}


# The ledger


def ledger_query(store_id: int, user_id: int) -> Select[tuple[PointsEntry]]:
    return select(PointsEntry).where(
        PointsEntry.store_id == store_id, PointsEntry.user_id == user_id
    )


async def entry_for_order(
    session: AsyncSession, kind: PointsKind, order_id: int, store_id: int | None = None
) -> PointsEntry | None:
    query = select(PointsEntry).where(PointsEntry.kind == kind, PointsEntry.order_id == order_id)
    if store_id is not None:
        query = query.where(PointsEntry.store_id == store_id)
    return await session.scalar(query)


async def order_sums(
    session: AsyncSession, kind: PointsKind, order_id: int, store_id: int
) -> tuple[int, int, int]:
    """The sums of ``delta``, ``growth_delta`` and ``owed_delta`` over the order's entries of
    ``kind`` at the store (zeros when there are none)."""
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(PointsEntry.delta), 0),
                func.coalesce(func.sum(PointsEntry.growth_delta), 0),
                func.coalesce(func.sum(PointsEntry.owed_delta), 0),
            ).where(
                PointsEntry.store_id == store_id,
                PointsEntry.kind == kind,
                PointsEntry.order_id == order_id,
            )
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def _lots_with_points(store_id: int, user_id: int) -> Select[tuple[PointsEntry]]:
    """A member's credit lots that still hold points."""
    return select(PointsEntry).where(
        PointsEntry.store_id == store_id,
        PointsEntry.user_id == user_id,
        PointsEntry.remaining > 0,
    )


async def open_lots(
    session: AsyncSession, store_id: int, user_id: int, now: datetime
) -> list[PointsEntry]:
    """A member's unspent, unexpired credit, the first to expire first (then the oldest)."""
    rows = await session.scalars(
        _lots_with_points(store_id, user_id)
        .where(or_(PointsEntry.expires_at.is_(None), PointsEntry.expires_at > now))
        .order_by(PointsEntry.expires_at.is_(None), PointsEntry.expires_at, PointsEntry.id)
    )
    return list(rows)


async def due_lots(
    session: AsyncSession, store_id: int, user_id: int, now: datetime
) -> list[PointsEntry]:
    rows = await session.scalars(
        _lots_with_points(store_id, user_id)
        .where(PointsEntry.expires_at <= now)
        .order_by(PointsEntry.expires_at, PointsEntry.id)
    )
    return list(rows)


async def members_with_due_lots(
    session: AsyncSession, now: datetime, limit: int
) -> list[tuple[int, int]]:
    rows = await session.execute(
        select(PointsEntry.store_id, PointsEntry.user_id)
        .where(PointsEntry.remaining > 0, PointsEntry.expires_at <= now)
        .group_by(PointsEntry.store_id, PointsEntry.user_id)
        .order_by(PointsEntry.store_id, PointsEntry.user_id)
        .limit(limit)
    )
    return [(store_id, user_id) for store_id, user_id in rows]


async def expiring_lots(
    session: AsyncSession, members: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], list[tuple[datetime, int]]]:
    """The (expires_at, remaining) of every lot with points left that will expire, per
    (store, user): what lapses at any moment is counted from them."""
    wanted = list(set(members))
    if not wanted:
        return {}
    rows = await session.execute(
        select(
            PointsEntry.store_id, PointsEntry.user_id, PointsEntry.expires_at, PointsEntry.remaining
        )
        .where(
            or_(*(and_(PointsEntry.store_id == s, PointsEntry.user_id == u) for s, u in wanted)),
            PointsEntry.remaining > 0,
            PointsEntry.expires_at.is_not(None),
        )
        .order_by(PointsEntry.expires_at)
    )
    lots: dict[tuple[int, int], list[tuple[datetime, int]]] = {}
    for store_id, user_id, expires_at, remaining in rows:
        lots.setdefault((store_id, user_id), []).append((expires_at, remaining))
    return lots


async def lapsed_points(
    session: AsyncSession, members: Iterable[tuple[int, int]], now: datetime
) -> dict[tuple[int, int], int]:
    """Points past their expiry that the expiry job has not taken yet, per (store, user)."""
    wanted = list(set(members))
    if not wanted:
        return {}
    rows = await session.execute(
        select(PointsEntry.store_id, PointsEntry.user_id, func.sum(PointsEntry.remaining))
        .where(
            or_(*(and_(PointsEntry.store_id == s, PointsEntry.user_id == u) for s, u in wanted)),
            PointsEntry.remaining > 0,
            PointsEntry.expires_at <= now,
        )
        .group_by(PointsEntry.store_id, PointsEntry.user_id)
    )
    return {(store_id, user_id): int(total) for store_id, user_id, total in rows}


# Versions of pricing inputs


def pricing_versions(user_id: ColumnElement[Any], store_ids: Select) -> list[Select]:
    """Versions of what ``member_pricing`` reads for ``user_id`` in the stores ``store_ids``
    selects: memberships (level, points balance), levels and points rules (``core.versions``)."""
    return [
        versions_of(
            "membership",
            Membership.id,
            Membership.updated_at,
            Membership.user_id == user_id,
            Membership.store_id.in_(store_ids),
        ),
        versions_of(
            "member_level",
            MemberLevel.id,
            MemberLevel.updated_at,
            MemberLevel.store_id.in_(store_ids),
        ),
        versions_of(
            "member_rules",
            MemberRules.store_id,
            MemberRules.updated_at,
            MemberRules.store_id.in_(store_ids),
        ),
    ]
