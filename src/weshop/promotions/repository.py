"""Promotion queries. Store-owned rows are always looked up with their ``store_id`` (``None``
for the platform's), so another tenant's row is simply not found."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.catalog.models import Category, Product
from weshop.core.clock import utcnow
from weshop.core.versions import versions_of
from weshop.promotions.models import (
    CouponClaimCounter,
    CouponStatus,
    CouponTemplate,
    FullReductionRule,
    ReductionStatus,
    ShopperCoupon,
    StoreStackingSettings,
    TemplateStatus,
)
from weshop.stores.models import Store, StoreStatus


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _owned_by(model: Any, store_id: int | None) -> ColumnElement[bool]:
    return model.store_id.is_(None) if store_id is None else model.store_id == store_id


# Scope ids


async def existing_products(
    session: AsyncSession, store_id: int | None, ids: Iterable[int]
) -> set[int]:
    """Which of ``ids`` are products of the store (of any store for the platform)."""
    query = select(Product.id).where(Product.id.in_(set(ids)))
    if store_id is not None:
        query = query.where(Product.store_id == store_id)
    return set(await session.scalars(query))


async def existing_categories(
    session: AsyncSession, store_id: int | None, ids: Iterable[int]
) -> set[int]:
    query = select(Category.id).where(Category.id.in_(set(ids)))
    if store_id is not None:
        query = query.where(Category.store_id == store_id)
    return set(await session.scalars(query))


async def active_store(session: AsyncSession, store_id: int) -> Store | None:
    return await session.scalar(
        select(Store).where(Store.id == store_id, Store.status == StoreStatus.ACTIVE)
    )


# Coupon templates


async def template(
    session: AsyncSession, store_id: int | None, template_id: int
) -> CouponTemplate | None:
    return await session.scalar(
        select(CouponTemplate).where(
            CouponTemplate.id == template_id, _owned_by(CouponTemplate, store_id)
        )
    )


async def any_template(session: AsyncSession, template_id: int) -> CouponTemplate | None:
    """A template by id alone: shoppers may claim any store's or the platform's."""
    return await session.get(CouponTemplate, template_id)


def templates_query(
    store_id: int | None, status: TemplateStatus | None
) -> Select[tuple[CouponTemplate]]:
    query = select(CouponTemplate).where(_owned_by(CouponTemplate, store_id))
    if status is not None:
        query = query.where(CouponTemplate.status == status)
    return query


def claimable_query(
    store_id: int | None, now: datetime, *, with_sold_out: bool = False
) -> Select[tuple[CouponTemplate]]:
    """Active, not sold out (unless ``with_sold_out``), window not over: the platform's, and
    the store's if given."""
    owners = CouponTemplate.store_id.is_(None)
    if store_id is not None:
        owners = or_(owners, CouponTemplate.store_id == store_id)
    query = select(CouponTemplate).where(
        owners,
        CouponTemplate.status == TemplateStatus.ACTIVE,
        or_(CouponTemplate.valid_until.is_(None), CouponTemplate.valid_until > now),
    )
    if not with_sold_out:
        query = query.where(CouponTemplate.claimed_count < CouponTemplate.total_quantity)
    return query


async def claims_by_shopper(
    session: AsyncSession, user_id: int, template_ids: set[int]
) -> dict[int, int]:
    """How many of each template this shopper has claimed (used or not)."""
    if not template_ids:
        return {}
    rows = await session.execute(
        select(CouponClaimCounter.template_id, CouponClaimCounter.claimed).where(
            CouponClaimCounter.user_id == user_id,
            CouponClaimCounter.template_id.in_(template_ids),
        )
    )
    return {template_id: claimed for template_id, claimed in rows}


async def take_claim_slot(session: AsyncSession, template_id: int) -> bool:
    """One more coupon of the template, if it is active and not sold out. A conditional
    UPDATE: concurrent claims queue on the row and each re-checks the count it finds."""
    result = await session.execute(
        update(CouponTemplate)
        .where(
            CouponTemplate.id == template_id,
            CouponTemplate.status == TemplateStatus.ACTIVE,
            CouponTemplate.claimed_count < CouponTemplate.total_quantity,
        )
        .values(claimed_count=CouponTemplate.claimed_count + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def take_shopper_slot(
    session: AsyncSession, template_id: int, user_id: int, limit: int
) -> bool:
    """One more claim by this shopper, if under ``limit``. The counter row is created first
    (a concurrent creator waits on the primary key, then does nothing), then moved by a
    conditional UPDATE that concurrent claims of the same shopper queue behind."""
    insert = _insert(session)
    await session.execute(
        insert(CouponClaimCounter)
        .values(template_id=template_id, user_id=user_id, claimed=0)
        .on_conflict_do_nothing(index_elements=["template_id", "user_id"])
    )
    result = await session.execute(
        update(CouponClaimCounter)
        .where(
            CouponClaimCounter.template_id == template_id,
            CouponClaimCounter.user_id == user_id,
            CouponClaimCounter.claimed < limit,
        )
        .values(claimed=CouponClaimCounter.claimed + 1)
    )
    return result.rowcount == 1


async def redemption_figures(
    session: AsyncSession, template_id: int, now: datetime
) -> dict[str, int]:
    """Coupons of a template by the status a shopper sees (an available coupon past its
    validity counts as expired before the sweep marks it), returns and discount given."""
    lapsed = case((ShopperCoupon.valid_until <= now, 1), else_=0)
    rows = await session.execute(
        select(
            ShopperCoupon.status,
            func.count(),
            func.sum(lapsed),
            func.sum(ShopperCoupon.discount_fen),
            func.sum(ShopperCoupon.return_count),
        )
        .where(ShopperCoupon.template_id == template_id)
        .group_by(ShopperCoupon.status)
    )
    figures = {str(status): 0 for status in CouponStatus}
    figures.update(returned=0, discount_given_fen=0)
    for status, count, lapsed_count, discount, returns in rows:
        moved = int(lapsed_count) if status == CouponStatus.AVAILABLE else 0
        figures[str(status)] += int(count) - moved
        figures[str(CouponStatus.EXPIRED)] += moved
        figures["returned"] += int(returns)
        if status == CouponStatus.USED:
            figures["discount_given_fen"] = int(discount)
    return figures


# Shopper coupons


def effective_status_filter(status: CouponStatus, now: datetime) -> ColumnElement[bool]:
    """What the shopper sees: an available coupon whose validity has passed is expired."""
    if status == CouponStatus.AVAILABLE:
        return and_(ShopperCoupon.status == CouponStatus.AVAILABLE, ShopperCoupon.valid_until > now)
    if status == CouponStatus.EXPIRED:
        return or_(
            ShopperCoupon.status == CouponStatus.EXPIRED,
            and_(ShopperCoupon.status == CouponStatus.AVAILABLE, ShopperCoupon.valid_until <= now),
        )
    return ShopperCoupon.status == status


def wallet_query(
    user_id: int, status: CouponStatus | None, now: datetime
) -> Select[tuple[ShopperCoupon]]:
    query = select(ShopperCoupon).where(ShopperCoupon.user_id == user_id)
    if status is not None:
        query = query.where(effective_status_filter(status, now))
    return query


async def templates_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, CouponTemplate]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.scalars(select(CouponTemplate).where(CouponTemplate.id.in_(wanted)))
    return {row.id: row for row in rows}


async def available_coupons(
    session: AsyncSession, user_id: int, store_ids: Iterable[int], not_ended_at: datetime
) -> list[tuple[ShopperCoupon, CouponTemplate]]:
    """The shopper's available coupons of ``store_ids`` or the platform whose window has not
    ended at ``not_ended_at`` (those not yet valid too), soonest to expire first."""
    rows = await session.execute(
        select(ShopperCoupon, CouponTemplate)
        .join(CouponTemplate, CouponTemplate.id == ShopperCoupon.template_id)
        .where(
            ShopperCoupon.user_id == user_id,
            ShopperCoupon.status == CouponStatus.AVAILABLE,
            ShopperCoupon.valid_until > not_ended_at,
            or_(ShopperCoupon.store_id.is_(None), ShopperCoupon.store_id.in_(set(store_ids))),
        )
        .order_by(ShopperCoupon.valid_until, ShopperCoupon.id)
    )
    return [(coupon, template) for coupon, template in rows]


async def move_coupons(
    session: AsyncSession,
    where: Iterable[ColumnElement[bool]],
    values: dict[str, Any],
) -> list[tuple[int, int]]:
    """A compare-and-set over the coupons ``where`` selects; the (id, template id) moved."""
    result = await session.execute(
        update(ShopperCoupon)
        .where(*where)
        .values(**values)
        .returning(ShopperCoupon.id, ShopperCoupon.template_id)
        .execution_options(synchronize_session=False)
    )
    return [(row[0], row[1]) for row in result]


async def add_used(session: AsyncSession, template_id: int, delta: int) -> None:
    await session.execute(
        update(CouponTemplate)
        .where(CouponTemplate.id == template_id)
        .values(used_count=CouponTemplate.used_count + delta)
        .execution_options(synchronize_session=False)
    )


# Full reductions


async def reduction(session: AsyncSession, store_id: int, rule_id: int) -> FullReductionRule | None:
    return await session.scalar(
        select(FullReductionRule).where(
            FullReductionRule.id == rule_id, FullReductionRule.store_id == store_id
        )
    )


def reductions_query(
    store_id: int, status: ReductionStatus | None
) -> Select[tuple[FullReductionRule]]:
    query = select(FullReductionRule).where(FullReductionRule.store_id == store_id)
    if status is not None:
        query = query.where(FullReductionRule.status == status)
    return query


async def active_reductions(
    session: AsyncSession, store_ids: Iterable[int], not_ended_at: datetime
) -> list[FullReductionRule]:
    """Active full-reduction rules of ``store_ids`` whose window has not ended at
    ``not_ended_at`` (those not yet started too)."""
    rows = await session.scalars(
        select(FullReductionRule)
        .where(
            FullReductionRule.store_id.in_(set(store_ids)),
            FullReductionRule.status == ReductionStatus.ACTIVE,
            or_(FullReductionRule.ends_at.is_(None), FullReductionRule.ends_at > not_ended_at),
        )
        .order_by(
            FullReductionRule.store_id, FullReductionRule.priority.desc(), FullReductionRule.id
        )
    )
    return list(rows)


# Stacking


async def stacking_settings(
    session: AsyncSession, store_ids: Iterable[int]
) -> dict[int, StoreStackingSettings]:
    wanted = set(store_ids)
    if not wanted:
        return {}
    rows = await session.scalars(
        select(StoreStackingSettings).where(StoreStackingSettings.store_id.in_(wanted))
    )
    return {row.store_id: row for row in rows}


async def save_stacking(
    session: AsyncSession, store_id: int, pairs: list[list[str]], campaigns: list[str]
) -> None:
    """Insert or replace in one statement, so two concurrent saves cannot collide."""
    insert = _insert(session)
    values = {"exclusive_pairs": pairs, "campaigns_without_promotions": campaigns}
    await session.execute(
        insert(StoreStackingSettings)
        .values(store_id=store_id, **values)
        .on_conflict_do_update(index_elements=["store_id"], set_={**values, "updated_at": utcnow()})
    )


# Versions of pricing inputs


def pricing_versions(user_id: ColumnElement[Any], store_ids: Select) -> list[Select]:
    """Versions of what ``usable_coupons``, ``active_reductions`` and ``stacking_settings``
    read for ``user_id`` in the stores ``store_ids`` selects (``core.versions``)."""
    wallet = (
        ShopperCoupon.user_id == user_id,
        ShopperCoupon.status == CouponStatus.AVAILABLE,
        or_(ShopperCoupon.store_id.is_(None), ShopperCoupon.store_id.in_(store_ids)),
    )
    return [
        versions_of("coupon", ShopperCoupon.id, ShopperCoupon.updated_at, *wallet),
        versions_of(
            "coupon_template",
            CouponTemplate.id,
            CouponTemplate.updated_at,
            CouponTemplate.id.in_(select(ShopperCoupon.template_id).where(*wallet)),
        ),
        versions_of(
            "full_reduction",
            FullReductionRule.id,
            FullReductionRule.updated_at,
            FullReductionRule.store_id.in_(store_ids),
        ),
        versions_of(
            "stacking",
            StoreStackingSettings.store_id,
            StoreStackingSettings.updated_at,
            StoreStackingSettings.store_id.in_(store_ids),
        ),
    ]
