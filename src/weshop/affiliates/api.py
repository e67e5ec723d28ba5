"""Promoters and the alliance pool over HTTP: the policy and reviews for platform operators,
pool listings for a store's staff, applying and the pool for shoppers and promoters."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response, status

from weshop.accounts.auth import CurrentOperator, CurrentUser
from weshop.affiliates import (
    dashboard,
    earnings,
    fraud,
    links,
    listings,
    pool,
    posters,
    promoters,
    selection,
    views,
)
from weshop.affiliates.clicks import Visit, client_key
from weshop.affiliates.links import NotInPool
from weshop.affiliates.models import HoldStatus, ListingStatus, PromoterStatus
from weshop.affiliates.promoters import NotAPromoter
from weshop.affiliates.schemas import (
    CommissionHoldOut,
    DashboardOut,
    EarningsOut,
    HoldDecision,
    ListingIn,
    ListingOut,
    OrderAttributionOut,
    PayoutAccountIn,
    PayoutAccountOut,
    PeriodFiguresOut,
    PlanOut,
    PlanPatch,
    PolicyIn,
    PolicyOut,
    PoolItemOut,
    PromoterApplication,
    PromoterOut,
    RecommendationOut,
    ReferralIn,
    ReferralOut,
    ReviewReason,
    ShareLinkIn,
    ShareLinkOut,
)
from weshop.core.clock import utcnow
from weshop.core.errors import NotFound
from weshop.core.http import DbSession, RuntimeDep, client_address
from weshop.core.ids import MAX_ID
from weshop.core.openapi import raises
from weshop.core.pagination import DEFAULT_LIMIT, CursorQuery, Limit, Page, page_of
from weshop.core.tenancy import StoreScope
from weshop.orders import service as order_service
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission
from weshop.web.i18n import request_language

platform = APIRouter(prefix="/api/v1/platform", tags=["platform"])
merchant = APIRouter(
    prefix="/api/v1/merchant/stores/{store_id}/affiliate-listings",
    tags=["merchant: alliance pool"],
)
me = APIRouter(prefix="/api/v1/me", tags=["promoters"])
shop = APIRouter(prefix="/api/v1/shop", tags=["shop"])
orders = APIRouter(
    prefix="/api/v1/merchant/stores/{store_id}/orders", tags=["merchant: alliance pool"]
)

ListingId = Annotated[int, Path(ge=1, le=MAX_ID, description="Pool listing id.")]
PromoterId = Annotated[int, Path(ge=1, le=MAX_ID, description="Promoter id.")]
OrderId = Annotated[int, Path(ge=1, le=MAX_ID, description="Order id.")]
LinkCode = Annotated[
    str, Path(min_length=1, max_length=12, pattern="^[0-9A-Z]+$", description="Share link code.")
]

Reader = staff_with(Permission.PROMOTIONS_READ)
Writer = staff_with(Permission.PROMOTIONS_WRITE)
OrderReader = staff_with(Permission.ORDERS_READ)


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
    """Change the plan: a new version from the one in force and the fields sent, effective
    now (left out: unchanged; `valid_until` or `agency_rate_bps` sent as null: cleared, no
    end or no agency rate; any other field sent as null: unchanged). Earlier versions stay
    as they were, for the clicks made under them. The listing keeps its review state. A
    rejected, taken-down or ended listing answers 409 `illegal_transition`. The new terms
    are checked as on creation. Bad terms answer 422 with their own code: `invalid_window`
    (ends before it starts), `promoter_ids_required` (a listed plan without promoters),
    `unknown_promoter` (not an approved promoter), `promoter_ids_not_listed` (promoters on
    an open plan), `unknown_sku` (not a SKU of the listed product), `duplicate_sku`; a rate
    outside 0-9000 bps answers 422 `invalid_input`."""
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
    the commission per unit of the default (cheapest) SKU in fen (rounded down), the stock
    on sale, and the product's last 30 days (every promoter's): units sold, visits through
    promoters' links, attributed paid orders, conversion and refund rate. Only approved
    promoters: anyone else gets 403 `not_a_promoter`."""
    promoter = await promoters.approved(session, user.id)
    now = utcnow()
    rows = await pool.pool_page(session, promoter, now, cursor, limit)
    page = page_of(rows, limit, lambda row: row)
    items = await pool.pool_items(session, page.items, now)
    return Page(items=await views.pool_answers(session, items), next_cursor=page.next_cursor)


@me.post("/share-links", response_model=ShareLinkOut)
@raises(NotAPromoter, NotInPool)
async def my_share_link(
    body: ShareLinkIn, user: CurrentUser, session: DbSession, runtime: RuntimeDep
):
    """The caller's share link (a short code) to a product of the pool open to them now, an
    open store, or a group buy's group, a bargain or a flash-sale item of a pool product: the
    same target always answers the same link. Following it records a click that binds the
    shopper to the caller (see the README's attribution rules); a group's, bargain's or flash
    item's clicks count under that channel. Only approved promoters (403 `not_a_promoter`);
    a product the caller may not promote now answers 422 `not_in_pool`, an unknown target 404."""
    promoter = await promoters.approved(session, user.id)
    ((kind, target_id),) = body.model_dump(exclude_none=True).items()
    target = links.Target(links.TARGET_FIELDS[kind], target_id)
    link = await links.share_link(session, promoter, target)
    return views.share_link_out(runtime, link)


@shop.post("/referrals/{code}", response_model=ReferralOut)
async def follow_referral(
    code: Annotated[str, Path(min_length=1, max_length=12, pattern=r"^[0-9A-Z]+$")],
    body: ReferralIn,
    user: CurrentUser,
    session: DbSession,
    request: Request,
):
    """A signed-in client (a mini-program, an app) followed a share link: record the click,
    as `/r/<code>` does for a browser, and answer the page it opens. An unknown code answers
    404."""
    visit = Visit(
        user_id=user.id,
        visitor_id=None,
        client_key=client_key(client_address(request), request.headers.get("user-agent", "")),
    )
    followed = await links.follow(session, code, body.channel, visit)
    if followed is None:
        raise NotFound("no such share link")
    return ReferralOut(target_path=followed.path, recorded=followed.click_id is not None)


@orders.get("/{order_id}/attribution", response_model=OrderAttributionOut)
async def order_attribution(order_id: OrderId, session: DbSession, scope: StoreScope = OrderReader):
    """Why each line of the order went to its promoter, or to nobody: the rule or the
    reason, the click it rests on (time, channel, promoter code) and the plan versions whose
    rules and rate applied. Every order placed has a decision for every line. Another
    store's order answers 404."""
    order = await order_service.store_order(session, scope, order_id)
    return await views.attribution_answer(session, order.id, order.order_no)


@platform.get("/orders/{order_id}/attribution", response_model=OrderAttributionOut)
async def any_order_attribution(order_id: OrderId, operator: CurrentOperator, session: DbSession):
    """The attribution of any order's lines, as the store sees it, for the platform's
    disputes with promoters."""
    order = await order_service.any_order(session, order_id)
    return await views.attribution_answer(session, order.id, order.order_no)


@me.get("/promoter/dashboard", response_model=DashboardOut)
@raises(NotAPromoter)
async def my_dashboard(user: CurrentUser, session: DbSession):
    """The caller's live figures for today (China time), the last 7 and the last 30 days:
    clicks, visitors, attributed orders, paid orders and what was paid for their lines; read
    from the rows at the moment of asking, so an event shows on the next request. Only
    approved promoters (403 `not_a_promoter`)."""
    promoter = await promoters.approved(session, user.id)
    now = utcnow()
    figures = await dashboard.dashboard(session, promoter.id, now)
    return DashboardOut(
        as_of=now,
        today=PeriodFiguresOut.model_validate(figures["today"], from_attributes=True),
        last_7_days=PeriodFiguresOut.model_validate(figures["7d"], from_attributes=True),
        last_30_days=PeriodFiguresOut.model_validate(figures["30d"], from_attributes=True),
    )


# Platform: commission holds


@platform.get("/commission-holds", response_model=Page[CommissionHoldOut])
async def commission_holds(
    operator: CurrentOperator,
    session: DbSession,
    state: Annotated[HoldStatus | None, Query(alias="status")] = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """Commissions the fraud rules hold, newest first, each with the rules that fired and
    their evidence (`click_burst`: a client's clicks on the promoter's links within minutes;
    `shared_address`: the order ships to the promoter's own phone or one their own orders
    ship to; `shared_device`: the decisive click came from a client the promoter's own
    account clicked from; `repeated_claw_backs`: 3 or more of the promoter's commissions of
    the last 90 days clawed back by refunds after settlement). A held commission, and its
    order's settlement, wait until it is released or voided."""
    rows = await fraud.list_holds(session, state, cursor, limit)
    page = page_of(rows, limit, lambda row: row)
    return Page(items=await views.hold_answers(session, page.items), next_cursor=page.next_cursor)


@platform.post("/commission-holds/{hold_id}/{action}", response_model=CommissionHoldOut)
async def decide_commission_hold(
    hold_id: Annotated[int, Path(ge=1, le=MAX_ID, description="Hold id.")],
    action: Annotated[Literal["release", "void"], Path(description="release | void")],
    body: HoldDecision,
    operator: CurrentOperator,
    session: DbSession,
):
    """Release a held commission (it goes on as if never held) or void it (it is cancelled),
    with a note; once only: a decided hold answers 409 `illegal_transition`."""
    hold = await fraud.decide_hold(session, operator.id, hold_id, action, body.note, utcnow())
    return (await views.hold_answers(session, [hold]))[0]


# Promoters: choosing what to promote


@me.get("/affiliate-pool/recommended", response_model=list[RecommendationOut])
@raises(NotAPromoter)
async def recommended_for_me(
    request: Request,
    user: CurrentUser,
    session: DbSession,
    limit: Limit = DEFAULT_LIMIT,
):
    """Best for you: the newest 200 listings of the caller's pool ranked by expected earnings
    per visit (conversion over the last 30 days, smoothed towards the pool's rate for
    products with few visits, × commission per unit), raised by the share of the caller's
    sales in the product's category; each card says why, in the page language. Only
    approved promoters: anyone else gets 403 `not_a_promoter`."""
    promoter = await promoters.approved(session, user.id)
    rows = await selection.recommended(session, promoter, utcnow(), limit)
    return await views.recommendation_answers(
        session, rows.ranked, rows.pool_conversion, request_language(request)
    )


@me.get(
    "/share-links/{code}/poster.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The poster (PNG)."}},
)
@raises(NotAPromoter, NotFound)
async def my_poster(
    code: LinkCode, request: Request, user: CurrentUser, session: DbSession, runtime: RuntimeDep
):
    """A poster of one of the caller's share links, 600×960 PNG: the product's photo (a store
    link: the store's logo and name), title, price, the caller's promoter code and a QR code
    of the link with `?ch=poster`, in the page language. Drawn once per content, then read
    from the media directory. Another promoter's link, or no such link, answers 404."""
    promoter = await promoters.approved(session, user.id)
    png = await posters.poster_png(
        session, runtime.settings, promoter, code, request_language(request)
    )
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


@me.put("/promoter/payout-account", response_model=PayoutAccountOut)
@raises(NotAPromoter)
async def set_payout_account(body: PayoutAccountIn, user: CurrentUser, session: DbSession):
    """Where the provider sends the caller's commission at each settlement from now on: their
    WeChat openid under the platform's appid (a personal profit-sharing receiver). A value
    that is not an openid answers 422 `invalid_openid`. Commission settled before it was set
    is owed by the store (`owed_fen` in the earnings) and sent by the store's next
    settlements, less any claw-backs owed back."""
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
