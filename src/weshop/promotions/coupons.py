"""Coupon templates for their owners: a store's staff, or platform operators (``store_id``
None). An owner sees only its own templates: another store's answers 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.service import get_or_create_user
from weshop.core.crypto import mask_phone
from weshop.core.errors import Conflict, NotFound
from weshop.core.pagination import paginate
from weshop.core.tenancy import StoreScope
from weshop.promotions import repository as repo
from weshop.promotions.claims import ensure_claimable, grant
from weshop.promotions.models import CouponKind, CouponTemplate, TemplateStatus
from weshop.promotions.rules import check_template_terms, checked_scope
from weshop.promotions.schemas import IssueLine, IssueOut, TemplateCreate
from weshop.promotions.service import schedule_expiry_sweep
from weshop.promotions.state import TEMPLATE_MACHINE


@dataclass(frozen=True)
class Owner:
    """Who runs a template: staff of ``store_id``, or the platform when it is None."""

    store_id: int | None
    actor_id: int

    @classmethod
    def of(cls, scope: StoreScope) -> Owner:
        return cls(store_id=scope.store_id, actor_id=scope.actor_id)

    @classmethod
    def platform(cls, operator_id: int) -> Owner:
        return cls(store_id=None, actor_id=operator_id)


async def create_template(
    session: AsyncSession, owner: Owner, data: TemplateCreate, now: datetime
) -> CouponTemplate:
    """Check the terms (each refusal has its code, nothing is written) and create."""
    check_template_terms(data, now)
    scope = await checked_scope(session, owner.store_id, data.scope)
    percent = data.kind == CouponKind.PERCENT
    template = CouponTemplate(
        store_id=owner.store_id,
        name=data.name,
        description=data.description,
        kind=data.kind,
        amount_off_fen=0 if percent else data.amount_off_fen,
        percent_off=data.percent_off if percent else 0,
        cap_fen=data.cap_fen,
        threshold_fen=data.threshold_fen,
        scope=scope,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        valid_days_after_claim=data.valid_days_after_claim,
        total_quantity=data.total_quantity,
        per_shopper_limit=data.per_shopper_limit,
        return_on_refund=data.return_on_refund,
        status=TemplateStatus.ACTIVE,
        claimed_count=0,
        used_count=0,
        created_by=owner.actor_id,
    )
    session.add(template)
    await session.flush()
    await schedule_expiry_sweep(session, now)
    return template


async def get_template(session: AsyncSession, owner: Owner, template_id: int) -> CouponTemplate:
    template = await repo.template(session, owner.store_id, template_id)
    if template is None:
        raise NotFound("no such coupon template")
    return template


async def template_figures(
    session: AsyncSession, template: CouponTemplate, now: datetime
) -> dict[str, int]:
    """Claimed, available, locked, used, expired, returned, and the discount given."""
    figures = await repo.redemption_figures(session, template.id, now)
    return {"claimed": template.claimed_count, **figures}


async def list_templates(
    session: AsyncSession,
    owner: Owner,
    *,
    status: TemplateStatus | None,
    cursor: str | None,
    limit: int,
) -> list[CouponTemplate]:
    """Newest first; ``limit + 1`` rows so the caller can tell whether more follow."""
    query = repo.templates_query(owner.store_id, status)
    return list(await session.scalars(paginate(query, CouponTemplate, cursor, limit)))


async def change_status(
    session: AsyncSession, owner: Owner, template_id: int, action: str
) -> CouponTemplate:
    """Pause, resume or end, as TEMPLATE_MACHINE allows; anything else is a 409."""
    template = await get_template(session, owner, template_id)
    await TEMPLATE_MACHINE.apply(session, template, action)
    return template


async def issue(
    session: AsyncSession, owner: Owner, template_id: int, phones: list[str], now: datetime
) -> IssueOut:
    """Give one coupon to each phone's shopper (an account is made for a new phone), within
    the template's quantity and per-shopper limit; the rest are skipped with the reason.
    Each grant has its own savepoint, so a skipped one leaves nothing behind."""
    template = await get_template(session, owner, template_id)
    if template.status != TemplateStatus.ACTIVE:
        ensure_claimable(template, now)  # paused or ended: refuse the list, not each phone
    results = []
    for phone in dict.fromkeys(phones):
        user = await get_or_create_user(session, phone)
        try:
            async with session.begin_nested():
                coupon = await grant(session, template, user.id, now, issued_by=owner.actor_id)
        except Conflict as refused:
            results.append(
                IssueLine(phone=mask_phone(phone), outcome="skipped", reason=refused.code)
            )
        else:
            results.append(
                IssueLine(phone=mask_phone(phone), outcome="issued", coupon_id=coupon.id)
            )
    issued = sum(1 for line in results if line.outcome == "issued")
    return IssueOut(issued=issued, skipped=len(results) - issued, results=results)
