"""Group buying (拼团) over HTTP: campaigns for a store's staff; campaigns, open groups and
groups for everyone; opening and joining groups for a signed-in shopper."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.auth import CurrentUser
from weshop.core.clock import utcnow
from weshop.core.errors import NotFound
from weshop.core.http import DbSession, IdempotencyKey
from weshop.core.idempotency import run_idempotent
from weshop.core.ids import MAX_ID, ProductId
from weshop.core.pagination import DEFAULT_LIMIT, CursorQuery, Limit, Page, page_of
from weshop.core.tenancy import StoreScope
from weshop.groupbuy import campaigns, membership, views
from weshop.groupbuy import repository as repo
from weshop.groupbuy.models import CampaignStatus, Group, GroupState
from weshop.groupbuy.schemas import (
    CampaignCreate,
    CampaignOut,
    CampaignPatch,
    FiguresOut,
    GroupOrderOut,
    GroupOut,
    JoinGroupIn,
    MyGroupOut,
    OpenGroupIn,
    ShopCampaignOut,
    StaffGroupOut,
)
from weshop.orders.checkout import PlacedCheckout, checkout_answer
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission

merchant = APIRouter(
    prefix="/api/v1/merchant/stores/{store_id}/group-buys", tags=["merchant: group buying"]
)
shop = APIRouter(prefix="/api/v1/shop", tags=["shop"])
me = APIRouter(prefix="/api/v1/me", tags=["group buying"])

CampaignId = Annotated[int, Path(ge=1, le=MAX_ID, description="Group-buy campaign id.")]
GroupId = Annotated[int, Path(ge=1, le=MAX_ID, description="Group id.")]

Reader = staff_with(Permission.PROMOTIONS_READ)
Writer = staff_with(Permission.PROMOTIONS_WRITE)

ORDER_CONFLICTS = {
    409: {
        "description": "`campaign_not_started`, `campaign_ended`, `campaign_stopped`, "
        "`campaign_changed` (its terms changed while the order was placed: try again), "
        "`sold_out` (the campaign's stock), `limit_reached` (per shopper), and for joining "
        "`group_closed`, `group_full`, `already_member`, `new_customers_only`; or what "
        "checkout answers (stock, coupons, points, delivery)."
    }
}


# Store staff


@merchant.post("", status_code=status.HTTP_201_CREATED, response_model=CampaignOut)
async def create_campaign(body: CampaignCreate, session: DbSession, scope: StoreScope = Writer):
    """Create a group-buy campaign over one of the store's products, active at once (groups
    open from `starts_at`). Bad terms answer 422 with their own code: `invalid_group_size`
    (2 to 50), `invalid_fill_window`, `invalid_stock`, `invalid_limit`, `invalid_window`
    (ends before it starts), `invalid_price` (below 1 fen), `price_above_sku_price`,
    `leader_price_above_group_price`, `duplicate_sku`, `unknown_sku` (not one of the
    product's); another store's product answers 404 `unknown_product`."""
    campaign = await campaigns.create_campaign(session, scope, body)
    return await views.campaign_answer(session, campaign, utcnow())


@merchant.get("", response_model=Page[CampaignOut])
async def list_campaigns(
    session: DbSession,
    scope: StoreScope = Reader,
    state: Annotated[CampaignStatus | None, Query(alias="status")] = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The store's group-buy campaigns, newest first."""
    rows = await campaigns.list_campaigns(session, scope, status=state, cursor=cursor, limit=limit)
    page = page_of(rows, limit, lambda row: row)
    now = utcnow()
    return Page(
        items=await views.campaign_answers(session, page.items, now), next_cursor=page.next_cursor
    )


@merchant.get("/{campaign_id}", response_model=CampaignOut)
async def get_campaign(campaign_id: CampaignId, session: DbSession, scope: StoreScope = Reader):
    """One campaign with its prices, stock and units sold."""
    campaign = await campaigns.get_campaign(session, scope, campaign_id)
    return await views.campaign_answer(session, campaign, utcnow())


@merchant.patch("/{campaign_id}", response_model=CampaignOut)
async def update_campaign(
    campaign_id: CampaignId, body: CampaignPatch, session: DbSession, scope: StoreScope = Writer
):
    """Change an active campaign's terms; what is left out stays. The result is checked as on
    creation (same 422 codes; the stock may not fall below the units live orders hold:
    `stock_below_sold`). Until a group has been opened every term may change. After that,
    only `name`, `ends_at` (earlier or later, not before now: 422 `ends_at_before_now`),
    `stock` and `per_shopper_limit`: a change of another term answers 422
    `<field>_locked` (`group_size_locked`, `fill_window_minutes_locked`, `prices_locked`,
    `starts_at_locked`, `simulated_fill_locked`, `new_customers_only_locked`,
    `full_group_policy_locked`) with the field in `details.field`; sending a term unchanged
    is no change. Orders already placed keep their price. A stopped campaign answers 409
    `campaign_stopped`."""
    campaign = await campaigns.update_campaign(session, scope, campaign_id, body)
    return await views.campaign_answer(session, campaign, utcnow())


@merchant.post("/{campaign_id}/stop", response_model=CampaignOut)
async def stop_campaign(campaign_id: CampaignId, session: DbSession, scope: StoreScope = Writer):
    """Stop the campaign: no group opens or is joined any more, and the groups not yet
    completed end now, as their deadline would end them: with the campaign's simulated fill
    an open group completes with the members it has; otherwise it fails and every member's
    own order is refunded (through the outbox, as on expiry). Unpaid orders of the campaign's
    groups, a leader's among them, are closed. Completed groups are untouched. Stopping twice
    answers 409 `illegal_transition`."""
    campaign = await campaigns.stop_campaign(session, scope, campaign_id)
    return await views.campaign_answer(session, campaign, utcnow())


@merchant.get("/{campaign_id}/groups", response_model=Page[StaffGroupOut])
async def campaign_groups(
    campaign_id: CampaignId,
    session: DbSession,
    scope: StoreScope = Reader,
    state: Annotated[GroupState | None, Query(alias="status")] = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The campaign's groups, newest first, each with every member (paid or not, left,
    refunded), its order and its state. Groups whose leader never paid are left out unless
    asked for by `status`."""
    campaign = await campaigns.get_campaign(session, scope, campaign_id)
    rows = await campaigns.list_groups(session, campaign, state=state, cursor=cursor, limit=limit)
    page = page_of(rows, limit, lambda row: row)
    items = await views.staff_group_answers(session, page.items)
    return Page(items=items, next_cursor=page.next_cursor)


@merchant.get("/{campaign_id}/figures", response_model=FiguresOut)
async def campaign_figures(campaign_id: CampaignId, session: DbSession, scope: StoreScope = Reader):
    """Groups opened, completed, failed and open; the success rate; paid members, new
    customers brought and the GMV of completed groups."""
    return FiguresOut.model_validate(await campaigns.campaign_figures(session, scope, campaign_id))


# Everyone


@shop.get("/products/{product_id}/group-buy", response_model=ShopCampaignOut)
async def product_group_buy(product_id: ProductId, session: DbSession):
    """The product's group buy running now, with the open groups one may join (可直接参团),
    closest to filling first; 404 when the product has none."""
    now = utcnow()
    campaign = await repo.live_campaign_of_product(session, product_id, now)
    if campaign is None:
        raise NotFound("this product has no group buy running")
    return await views.shop_campaign(session, campaign, now)


@shop.get("/groups/{group_id}", response_model=GroupOut)
async def get_group(group_id: GroupId, session: DbSession):
    """A group as its shared link shows it: state, size, paid members (names masked), what
    is missing (还差 N 人) and when it expires. A group whose leader has not paid is not
    shown (404)."""
    group = await _shown_group(session, group_id)
    return (await views.group_answers(session, [group]))[0]


async def _shown_group(session: AsyncSession, group_id: int) -> Group:
    group = await repo.group(session, group_id)
    if group is None or group.status in (GroupState.PENDING, GroupState.ABANDONED):
        raise NotFound("no such group")
    return group


# Shoppers


async def _order_answer(
    session: AsyncSession,
    user_id: int,
    key: str | None,
    endpoint: str,
    body: OpenGroupIn | JoinGroupIn,
    act,
) -> object:
    async def action() -> GroupOrderOut:
        group, placed = await act()
        return _group_order(group, placed)

    outcome = await run_idempotent(
        session,
        key=key,
        owner=f"user:{user_id}",
        endpoint=endpoint,
        payload=body.model_dump(mode="json"),
        action=action,
        model=GroupOrderOut,
    )
    return outcome.response()


def _group_order(group: Group, placed: PlacedCheckout) -> GroupOrderOut:
    return GroupOrderOut(**checkout_answer(placed).model_dump(), group_id=group.id)


@me.post(
    "/groups",
    status_code=status.HTTP_201_CREATED,
    response_model=GroupOrderOut,
    responses=ORDER_CONFLICTS,
)
async def open_group(body: OpenGroupIn, user: CurrentUser, session: DbSession, key: IdempotencyKey):
    """Open a group of a campaign as its leader: places the order at the group price (the
    leader's price when the campaign has one), with coupons and points as far as the store's
    stacking rules allow, and answers it as checkout does, with the group's id. The group
    shows to others once this order is paid; its window to fill runs from then. Until the
    group completes, its orders cannot ship. An unknown campaign answers 404. Accepts
    `Idempotency-Key`."""
    now = utcnow()
    return await _order_answer(
        session,
        user.id,
        key,
        "POST /me/groups",
        body,
        lambda: membership.open_group(session, user, body.campaign_id, body.order(), now),
    )


@me.post(
    "/group-members",
    status_code=status.HTTP_201_CREATED,
    response_model=GroupOrderOut,
    responses=ORDER_CONFLICTS,
)
async def join_group(body: JoinGroupIn, user: CurrentUser, session: DbSession, key: IdempotencyKey):
    """Join an open group: places the order at the group price. The place is taken when the
    order is paid; a payment that arrives after the group filled gets the campaign's policy
    (a new group led by the payer, or a refund at once). An unknown group, or one whose
    leader has not paid, answers 404. Accepts `Idempotency-Key`."""
    now = utcnow()
    return await _order_answer(
        session,
        user.id,
        key,
        "POST /me/group-members",
        body,
        lambda: membership.join_group(session, user, body.group_id, body.order(), now),
    )


@me.get("/groups", response_model=list[MyGroupOut])
async def my_groups(user: CurrentUser, session: DbSession):
    """The caller's groups, newest first: awaiting payment, paid, and refunded (the group
    failed, or had filled before the payment); not those the caller left."""
    return await views.my_groups(session, user.id)
