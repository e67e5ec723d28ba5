"""Full reductions (满减 / 满折) and stacking rules of a store, for its staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.errors import NotFound
from weshop.core.pagination import paginate
from weshop.core.tenancy import StoreScope
from weshop.pricing.inputs import CAMPAIGNS_WITHOUT_PROMOTIONS_DEFAULT
from weshop.promotions import repository as repo
from weshop.promotions.models import FullReductionRule, ReductionStatus
from weshop.promotions.rules import (
    check_reduction_window,
    checked_pairs,
    checked_scope,
    checked_tiers,
)
from weshop.promotions.schemas import ReductionIn, StackingIn
from weshop.promotions.state import REDUCTION_MACHINE


async def _checked(
    session: AsyncSession, scope: StoreScope, data: ReductionIn, now: datetime
) -> dict:
    check_reduction_window(data, now)
    return {
        "name": data.name,
        "kind": data.kind,
        "tiers": checked_tiers(data),
        "scope": await checked_scope(session, scope.store_id, data.scope),
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "priority": data.priority,
    }


async def create_reduction(
    session: AsyncSession, scope: StoreScope, data: ReductionIn, now: datetime
) -> FullReductionRule:
    """Check the rule (each refusal has its code, nothing is written) and create it active."""
    rule = FullReductionRule(
        store_id=scope.store_id,
        status=ReductionStatus.ACTIVE,
        **await _checked(session, scope, data, now),
    )
    session.add(rule)
    await session.flush()
    return rule


async def get_reduction(
    session: AsyncSession, scope: StoreScope, rule_id: int
) -> FullReductionRule:
    rule = await repo.reduction(session, scope.store_id, rule_id)
    if rule is None:
        raise NotFound("no such full reduction")
    return rule


async def list_reductions(
    session: AsyncSession,
    scope: StoreScope,
    *,
    status: ReductionStatus | None,
    cursor: str | None,
    limit: int,
) -> list[FullReductionRule]:
    query = repo.reductions_query(scope.store_id, status)
    return list(await session.scalars(paginate(query, FullReductionRule, cursor, limit)))


async def replace_reduction(
    session: AsyncSession, scope: StoreScope, rule_id: int, data: ReductionIn, now: datetime
) -> FullReductionRule:
    """Replace the rule's terms; orders already placed keep the discount they were given."""
    rule = await get_reduction(session, scope, rule_id)
    for name, value in (await _checked(session, scope, data, now)).items():
        setattr(rule, name, value)
    await session.flush()
    return rule


async def change_status(
    session: AsyncSession, scope: StoreScope, rule_id: int, action: str
) -> FullReductionRule:
    rule = await get_reduction(session, scope, rule_id)
    await REDUCTION_MACHINE.apply(session, rule, action)
    return rule


async def delete_reduction(session: AsyncSession, scope: StoreScope, rule_id: int) -> None:
    """Orders keep their own record of the discount, so the rule itself can go."""
    rule = await get_reduction(session, scope, rule_id)
    await session.delete(rule)
    await session.flush()


@dataclass(frozen=True)
class StackingSettings:
    exclusive_pairs: list[list[str]]
    campaigns_without_promotions: list[str]


async def stacking_settings(session: AsyncSession, scope: StoreScope) -> StackingSettings:
    saved = await repo.stacking_settings(session, [scope.store_id])
    row = saved.get(scope.store_id)
    if row is None:
        return StackingSettings([], sorted(CAMPAIGNS_WITHOUT_PROMOTIONS_DEFAULT))
    return StackingSettings(row.exclusive_pairs, row.campaigns_without_promotions)


async def save_stacking(
    session: AsyncSession, scope: StoreScope, data: StackingIn
) -> StackingSettings:
    settings = StackingSettings(checked_pairs(data), sorted(set(data.campaigns_without_promotions)))
    await repo.save_stacking(
        session, scope.store_id, settings.exclusive_pairs, settings.campaigns_without_promotions
    )
    return settings
