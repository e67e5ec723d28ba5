"""Promoters and the alliance pool over HTTP: the policy and reviews for platform operators,
pool listings for a store's staff, applying and the pool for shoppers and promoters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from weshop.accounts.auth import CurrentOperator, CurrentUser
from weshop.affiliates import earnings, listings, pool, promoters, views
from weshop.affiliates.models import ListingStatus, PromoterStatus
from weshop.affiliates.promoters import NotAPromoter
from weshop.affiliates.schemas import (
    EarningsOut,
    ListingIn,
    ListingOut,
    PayoutAccountIn,
    PayoutAccountOut,
    PlanOut,
    PlanPatch,
    PolicyIn,
    PolicyOut,
    PoolItemOut,
    PromoterApplication,
    PromoterOut,
    ReviewReason,
)
from weshop.core.clock import utcnow
from weshop.core.http import DbSession
from weshop.core.ids import MAX_ID
from weshop.core.openapi import raises
from weshop.core.pagination import DEFAULT_LIMIT, CursorQuery, Limit, Page, page_of
from weshop.core.tenancy import StoreScope
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission

platform = APIRouter(prefix="/api/v1/platform", tags=["platform"])
merchant = APIRouter(
    prefix="/api/v1/merchant/stores/{store_id}/affiliate-listings",
    tags=["merchant: alliance pool"],
)
me = APIRouter(prefix="/api/v1/me", tags=["promoters"])

ListingId = Annotated[int, Path(ge=1, le=MAX_ID, description="Pool listing id.")]
PromoterId = Annotated[int, Path(ge=1, le=MAX_ID, description="Promoter id.")]

Reader = staff_with(Permission.PROMOTIONS_READ)
Writer = staff_with(Permission.PROMOTIONS_WRITE)


async def _listing_page(session, rows: list, limit: int) -> Page[ListingOut]:
    page = page_of(rows, limit, lambda row: row)
    return Page(
        items=await views.listing_answers(session, page.items), next_cursor=page.next_cursor
    )


# Platform: policy


@platform.get("/affiliate-policy", response_model=PolicyOut)
async def get_policy(operator: CurrentOperator, session: DbSession):
    """The affiliate policy: commission depth, binding window, minimum withdrawal and the
    after-sales freeze; the defaults (1 level, 7 days, 100 fen, 7 days) until set."""
    return views.policy_out(await promoters.current_policy(session))


@platform.put("/affiliate-policy", response_model=PolicyOut)
async def put_policy(body: PolicyIn, operator: CurrentOperator, session: DbSession):
    """Set the affiliate policy; a field left out takes its default. `max_depth` 3 or more
    answers 422 `depth_not_allowed`: multi-level distribution beyond two levels is illegal
    pyramid selling. Applies to applications and orders from now on."""
    return views.policy_out(await promoters.set_policy(session, operator.id, body))


# Platform: promoters


@platform.get("/promoters", response_model=Page[PromoterOut])
async def list_promoters(
    operator: CurrentOperator,
    session: DbSession,
    state: Annotated[PromoterStatus | None, Query(alias="status")] = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """Promoters and applicants, newest first (name and phone masked)."""
    rows = await promoters.list_promoters(session, state, cursor, limit)
    return page_of(rows, limit, views.promoter_out)


@platform.post("/promoters/{promoter_id}/approve", response_model=PromoterOut)
async def approve_promoter(promoter_id: PromoterId, operator: CurrentOperator, session: DbSession):
    """Approve a pending application: the promoter gets a unique 8-character share code.
    Any other state answers 409 `illegal_transition`."""
    return views.promoter_out(await promoters.approve(session, operator.id, promoter_id, utcnow()))


@platform.post("/promoters/{promoter_id}/reject", response_model=PromoterOut)
async def reject_promoter(
    promoter_id: PromoterId, body: ReviewReason, operator: CurrentOperator, session: DbSession
):
    """Reject a pending application with a reason the applicant sees. Any other state
    answers 409 `illegal_transition`."""
    return views.promoter_out(
        await promoters.reject(session, operator.id, promoter_id, body.reason, utcnow())
    )


# Platform: pool review


@platform.get("/affiliate-listings", response_model=Page[ListingOut])
async def review_queue(
    operator: CurrentOperator,
    session: DbSession,
    state: Annotated[ListingStatus | None, Query(alias="status")] = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """Every store's pool listings, newest first, with their plans in force; `status=pending`
    is the review queue."""
    rows = await listings.list_listings(session, None, state, cursor, limit)
    return await _listing_page(session, rows, limit)


@platform.post("/affiliate-listings/{listing_id}/approve", response_model=ListingOut)
async def approve_listing(listing_id: ListingId, operator: CurrentOperator, session: DbSession):
    """Put a pending listing in the pool. Any other state answers 409 `illegal_transition`."""
    listing = await listings.review(session, operator.id, listing_id, "approve", "", utcnow())
    return await views.listing_answer(session, listing)


@platform.post("/affiliate-listings/{listing_id}/reject", response_model=ListingOut)
async def reject_listing(
    listing_id: ListingId, body: ReviewReason, operator: CurrentOperator, session: DbSession
):
    """Refuse a pending listing with a reason; the store may list the product again. Any
    other state answers 409 `illegal_transition`."""
    listing = await listings.review(
        session, operator.id, listing_id, "reject", body.reason, utcnow()
    )
    return await views.listing_answer(session, listing)


@platform.post("/affiliate-listings/{listing_id}/take-down", response_model=ListingOut)
async def take_down_listing(
    listing_id: ListingId, body: ReviewReason, operator: CurrentOperator, session: DbSession
):
    """Take an approved listing out of the pool, with a reason. Any other state answers 409
    `illegal_transition`."""
    listing = await listings.review(
        session, operator.id, listing_id, "take_down", body.reason, utcnow()
    )
    return await views.listing_answer(session, listing)


# Store staff


@merchant.post("", status_code=status.HTTP_201_CREATED, response_model=ListingOut)
async def create_listing(body: ListingIn, session: DbSession, scope: StoreScope = Writer):
    """Put one of the store's products forward for the alliance pool with a plan (version 1);
    it joins the pool once the platform approves it. Another store's product answers 404
    `unknown_product`; a product with a pending or approved listing answers 409
    `already_listed`. Bad terms answer 422 with their own code: `invalid_window` (ends
    before it starts), `promoter_ids_required` (a listed plan without promoters),
    `unknown_promoter` (not an approved promoter), `promoter_ids_not_listed` (promoters on an
    open plan), `unknown_sku` (not a SKU of the listed product), `duplicate_sku`; a rate
    outside 0-9000 bps answers 422 `invalid_input`."""
    listing = await listings.create_listing(session, scope, body, utcnow())
    return await views.listing_answer(session, listing)


@merchant.get("", response_model=Page[ListingOut])
async def list_listings(
    session: DbSession,
    scope: StoreScope = Reader,
    state: Annotated[ListingStatus | None, Query(alias="status")] = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The store's pool listings, newest first, with their plans in force."""
    rows = await listings.list_listings(session, scope.store_id, state, cursor, limit)
    return await _listing_page(session, rows, limit)


@merchant.get("/{listing_id}", response_model=ListingOut)
async def get_listing(listing_id: ListingId, session: DbSession, scope: StoreScope = Reader):
    """One listing with its plan in force."""
    return await views.listing_answer(
        session, await listings.store_listing(session, scope, listing_id)
    )


@merchant.get("/{listing_id}/plans", response_model=list[PlanOut])
async def listing_plans(listing_id: ListingId, session: DbSession, scope: StoreScope = Reader):
    """Every version of the listing's plan, newest first, each with the moment it took
    effect."""
    listing = await listings.store_listing(session, scope, listing_id)
    return await views.plan_answers(session, await listings.plans(session, listing))


@merchant.patch("/{listing_id}", response_model=ListingOut)
async def revise_listing(
    listing_id: ListingId, body: PlanPatch, session: DbSession, scope: StoreScope = Writer
):
    """Change the plan: a new version from the one in force and the fields sent (null or
    left out: unchanged), effective now; earlier versions stay as they were, for the clicks
    made under them. The listing keeps its review state. A rejected, taken-down or ended
    listing answers 409 `illegal_transition`. The new terms are checked as on creation.
    Bad terms answer 422 with their own code: `invalid_window` (ends before it starts),
    `promoter_ids_required` (a listed plan without promoters), `unknown_promoter` (not an
    approved promoter), `promoter_ids_not_listed` (promoters on an open plan), `unknown_sku`
    (not a SKU of the listed product), `duplicate_sku`; a rate outside 0-9000 bps answers
    422 `invalid_input`."""
    listing = await listings.revise_plan(session, scope, listing_id, body, utcnow())
    return await views.listing_answer(session, listing)


@merchant.post("/{listing_id}/stop", response_model=ListingOut)
async def stop_listing(listing_id: ListingId, session: DbSession, scope: StoreScope = Writer):
    """Take the product out of the pool (the listing ends; the product may be listed again).
    An ended, rejected or taken-down listing answers 409 `illegal_transition`."""
    listing = await listings.end_listing(session, scope, listing_id, utcnow())
    return await views.listing_answer(session, listing)


# Shoppers and promoters


@me.post(
    "/promoter",
    status_code=status.HTTP_201_CREATED,
    response_model=PromoterOut,
    responses={
        200: {"description": "Applied before: the existing application.", "model": PromoterOut}
    },
)
async def apply_as_promoter(
    body: PromoterApplication, user: CurrentUser, session: DbSession, response: Response
):
    """Apply to be a promoter (推客) with a real name and a phone (stored encrypted, answered
    masked); the platform reviews it. One application per user: a repeat answers the
    existing one with 200 and changes nothing. An inviter's code that names no approved
    promoter answers 422 `unknown_inviter`."""
    promoter, created = await promoters.apply(session, user.id, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return views.promoter_out(promoter)


@me.get("/promoter", response_model=PromoterOut)
async def my_promoter(user: CurrentUser, session: DbSession):
    """The caller's promoter record: its review state, share code and parent; 404 before
    applying."""
    return views.promoter_out(await promoters.own(session, user.id))


@me.get("/affiliate-pool", response_model=Page[PoolItemOut])
@raises(NotAPromoter)
async def my_pool(
    user: CurrentUser,
    session: DbSession,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """What the caller may promote now: approved listings within their plan's window, open
    to every promoter or listed with the caller, newest first; each with its price range,
    the commission per unit of the default (cheapest) SKU in fen (rounded down), and the
    stock on sale. Only approved promoters: anyone else gets 403 `not_a_promoter`."""
    promoter = await promoters.approved(session, user.id)
    rows = await pool.pool_page(session, promoter, utcnow(), cursor, limit)
    page = page_of(rows, limit, lambda row: row)
    items = await pool.pool_items(session, page.items)
    return Page(items=await views.pool_answers(session, items), next_cursor=page.next_cursor)


@me.put("/promoter/payout-account", response_model=PayoutAccountOut)
@raises(NotAPromoter)
async def set_payout_account(body: PayoutAccountIn, user: CurrentUser, session: DbSession):
    """Where the provider sends the caller's commission at each settlement from now on: their
    WeChat openid under the platform's appid (a personal profit-sharing receiver). A value
    that is not an openid answers 422 `invalid_openid`. Commission settled before it was set
    stays owed by the store (`owed_fen` in the earnings)."""
    promoter = await promoters.approved(session, user.id)
    await earnings.set_payout_account(session, promoter, body.openid)
    return PayoutAccountOut(openid=promoter.payout_openid)


@me.get("/promoter/earnings", response_model=EarningsOut)
@raises(NotAPromoter)
async def my_earnings(
    user: CurrentUser,
    session: DbSession,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The caller's commission: estimated (placed), frozen (paid, until the after-sales
    window closes), settled, clawed back (refunded after settlement, carried against the
    next settlement), paid out (sent by the provider) and owed (settled without a payout
    account, held by the store); and the lines they earn on, newest first, with nothing of
    the buyer."""
    promoter = await promoters.approved(session, user.id)
    rows = await earnings.lines_page(session, promoter.id, cursor, limit)
    page = page_of(rows, limit, lambda line: line)
    totals = await earnings.totals(session, promoter.id)
    return views.earnings_out(promoter, totals, page.items, page.next_cursor)


@me.get(
    "/promoter/statements/{month}.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One settled commission a row."}},
)
@raises(NotAPromoter)
async def my_statement(
    month: Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM.")],
    user: CurrentUser,
    session: DbSession,
):
    """The month's statement (China time) as CSV, amounts in fen: each commission settled in
    it, then the income, the deduction, the taxable income and the individual income tax
    withheld on it as labour remuneration (劳务报酬), and the net."""
    promoter = await promoters.approved(session, user.id)
    body = await earnings.statement_csv(session, promoter.id, month)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="statement-{month}.csv"'},
    )
