"""The points book: every change to a member's points is an entry here (the points ledger).

Locking order: a change takes the member's row lock first (``repository.membership(...,
lock=True)``), then reads and updates their lots, and moves the cached balance by a
conditional UPDATE that can never take it below zero. Several members are locked in
(store_id, user_id) order.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from weshop.core.errors import Conflict
from weshop.core.outbox import OutboxMessage, emit
from weshop.members import repository as repo
from weshop.members.levels import level_for
from weshop.members.models import Membership, PointsEntry, PointsKind

EXPIRE_TOPIC = "members.expire_points"
EXPIRED_REASON = "expired"


async def ensure_membership(session: AsyncSession, store_id: int, user_id: int) -> Membership:
    """The shopper's membership of the store, created at the base level when missing."""
    found = await repo.membership(session, store_id, user_id)
    if found is not None:
        return found
    levels = await repo.levels_of(session, store_id)
    base = level_for(levels, 0)
    await session.flush()
    try:
        # Two first orders at once: the unique index lets one insert win; the other reads it.
        async with session.begin_nested():
            membership = Membership(
                store_id=store_id,
                user_id=user_id,
                level_id=base.id if base else None,
                growth_value=0,
                points_balance=0,
            )
            session.add(membership)
            await session.flush()
            return membership
    except IntegrityError:
        found = await repo.membership(session, store_id, user_id)
        if found is None:
            raise
        return found


async def locked_membership(
    session: AsyncSession, store_id: int, user_id: int, *, create: bool = False
) -> Membership | None:
    if create:
        await ensure_membership(session, store_id, user_id)
    return await repo.membership(session, store_id, user_id, lock=True)


async def move(
    session: AsyncSession, membership: Membership, points: int, growth: int = 0, owed: int = 0
) -> None:
    """Add ``points`` (negative: take), ``growth`` and ``owed`` in one conditional UPDATE."""
    result = await session.execute(
        update(Membership)
        .where(Membership.id == membership.id, Membership.points_balance + points >= 0)
        .values(
            points_balance=Membership.points_balance + points,
            growth_value=Membership.growth_value + growth,
            points_owed=Membership.points_owed + owed,
        )
        .returning(Membership.points_balance, Membership.growth_value, Membership.points_owed)
        .execution_options(synchronize_session=False)
    )
    row = result.first()
    if row is None:
        raise Conflict(
            "not enough points",
            code="not_enough_points",
            details={"balance": membership.points_balance, "wanted": -points},
        )
    set_committed_value(membership, "points_balance", row[0])
    set_committed_value(membership, "growth_value", row[1])
    set_committed_value(membership, "points_owed", row[2])


async def relevel(session: AsyncSession, membership: Membership) -> bool:
    """Put the member on the level their growth reaches; True when it changed."""
    level = level_for(await repo.levels_of(session, membership.store_id), membership.growth_value)
    level_id = level.id if level else None
    if level_id == membership.level_id:
        return False
    membership.level_id = level_id
    await session.flush()
    return True


async def schedule_expiry(session: AsyncSession, expires_at: datetime) -> None:
    """Make sure an expiry run is due at the top of the hour after ``expires_at``: one outbox
    row per hour however many lots lapse in it (its dedupe key says which hour)."""
    hour = expires_at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    key = f"{EXPIRE_TOPIC}:{hour:%Y-%m-%dT%H}"
    await session.flush()
    if await _queued(session, key):
        return
    try:
        async with session.begin_nested():
            emit(session, EXPIRE_TOPIC, {}, due_at=hour, dedupe_key=key)
            await session.flush()
    except IntegrityError:
        pass  # another transaction queued this hour's run first


async def _queued(session: AsyncSession, key: str) -> bool:
    found = await session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key))
    return found is not None


def _entry(
    membership: Membership,
    kind: PointsKind,
    delta: int,
    reason: str,
    now: datetime,
    **values: object,
) -> PointsEntry:
    return PointsEntry(
        store_id=membership.store_id,
        user_id=membership.user_id,
        kind=kind,
        delta=delta,
        reason=reason[:100],
        created_at=now,
        **values,
    )


async def credit(
    session: AsyncSession,
    membership: Membership,
    kind: PointsKind,
    points: int,
    reason: str,
    now: datetime,
    *,
    expires_at: datetime | None,
    growth: int = 0,
    **values: object,
) -> PointsEntry:
    """A new lot of ``points`` (0 is allowed: an earn that records growth only)."""
    entry = _entry(
        membership,
        kind,
        points,
        reason,
        now,
        growth_delta=growth,
        remaining=points,
        expires_at=expires_at if points else None,
        **values,
    )
    session.add(entry)
    await move(session, membership, points, growth)
    await session.flush()
    if points and expires_at is not None:
        if expires_at <= now:
            await expire_member(session, membership, now)
        else:
            await schedule_expiry(session, expires_at)
    return entry


async def debit(
    session: AsyncSession,
    membership: Membership,
    kind: PointsKind,
    points: int,
    reason: str,
    now: datetime,
    *,
    growth: int = 0,
    owed: int = 0,
    **values: object,
) -> PointsEntry:
    """Take ``points`` from the member's lots, the first to expire first; never below zero.
    ``growth`` (negative: taken) and ``owed`` move with them, in the same entry."""
    await expire_member(session, membership, now)
    await move(session, membership, -points, growth, owed)
    left, latest = points, None
    never_expires = False
    for lot in await repo.open_lots(session, membership.store_id, membership.user_id, now):
        if left == 0:
            break
        taken = min(lot.remaining, left)
        lot.remaining -= taken
        left -= taken
        if lot.expires_at is None:
            never_expires = True
        elif latest is None or lot.expires_at > latest:
            latest = lot.expires_at
    if left:  # the balance said yes but the lots say no: the cache is wrong, refuse to go on
        raise RuntimeError(f"membership {membership.id}: lots hold {left} fewer than the balance")
    entry = _entry(
        membership,
        kind,
        -points,
        reason,
        now,
        expires_at=None if never_expires else latest,
        growth_delta=growth,
        owed_delta=owed,
        **values,
    )
    session.add(entry)
    await session.flush()
    return entry


async def expire_member(session: AsyncSession, membership: Membership, now: datetime) -> int:
    """Lapse the member's lots that expired by ``now``, one entry per lot; the member's row
    must be locked. Returns the points taken."""
    total = 0
    for lot in await repo.due_lots(session, membership.store_id, membership.user_id, now):
        amount, lot.remaining = lot.remaining, 0
        total += amount
        session.add(
            _entry(
                membership,
                PointsKind.EXPIRE,
                -amount,
                EXPIRED_REASON,
                now,
                source_entry_id=lot.id,
            )
        )
    if total:
        await move(session, membership, -total)
        await session.flush()
    return total


async def take_back(
    session: AsyncSession,
    membership: Membership,
    kind: PointsKind,
    points: int,
    growth: int,
    reason: str,
    now: datetime,
    **values: object,
) -> PointsEntry:
    """Take ``points`` and ``growth`` back (a refund's claw-back). Growth always can be: it
    was earned and nothing else lowers it. Points the balance (after lapsing what expired)
    lacks are not taken below zero but recorded as owed, for later earnings to pay off."""
    await expire_member(session, membership, now)
    taken = min(points, membership.points_balance)
    return await debit(
        session, membership, kind, taken, reason, now, growth=-growth, owed=points - taken, **values
    )
