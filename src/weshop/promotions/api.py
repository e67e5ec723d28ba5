"""Promotions over HTTP: coupon templates for staff and operators, full reductions and
stacking rules for staff, the coupon centre and the wallet for shoppers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.auth import CurrentOperator, CurrentUser
from weshop.core.clock import utcnow
from weshop.core.http import DbSession, IdempotencyKey
from weshop.core.idempotency import run_idempotent
from weshop.core.ids import MAX_ID
from weshop.core.pagination import DEFAULT_LIMIT, CursorQuery, Limit, Page, page_of
from weshop.core.tenancy import StoreScope
from weshop.pricing.inputs import StackingGroup
from weshop.promotions import claims, coupons, reductions
from weshop.promotions.coupons import Owner
from weshop.promotions.models import CouponStatus, ReductionStatus, TemplateStatus
from weshop.promotions.schemas import (
    CentreCouponOut,
    ClaimIn,
    Figures,
    IssueIn,
    IssueOut,
    ReductionIn,
    ReductionOut,
    StackingIn,
    StackingOut,
    TemplateCreate,
    TemplateDetailOut,
    TemplateOut,
    WalletCouponOut,
    centre_out,
    reduction_out,
    template_out,
    wallet_out,
)
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission

merchant = APIRouter(prefix="/api/v1/merchant/stores/{store_id}", tags=["merchant: promotions"])
platform = APIRouter(prefix="/api/v1/platform/coupon-templates", tags=["platform"])
shop = APIRouter(prefix="/api/v1/shop", tags=["shop"])
me = APIRouter(prefix="/api/v1/me", tags=["coupons"])

TemplateId = Annotated[int, Path(ge=1, le=MAX_ID, description="Coupon template id.")]
ReductionId = Annotated[int, Path(ge=1, le=MAX_ID, description="Full-reduction rule id.")]
TemplateFilter = Annotated[TemplateStatus | None, Query(alias="status")]

Reader = staff_with(Permission.PROMOTIONS_READ)
Writer = staff_with(Permission.PROMOTIONS_WRITE)


# Coupon templates: the same operations for a store's staff and for platform operators.


async def _create(session: AsyncSession, owner: Owner, body: TemplateCreate) -> TemplateOut:
    return template_out(await coupons.create_template(session, owner, body, utcnow()))


async def _list(
    session: AsyncSession,
    owner: Owner,
    state: TemplateStatus | None,
    cursor: str | None,
    limit: int,
) -> Page[TemplateOut]:
    rows = await coupons.list_templates(session, owner, status=state, cursor=cursor, limit=limit)
    return page_of(rows, limit, template_out)


async def _detail(session: AsyncSession, owner: Owner, template_id: int) -> TemplateDetailOut:
    template = await coupons.get_template(session, owner, template_id)
    figures = await coupons.template_figures(session, template, utcnow())
    return TemplateDetailOut(
        **template_out(template).model_dump(), figures=Figures.model_validate(figures)
    )


async def _change(
    session: AsyncSession, owner: Owner, template_id: int, action: str
) -> TemplateOut:
    return template_out(await coupons.change_status(session, owner, template_id, action))


async def _issue(
    session: AsyncSession, owner: Owner, template_id: int, body: IssueIn, key: str | None
) -> JSONResponse:
    outcome = await run_idempotent(
        session,
        key=key,
        owner=f"user:{owner.actor_id}",
        endpoint=f"coupon-templates/{template_id}/issuances",
        payload=body.model_dump(),
        action=lambda: coupons.issue(session, owner, template_id, body.phones, utcnow()),
        model=IssueOut,
        status_code=200,
    )
    return outcome.response()


@merchant.post("/coupon-templates", status_code=status.HTTP_201_CREATED, response_model=TemplateOut)
async def create_template(body: TemplateCreate, session: DbSession, scope: StoreScope = Writer):
    """Create a store coupon template. Bad terms answer 422 with their own code
    (`threshold_below_discount`, `invalid_percent`, `invalid_window`, ...)."""
    return await _create(session, Owner.of(scope), body)


@merchant.get("/coupon-templates", response_model=Page[TemplateOut])
async def list_templates(
    session: DbSession,
    scope: StoreScope = Reader,
    state: TemplateFilter = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The store's coupon templates, newest first, one page at a time."""
    return await _list(session, Owner.of(scope), state, cursor, limit)


@merchant.get("/coupon-templates/{coupon_template_id}", response_model=TemplateDetailOut)
async def get_template(
    coupon_template_id: TemplateId, session: DbSession, scope: StoreScope = Reader
):
    """A template with its redemption figures: claimed, available, locked, used, expired,
    returned, and the discount its used coupons gave."""
    return await _detail(session, Owner.of(scope), coupon_template_id)


@merchant.post("/coupon-templates/{coupon_template_id}/pause", response_model=TemplateOut)
async def pause_template(
    coupon_template_id: TemplateId, session: DbSession, scope: StoreScope = Writer
):
    """Stop claims for now; coupons already claimed stay usable."""
    return await _change(session, Owner.of(scope), coupon_template_id, "pause")


@merchant.post("/coupon-templates/{coupon_template_id}/resume", response_model=TemplateOut)
async def resume_template(
    coupon_template_id: TemplateId, session: DbSession, scope: StoreScope = Writer
):
    """Open a paused template for claims again."""
    return await _change(session, Owner.of(scope), coupon_template_id, "resume")


@merchant.post("/coupon-templates/{coupon_template_id}/end", response_model=TemplateOut)
async def end_template(
    coupon_template_id: TemplateId, session: DbSession, scope: StoreScope = Writer
):
    """End the campaign for good: no more claims; claimed coupons stay usable."""
    return await _change(session, Owner.of(scope), coupon_template_id, "end")


@merchant.post("/coupon-templates/{coupon_template_id}/issuances", response_model=IssueOut)
async def issue_coupons(
    coupon_template_id: TemplateId,
    body: IssueIn,
    session: DbSession,
    key: IdempotencyKey,
    scope: StoreScope = Writer,
):
    """Give one coupon to each listed phone's shopper, within the quantity and per-shopper
    limit; each phone (masked) is reported issued or skipped with the reason."""
    return await _issue(session, Owner.of(scope), coupon_template_id, body, key)


@platform.post("", status_code=status.HTTP_201_CREATED, response_model=TemplateOut)
async def create_platform_template(
    body: TemplateCreate, operator: CurrentOperator, session: DbSession
):
    """Create a platform coupon (usable in every store, funded by the platform)."""
    return await _create(session, Owner.platform(operator.id), body)


@platform.get("", response_model=Page[TemplateOut])
async def list_platform_templates(
    operator: CurrentOperator,
    session: DbSession,
    state: TemplateFilter = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The platform's coupon templates, newest first."""
    return await _list(session, Owner.platform(operator.id), state, cursor, limit)


@platform.get("/{coupon_template_id}", response_model=TemplateDetailOut)
async def get_platform_template(
    coupon_template_id: TemplateId, operator: CurrentOperator, session: DbSession
):
    """A platform template with its redemption figures."""
    return await _detail(session, Owner.platform(operator.id), coupon_template_id)


@platform.post("/{coupon_template_id}/pause", response_model=TemplateOut)
async def pause_platform_template(
    coupon_template_id: TemplateId, operator: CurrentOperator, session: DbSession
):
    """Stop claims of a platform coupon for now."""
    return await _change(session, Owner.platform(operator.id), coupon_template_id, "pause")


@platform.post("/{coupon_template_id}/resume", response_model=TemplateOut)
async def resume_platform_template(
    coupon_template_id: TemplateId, operator: CurrentOperator, session: DbSession
):
    """Open a paused platform coupon for claims again."""
    return await _change(session, Owner.platform(operator.id), coupon_template_id, "resume")


@platform.post("/{coupon_template_id}/end", response_model=TemplateOut)
async def end_platform_template(
    coupon_template_id: TemplateId, operator: CurrentOperator, session: DbSession
):
    """End a platform coupon campaign for good."""
    return await _change(session, Owner.platform(operator.id), coupon_template_id, "end")


@platform.post("/{coupon_template_id}/issuances", response_model=IssueOut)
async def issue_platform_coupons(
    coupon_template_id: TemplateId,
    body: IssueIn,
    operator: CurrentOperator,
    session: DbSession,
    key: IdempotencyKey,
):
    """Give one platform coupon to each listed phone's shopper; reported per phone."""
    return await _issue(session, Owner.platform(operator.id), coupon_template_id, body, key)


# Full reductions and stacking rules


@merchant.post("/full-reductions", status_code=status.HTTP_201_CREATED, response_model=ReductionOut)
async def create_reduction(body: ReductionIn, session: DbSession, scope: StoreScope = Writer):
    """Create a 满减 / 满折 rule: tiers with strictly rising thresholds and discounts."""
    return reduction_out(await reductions.create_reduction(session, scope, body, utcnow()))


@merchant.get("/full-reductions", response_model=Page[ReductionOut])
async def list_reductions(
    session: DbSession,
    scope: StoreScope = Reader,
    state: Annotated[ReductionStatus | None, Query(alias="status")] = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The store's full-reduction rules, newest first."""
    rows = await reductions.list_reductions(
        session, scope, status=state, cursor=cursor, limit=limit
    )
    return page_of(rows, limit, reduction_out)


@merchant.get("/full-reductions/{reduction_id}", response_model=ReductionOut)
async def get_reduction(reduction_id: ReductionId, session: DbSession, scope: StoreScope = Reader):
    """One full-reduction rule."""
    return reduction_out(await reductions.get_reduction(session, scope, reduction_id))


@merchant.put("/full-reductions/{reduction_id}", response_model=ReductionOut)
async def replace_reduction(
    reduction_id: ReductionId, body: ReductionIn, session: DbSession, scope: StoreScope = Writer
):
    """Replace a rule's terms (checked as on creation); its status stays."""
    rule = await reductions.replace_reduction(session, scope, reduction_id, body, utcnow())
    return reduction_out(rule)


@merchant.post("/full-reductions/{reduction_id}/pause", response_model=ReductionOut)
async def pause_reduction(
    reduction_id: ReductionId, session: DbSession, scope: StoreScope = Writer
):
    """Stop applying a rule for now."""
    return reduction_out(await reductions.change_status(session, scope, reduction_id, "pause"))


@merchant.post("/full-reductions/{reduction_id}/resume", response_model=ReductionOut)
async def resume_reduction(
    reduction_id: ReductionId, session: DbSession, scope: StoreScope = Writer
):
    """Apply a paused rule again."""
    return reduction_out(await reductions.change_status(session, scope, reduction_id, "resume"))


@merchant.delete("/full-reductions/{reduction_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_reduction(
    reduction_id: ReductionId, session: DbSession, scope: StoreScope = Writer
) -> None:
    """Delete a rule; orders placed with it keep the discount they were given."""
    await reductions.delete_reduction(session, scope, reduction_id)


@merchant.get("/stacking-rules", response_model=StackingOut)
async def get_stacking(session: DbSession, scope: StoreScope = Reader):
    """Which promotion groups may not be combined on one order (none set: all combine), and
    which campaign prices take no promotion (none set: flash sales)."""
    return _stacking_out(scope.store_id, await reductions.stacking_settings(session, scope))


@merchant.put("/stacking-rules", response_model=StackingOut)
async def put_stacking(body: StackingIn, session: DbSession, scope: StoreScope = Writer):
    """Replace the store's exclusive pairs among full_reduction, store_coupon and
    platform_coupon, and the campaign kinds whose prices take no full reduction or coupon."""
    return _stacking_out(scope.store_id, await reductions.save_stacking(session, scope, body))


def _stacking_out(store_id: int, settings: reductions.StackingSettings) -> StackingOut:
    return StackingOut(
        store_id=store_id,
        groups=list(StackingGroup),
        exclusive_pairs=[(StackingGroup(a), StackingGroup(b)) for a, b in settings.exclusive_pairs],
        campaigns_without_promotions=settings.campaigns_without_promotions,
    )


# Shoppers


@shop.get("/coupons", response_model=Page[CentreCouponOut])
async def coupon_centre(
    session: DbSession,
    store_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Add this store's coupons.")
    ] = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The coupon centre: coupons that can be claimed now, the platform's and, with
    `store_id`, that store's."""
    rows = await claims.coupon_centre(session, store_id, cursor=cursor, limit=limit, now=utcnow())
    return page_of(rows, limit, centre_out)


@me.post("/coupons/claims", status_code=status.HTTP_201_CREATED, response_model=WalletCouponOut)
async def claim_coupon(body: ClaimIn, user: CurrentUser, session: DbSession, key: IdempotencyKey):
    """Claim a coupon into the wallet. 409 with `sold_out`, `limit_reached`,
    `template_paused`, `template_ended` or `template_expired`; never more coupons than the
    template has, even under concurrent claims. Accepts `Idempotency-Key`."""
    now = utcnow()

    async def action() -> WalletCouponOut:
        coupon, template = await claims.claim(session, user.id, body.template_id, now)
        return wallet_out(coupon, template, now)

    outcome = await run_idempotent(
        session,
        key=key,
        owner=f"user:{user.id}",
        endpoint="coupons/claims",
        payload=body.model_dump(),
        action=action,
        model=WalletCouponOut,
    )
    return outcome.response()


@me.get("/coupons", response_model=Page[WalletCouponOut])
async def my_coupons(
    user: CurrentUser,
    session: DbSession,
    state: Annotated[CouponStatus | None, Query(alias="status")] = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The wallet, newest first: `available` (usable until `valid_until`), `locked` (held
    by an unpaid order), `used` or `expired`."""
    now = utcnow()
    found = await claims.wallet(session, user.id, status=state, cursor=cursor, limit=limit, now=now)
    return page_of(found.rows, limit, lambda c: wallet_out(c, found.templates[c.template_id], now))
