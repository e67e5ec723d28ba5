"""Bargaining over HTTP: campaigns, bargains and figures for a store's staff; a product's
campaigns, a bargain by its link, start, help and buy for shoppers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response, status

from weshop.accounts.auth import CurrentUser
from weshop.bargain import buying, campaigns, service, views
from weshop.bargain.models import BargainState, CampaignStatus
from weshop.bargain.schemas import (
    BargainOut,
    BuyIn,
    CampaignIn,
    CampaignOut,
    FiguresOut,
    MerchantBargainOut,
    ShopCampaignOut,
    StartIn,
)
from weshop.core.clock import utcnow
from weshop.core.http import DbSession, IdempotencyKey, client_address
from weshop.core.idempotency import run_idempotent
from weshop.core.ids import MAX_ID, ProductId
from weshop.core.pagination import DEFAULT_LIMIT, CursorQuery, Limit, Page, encode_cursor
from weshop.core.tenancy import StoreScope
from weshop.orders.checkout import checkout_answer
from weshop.orders.schemas import CheckoutOut
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission

merchant = APIRouter(
    prefix="/api/v1/merchant/stores/{store_id}/bargain", tags=["merchant: bargains"]
)
shop = APIRouter(prefix="/api/v1/shop", tags=["shop"])
me = APIRouter(prefix="/api/v1/me", tags=["bargains"])

CampaignId = Annotated[int, Path(ge=1, le=MAX_ID, description="Bargain campaign id.")]
BargainId = Annotated[int, Path(ge=1, le=MAX_ID, description="Bargain id.")]
CampaignFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this campaign's.")]
DeviceId = Annotated[
    str | None,
    Header(
        alias="X-Device-Id",
        max_length=64,
        description="The client's device id (the app's, or the `weshop_device` cookie of the "
        "pages): helps from the starter's device or IP beyond the campaign's "
        "`max_shared_helps` are recorded, not counted.",
    ),
]

Reader = staff_with(Permission.PROMOTIONS_READ)
Writer = staff_with(Permission.PROMOTIONS_WRITE)


def _client(request: Request, device: str | None) -> service.Client:
    return service.Client(
        ip=client_address(request), device=device or request.cookies.get("weshop_device", "")
    )


# Staff


@merchant.post("/campaigns", status_code=status.HTTP_201_CREATED, response_model=CampaignOut)
async def create_campaign(body: CampaignIn, session: DbSession, scope: StoreScope = Writer):
    """Create a bargain campaign on one of the store's SKUs. Bad terms answer 422 with their
    own code: `floor_not_below_start`, `start_above_price`, `invalid_helps`,
    `ambiguous_helps`, `cut_room_too_small` (start − floor below K fen), `invalid_window_hours`,
    `invalid_window` (ends before it starts), `invalid_stock`, `invalid_limit`,
    `invalid_daily_cap`, `invalid_max_shared_helps`, `unknown_sku` (not this store's),
    `sku_inactive`."""
    campaign = await campaigns.create_campaign(session, scope, body)
    return views.campaign_out(campaign, utcnow())


@merchant.get("/campaigns", response_model=Page[CampaignOut])
async def list_campaigns(
    session: DbSession,
    scope: StoreScope = Reader,
    state: Annotated[CampaignStatus | None, Query(alias="status")] = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The store's bargain campaigns, newest first, with their phase now."""
    rows = await campaigns.list_campaigns(session, scope, status=state, cursor=cursor, limit=limit)
    now = utcnow()
    return _page(rows, limit, [views.campaign_out(c, now) for c in rows[:limit]])


@merchant.get("/campaigns/{bargain_campaign_id}", response_model=CampaignOut)
async def get_campaign(
    bargain_campaign_id: CampaignId, session: DbSession, scope: StoreScope = Reader
):
    """One campaign."""
    return views.campaign_out(
        await campaigns.get_campaign(session, scope, bargain_campaign_id), utcnow()
    )


@merchant.put("/campaigns/{bargain_campaign_id}", response_model=CampaignOut)
async def replace_campaign(
    bargain_campaign_id: CampaignId,
    body: CampaignIn,
    session: DbSession,
    scope: StoreScope = Writer,
):
    """Replace a campaign's terms (checked as on creation). Bargains already started keep
    their prices and K; 422 `sku_locked` when the SKU changes after a bargain started,
    `stock_below_sold`, `campaign_stopped`."""
    campaign = await campaigns.update_campaign(session, scope, bargain_campaign_id, body)
    return views.campaign_out(campaign, utcnow())


@merchant.post("/campaigns/{bargain_campaign_id}/stop", response_model=CampaignOut)
async def stop_campaign(
    bargain_campaign_id: CampaignId, session: DbSession, scope: StoreScope = Writer
):
    """Stop for good: no new bargains, helps or purchases (409 `illegal_transition` if
    already stopped). Orders already placed are not touched."""
    campaign = await campaigns.stop_campaign(session, scope, bargain_campaign_id)
    return views.campaign_out(campaign, utcnow())


@merchant.get("/bargains", response_model=Page[MerchantBargainOut])
async def list_bargains(
    session: DbSession,
    scope: StoreScope = Reader,
    campaign_id: CampaignFilter = None,
    state: Annotated[BargainState | None, Query(alias="status")] = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The store's bargains, newest first, each with its helps: counted ones with their
    cut, and those recorded but not counted with the reason (`shared_device`,
    `shared_ip`)."""
    rows = await campaigns.list_bargains(
        session, scope, campaign_id=campaign_id, status=state, cursor=cursor, limit=limit
    )
    return _page(rows, limit, await views.merchant_bargains(session, rows[:limit], utcnow()))


@merchant.get("/figures", response_model=FiguresOut)
async def figures(
    session: DbSession, scope: StoreScope = Reader, campaign_id: CampaignFilter = None
):
    """Conversion started → reached floor → bought (a bought bargain since refunded counts
    in `refunded` instead), helps counted and not, and helpers who became the store's
    customers; of one campaign or all of them."""
    return FiguresOut.model_validate(await campaigns.figures(session, scope, campaign_id))


def _page(rows: list, limit: int, items: list) -> Page:
    more = len(rows) > limit
    last = rows[limit - 1] if more else None
    return Page(items=items, next_cursor=encode_cursor(last.created_at, last.id) if last else None)


# Shoppers


@shop.get("/products/{product_id}/bargain-campaigns", response_model=list[ShopCampaignOut])
async def product_campaigns(product_id: ProductId, session: DbSession):
    """The product's bargain campaigns running or coming (none: an empty list)."""
    return await views.shop_campaigns(session, product_id, None, utcnow())


@shop.get("/bargains/{bargain_id}", response_model=BargainOut)
async def public_bargain(bargain_id: BargainId, session: DbSession):
    """A bargain as its shared link shows it: prices, progress, helpers' masked names and
    cuts. Anyone may read it."""
    return await views.bargain_out(session, bargain_id, None, utcnow())


@shop.post(
    "/bargains/{bargain_id}/helps",
    status_code=status.HTTP_201_CREATED,
    response_model=BargainOut,
    responses={
        200: {
            "model": BargainOut,
            "description": "You had helped this bargain before: that help, nothing written.",
        }
    },
)
async def help_bargain(
    bargain_id: BargainId,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: DbSession,
    device: DeviceId = None,
):
    """Help a friend's bargain: one help per account per bargain, never your own. Answers
    the bargain as it is after the help, with your cut in `your_help` (a help from the
    starter's device or IP beyond the campaign's allowance is recorded, not counted: its cut
    is 0 and the price does not move). Safe to repeat (a network retry) without an
    `Idempotency-Key`: helping a bargain you have helped writes nothing and answers 200 with
    that first help, whatever the bargain's state now. 409 with `self_help`,
    `daily_cap_reached`, `new_users_only`, `bargain_complete`, `bargain_expired` or
    `campaign_stopped`."""
    now = utcnow()
    helped = await service.help_bargain(session, user, bargain_id, _client(request, device), now)
    if not helped.created:
        response.status_code = status.HTTP_200_OK
    return await views.bargain_out(session, bargain_id, user, now)


@me.post(
    "/bargains",
    status_code=status.HTTP_201_CREATED,
    response_model=BargainOut,
    responses={
        200: {
            "model": BargainOut,
            "description": "You have a bargain of this campaign going: that one, nothing written.",
        }
    },
)
async def start_bargain(
    body: StartIn,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: DbSession,
    device: DeviceId = None,
):
    """Start a bargain of a campaign at its start price; share its link for friends to help.
    Safe to repeat (a network retry) without an `Idempotency-Key`: a shopper has at most one
    bargain of a campaign going, so starting again while it runs writes nothing and answers
    200 with that bargain. 409 with `campaign_not_started`, `campaign_ended`,
    `campaign_stopped`, `sold_out` or `limit_reached`."""
    now = utcnow()
    started = await service.start_bargain(
        session, user, body.campaign_id, _client(request, device), now
    )
    if not started.created:
        response.status_code = status.HTTP_200_OK
    return await views.bargain_out(session, started.bargain.id, user, now)


@me.get("/bargains", response_model=Page[BargainOut])
async def my_bargains(
    user: CurrentUser, session: DbSession, cursor: CursorQuery = None, limit: Limit = DEFAULT_LIMIT
):
    """Your bargains, newest first, each as its page shows it."""
    rows, items = await views.my_bargains(session, user, cursor, limit, utcnow())
    return _page(rows, limit, items)


@me.get("/bargains/{bargain_id}", response_model=BargainOut)
async def my_bargain(bargain_id: BargainId, user: CurrentUser, session: DbSession):
    """Your bargain, with `can_buy` and its order (another shopper's: 404; friends read it at
    `/api/v1/shop/bargains/{bargain_id}`)."""
    return await views.bargain_out(session, bargain_id, user, utcnow(), starter_only=True)


@me.post(
    "/bargains/{bargain_id}/orders", status_code=status.HTTP_201_CREATED, response_model=CheckoutOut
)
async def buy_bargain(
    bargain_id: BargainId, body: BuyIn, user: CurrentUser, session: DbSession, key: IdempotencyKey
):
    """Buy your bargain's unit at its current price (the floor, or earlier when the campaign
    allows it): one order, paid like any other. 404 for another shopper's bargain; 409 with
    `floor_not_reached`, `bargain_ordered`, `bargain_bought`, `bargain_refunded`,
    `bargain_expired`, `bargain_changed`, `campaign_stopped`, `limit_reached`, `sold_out` or
    the checkout's own codes. An order closed unpaid gives the bargain back while its window
    lasts; a paid one cancelled, or its line refunded in full, makes it `refunded`. Accepts
    `Idempotency-Key`."""

    async def action() -> CheckoutOut:
        return checkout_answer(await buying.buy(session, user, bargain_id, body, utcnow()))

    outcome = await run_idempotent(
        session,
        key=key,
        owner=f"user:{user.id}",
        endpoint=f"POST /me/bargains/{bargain_id}/orders",
        payload=body.model_dump(mode="json"),
        action=action,
        model=CheckoutOut,
    )
    return outcome.response()
