"""A store's member levels: a ladder by growth value, each level paying no more than the one
below it. Changing the ladder re-levels every member of the store in the same transaction.
Every ladder write takes the store's row lock first, so that checks across its levels see no
concurrent change."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.db import lock_row
from weshop.core.errors import Conflict, InvalidInput, NotFound, WeShopError
from weshop.core.tenancy import StoreScope
from weshop.members import repository as repo
from weshop.members.models import MemberLevel
from weshop.members.schemas import LevelIn, LevelPatch
from weshop.stores.models import Store

MAX_LEVELS = 20


def level_for(levels: Sequence[MemberLevel], growth: int) -> MemberLevel | None:
    """The highest level whose threshold ``growth`` reaches; ``levels`` lowest first."""
    found = None
    for level in levels:
        if level.growth_threshold <= growth:
            found = level
    return found


def next_level(levels: Sequence[MemberLevel], growth: int) -> MemberLevel | None:
    return next((level for level in levels if level.growth_threshold > growth), None)


def check_ladder(rungs: Sequence[tuple[int, int]], error: type[WeShopError] = InvalidInput) -> None:
    """``rungs`` are (growth_threshold, pay_percent): a base at 0, thresholds strictly
    increasing, and a higher level never paying a larger share than a lower one."""
    if not rungs:
        return
    ordered = sorted(rungs)
    if ordered[0][0] != 0:
        raise error("the lowest level must start at growth 0", code="base_level_required")
    for (low, low_pay), (high, high_pay) in itertools.pairwise(ordered):
        if low == high:
            raise error(
                "two levels cannot start at the same growth value",
                code="duplicate_threshold",
                details={"growth_threshold": high},
            )
        if high_pay > low_pay:
            raise error(
                "a higher level cannot pay a larger share than a lower one",
                code="pay_percent_increases",
                details={"growth_threshold": high, "pay_percent": high_pay},
            )


async def relevel_store(
    session: AsyncSession, store_id: int, levels: Sequence[MemberLevel]
) -> None:
    """Every member of the store onto the level their growth reaches: one UPDATE per band."""
    await session.flush()
    ordered = sorted(levels, key=lambda level: level.growth_threshold)
    if not ordered:
        await repo.set_level_band(session, store_id, None, 0, None)
        return
    uppers = [level.growth_threshold for level in ordered[1:]] + [None]
    for level, upper in zip(ordered, uppers, strict=True):
        await repo.set_level_band(session, store_id, level.id, level.growth_threshold, upper)


async def list_levels(session: AsyncSession, scope: StoreScope) -> list[MemberLevel]:
    return await repo.levels_of(session, scope.store_id)


def _find(levels: Sequence[MemberLevel], level_id: int) -> MemberLevel:
    for level in levels:
        if level.id == level_id:
            return level
    raise NotFound("no such member level")


def _check_name_free(levels: Sequence[MemberLevel], name: str, exclude_id: int | None) -> None:
    if any(level.name == name and level.id != exclude_id for level in levels):
        raise Conflict("another level of this store has this name", code="duplicate_level_name")


async def create_level(session: AsyncSession, scope: StoreScope, data: LevelIn) -> MemberLevel:
    await lock_row(session, Store, scope.store_id)
    levels = await repo.levels_of(session, scope.store_id)
    if len(levels) >= MAX_LEVELS:
        raise Conflict(f"a store has at most {MAX_LEVELS} member levels", code="too_many")
    _check_name_free(levels, data.name, None)
    check_ladder(
        [(lv.growth_threshold, lv.pay_percent) for lv in levels]
        + [(data.growth_threshold, data.pay_percent)]
    )
    level = MemberLevel(store_id=scope.store_id, **data.model_dump())
    session.add(level)
    await relevel_store(session, scope.store_id, [*levels, level])
    return level


async def update_level(
    session: AsyncSession, scope: StoreScope, level_id: int, patch: LevelPatch
) -> MemberLevel:
    await lock_row(session, Store, scope.store_id)
    levels = await repo.levels_of(session, scope.store_id)
    level = _find(levels, level_id)
    changes = patch.model_dump(exclude_none=True)
    if "name" in changes:
        _check_name_free(levels, changes["name"], level.id)
    threshold = changes.get("growth_threshold", level.growth_threshold)
    pay = changes.get("pay_percent", level.pay_percent)
    check_ladder(
        [(lv.growth_threshold, lv.pay_percent) for lv in levels if lv.id != level.id]
        + [(threshold, pay)]
    )
    for name, value in changes.items():
        setattr(level, name, value)
    await relevel_store(session, scope.store_id, levels)
    return level


async def delete_level(session: AsyncSession, scope: StoreScope, level_id: int) -> None:
    """Its members move to the level their growth now reaches; the base level goes last."""
    await lock_row(session, Store, scope.store_id)
    levels = await repo.levels_of(session, scope.store_id)
    level = _find(levels, level_id)
    rest = [lv for lv in levels if lv.id != level.id]
    check_ladder([(lv.growth_threshold, lv.pay_percent) for lv in rest], Conflict)
    await relevel_store(session, scope.store_id, rest)
    await session.delete(level)
    await session.flush()
