"""Claiming coupons: never more than a template's quantity, never more than a shopper's limit.

Both limits are held by conditional UPDATEs checked by their row count (see the repository),
not by a read and a later write, so 64 concurrent claims of a coupon with 1 left make exactly
one coupon on SQLite and on PostgreSQL (READ COMMITTED) alike. A claim that fails after
taking a slot raises, and the caller's transaction gives the slot back by rolling back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.errors import Conflict, NotFound
from weshop.core.pagination import paginate
from weshop.promotions import repository as repo
from weshop.promotions.models import (
    CouponStatus,
    CouponTemplate,
    ShopperCoupon,
    TemplateStatus,
)


@dataclass(frozen=True)
class WalletPage:
    rows: list[ShopperCoupon]
    templates: dict[int, CouponTemplate]


def ensure_claimable(template: CouponTemplate, now: datetime) -> None:
    """Refuse a claim the template's status, window or quantity already rule out."""
    if template.status == TemplateStatus.PAUSED:
        raise Conflict("this coupon is paused: try again later", code="template_paused")
    if template.status == TemplateStatus.ENDED:
        raise Conflict("this coupon campaign has ended", code="template_ended")
    if template.valid_until is not None and template.valid_until <= now:
        raise Conflict("this coupon is no longer valid", code="template_expired")
    # Counts only grow, so a stale read that says "sold out" is still right.
    if template.claimed_count >= template.total_quantity:
        raise Conflict("all of these coupons have been claimed", code="sold_out")


def validity(template: CouponTemplate, now: datetime) -> tuple[datetime, datetime]:
    if template.valid_days_after_claim is not None:
        return now, now + timedelta(days=template.valid_days_after_claim)
    assert template.valid_from is not None and template.valid_until is not None
    return template.valid_from, template.valid_until


async def grant(
    session: AsyncSession,
    template: CouponTemplate,
    user_id: int,
    now: datetime,
    *,
    issued_by: int | None = None,
) -> ShopperCoupon:
    """One coupon of ``template`` into the shopper's wallet, or Conflict (sold_out,
    limit_reached, template_paused, template_ended, template_expired).

    The shopper's counter is taken before the template's: every claim takes the two rows in
    the same order, so concurrent claims queue instead of deadlocking, and the hot template
    row is held for the shortest time.
    """
    ensure_claimable(template, now)
    if not await repo.take_shopper_slot(session, template.id, user_id, template.per_shopper_limit):
        raise Conflict(
            f"at most {template.per_shopper_limit} of this coupon per shopper",
            code="limit_reached",
        )
    if not await repo.take_claim_slot(session, template.id):
        await session.refresh(template)
        ensure_claimable(template, now)  # paused or ended meanwhile
        raise Conflict("all of these coupons have been claimed", code="sold_out")
    valid_from, valid_until = validity(template, now)
    coupon = ShopperCoupon(
        template_id=template.id,
        store_id=template.store_id,
        user_id=user_id,
        status=CouponStatus.AVAILABLE,
        valid_from=valid_from,
        valid_until=valid_until,
        issued_by=issued_by,
        claimed_at=now,
    )
    session.add(coupon)
    await session.flush()
    return coupon


async def claim(
    session: AsyncSession, user_id: int, template_id: int, now: datetime
) -> tuple[ShopperCoupon, CouponTemplate]:
    """A shopper claims a coupon of a store (an active one) or of the platform."""
    template = await repo.any_template(session, template_id)
    if template is None or (
        template.store_id is not None
        and await repo.active_store(session, template.store_id) is None
    ):
        raise NotFound("no such coupon")
    coupon = await grant(session, template, user_id, now)
    return coupon, template


async def wallet(
    session: AsyncSession,
    user_id: int,
    *,
    status: CouponStatus | None,
    cursor: str | None,
    limit: int,
    now: datetime,
) -> WalletPage:
    """The shopper's coupons, newest first; ``limit + 1`` rows to tell whether more follow."""
    query = repo.wallet_query(user_id, status, now)
    rows = list(await session.scalars(paginate(query, ShopperCoupon, cursor, limit)))
    templates = await repo.templates_by_id(session, {row.template_id for row in rows})
    return WalletPage(rows=rows, templates=templates)


async def coupon_centre(
    session: AsyncSession,
    store_id: int | None,
    *,
    cursor: str | None,
    limit: int,
    now: datetime,
    with_sold_out: bool = False,
) -> list[CouponTemplate]:
    """Templates a shopper may claim now: the store's (an active one) and the platform's;
    with ``with_sold_out`` also those all claimed (the page shows them as 已抢光)."""
    if store_id is not None and await repo.active_store(session, store_id) is None:
        raise NotFound("no such store")
    query = repo.claimable_query(store_id, now, with_sold_out=with_sold_out)
    return list(await session.scalars(paginate(query, CouponTemplate, cursor, limit)))


async def at_limit(
    session: AsyncSession, user_id: int, templates: list[CouponTemplate]
) -> set[int]:
    """The templates this shopper may claim no more of (they hold their limit)."""
    counts = await repo.claims_by_shopper(session, user_id, {t.id for t in templates})
    return {t.id for t in templates if counts.get(t.id, 0) >= t.per_shopper_limit}
