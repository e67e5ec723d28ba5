"""Storefront pages of group buying: the 拼团 block of a product's page, a group's shareable
page (``/g/{id}``, with its sharing card: the product's photo, the group price and 还差 N 人),
opening and joining from them, and 我的拼团.

Opening or joining places the order at once (to the shopper's default address, with the
best coupons the store's stacking rules allow) and goes to the order, where it is paid.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from weshop.accounts import service as accounts
from weshop.accounts.models import User
from weshop.accounts.page_session import PageUser
from weshop.catalog import repository as catalog_repo
from weshop.catalog.models import Product
from weshop.catalog.schemas import cover_url
from weshop.catalog.web import absolute
from weshop.core.clock import utcnow
from weshop.core.errors import NotFound, WeShopError
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import PathId
from weshop.groupbuy import membership, views
from weshop.groupbuy import repository as repo
from weshop.groupbuy.models import GroupCampaign, GroupState
from weshop.groupbuy.schemas import GroupOrderIn
from weshop.web.console_forms import N_
from weshop.web.csrf import verify_csrf
from weshop.web.errors import ERROR_MESSAGES
from weshop.web.forms import posted_values, undo_on_error
from weshop.web.pending_action import resumable
from weshop.web.response_cache import Audience, cached_response
from weshop.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)])
# A guest's 开团 or 参团 is finished after they sign in.
resumable(r"/group-buys/\d+/open", N_("Start the group"))
resumable(r"/g/\d+/join", N_("Join the group"))

ERRORS = {
    # What checkout refuses (stock, coupons, delivery...), in the site's words for it.
    **ERROR_MESSAGES,
    "campaign_not_started": N_("This group buy has not started yet."),
    "campaign_ended": N_("This group buy has ended."),
    "campaign_stopped": N_("This group buy has been stopped."),
    "sold_out": N_("Sorry, this group buy is sold out."),
    "limit_reached": N_("You have reached this group buy's limit per shopper."),
    "group_closed": N_("This group is no longer open. Open a group of your own."),
    "group_full": N_("This group is full. Open a group of your own."),
    "already_member": N_("You are already in this group."),
    "new_customers_only": N_("Only new customers of this store may join this group."),
    "unknown_sku": N_("Choose a spec of this group buy."),
    "error": N_("That could not be done. Please try again."),
}


async def product_section(
    request: Request, session: AsyncSession, product_id: int
) -> dict[str, Any] | None:
    """The 拼团 block of a product's page: the group price, N人团, open a group, and the
    groups one may join (可直接参团) with what each still misses and a countdown."""
    now = utcnow()
    campaign = await repo.live_campaign_of_product(session, product_id, now)
    if campaign is None:
        return None
    found = await views.shop_campaign(session, campaign, now)
    return {
        "template": "groupbuy/shop/_product_block.html",
        "group_buy": found,
        "errors": ERRORS,
    }


async def _cover(session: AsyncSession, product: Product) -> str | None:
    return cover_url(product, await catalog_repo.media(session, product.image_ids[:1]))


@router.get("/g/{group_id}")
@cached_response()
async def group_page(
    request: Request, group_id: PathId, session: DbSession, runtime: RuntimeDep
) -> Response:
    """A group as its shared link shows it: members (names masked), what it still misses,
    the countdown, and the form to join it while it is open."""
    group = await repo.group(session, group_id)
    if group is None or group.status in (GroupState.PENDING, GroupState.ABANDONED):
        raise NotFound("no such group")
    now = utcnow()
    campaign = await session.get_one(GroupCampaign, group.campaign_id)
    product = await session.get_one(Product, group.product_id)
    answer = (await views.group_answers(session, [group]))[0]
    camp = await views.campaign_answer(session, campaign, now)
    joinable = (
        group.status == GroupState.OPEN
        and group.expires_at is not None
        and group.expires_at > now
        and camp.live
    )
    cover = await _cover(session, product)
    return render(
        request,
        "groupbuy/shop/group.html",
        {
            "group": answer,
            "campaign": camp,
            "product": product,
            "joinable": joinable,
            "cover": cover,
            "share_url": absolute(runtime, f"/g/{group.id}"),
            "share_image": absolute(runtime, cover),
            "error": ERRORS.get(request.query_params.get("error", "")),
            "tab": "home",
        },
    )


def _open_body(form: dict[str, Any], address_id: int) -> GroupOrderIn | None:
    sku, quantity = form.get("sku_id"), form.get("quantity") or "1"
    if not (isinstance(sku, str) and sku.isdigit() and isinstance(quantity, str)):
        return None
    if not quantity.isdigit() or len(sku) > 18 or len(quantity) > 4:
        return None
    return GroupOrderIn(sku_id=int(sku), quantity=int(quantity), address_id=address_id)


async def _place(
    request: Request, session: AsyncSession, user: User, back: str, act: Any
) -> Response:
    form = await posted_values(request)
    addresses = await accounts.list_addresses(session, user)
    if not addresses:
        return RedirectResponse(f"/me/addresses/new?{urlencode({'next': back})}", 303)
    body = _open_body(form, addresses[0].id)
    if body is None:
        return RedirectResponse(f"{back}?error=unknown_sku", 303)
    # No Idempotency-Key here: these forms sit on pages kept for every visitor; the page
    # script refuses a second submission while the first is under way.
    try:
        async with undo_on_error(session):
            _, placed = await act(body)
    except WeShopError as exc:
        code = exc.code if exc.code in ERRORS else "error"
        return RedirectResponse(f"{back}?{urlencode({'error': code})}", 303)
    return RedirectResponse(f"/me/orders/{placed.orders[0].id}?notice=placed", 303)


@router.post("/group-buys/{campaign_id}/open")
async def open_group(
    request: Request, campaign_id: PathId, user: PageUser, session: DbSession
) -> Response:
    campaign = await session.get(GroupCampaign, campaign_id)
    if campaign is None:
        raise NotFound("no such group buy")
    now = utcnow()
    return await _place(
        request,
        session,
        user,
        f"/p/{campaign.product_id}",
        lambda body: membership.open_group(session, user, campaign_id, body, now),
    )


@router.post("/g/{group_id}/join")
async def join_group(
    request: Request, group_id: PathId, user: PageUser, session: DbSession
) -> Response:
    now = utcnow()
    return await _place(
        request,
        session,
        user,
        f"/g/{group_id}",
        lambda body: membership.join_group(session, user, group_id, body, now),
    )


@router.get("/me/groups")
@cached_response(Audience.SESSION)
async def my_groups(request: Request, user: PageUser, session: DbSession) -> Response:
    """我的拼团: the shopper's groups, newest first, with their state and link."""
    return render(
        request,
        "groupbuy/shop/my_groups.html",
        {"my_groups": await views.my_groups(session, user.id), "tab": "me"},
    )
