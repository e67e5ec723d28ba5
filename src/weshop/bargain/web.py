"""Storefront pages of bargaining: the 砍价 block of a product page, the shareable bargain
page (progress, "已砍 ¥x，还差 ¥y", help and buy buttons, countdown, share card), the
shopper's 我的砍价 list, and the forms that start, help and buy."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from weshop.accounts import service as accounts
from weshop.accounts.page_session import OptionalPageUser, PageUser
from weshop.bargain import buying, service, views
from weshop.bargain import repository as repo
from weshop.bargain.schemas import BargainOut, BuyIn
from weshop.catalog.web import absolute
from weshop.core.clock import utcnow
from weshop.core.errors import NotFound, WeShopError
from weshop.core.http import DbSession, RuntimeDep, client_address
from weshop.core.ids import MAX_ID, PathId
from weshop.core.pagination import encode_cursor
from weshop.orders.models import OrderStatus
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_, error_message, sign_in_redirect
from weshop.web.forms import posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.pending_action import resumable
from weshop.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)])
# A guest's 发起砍价 or 帮砍 is finished after they sign in.
resumable(r"/bargain/start", N_("Start a bargain"))
resumable(r"/bargain/\d+/help", N_("Help cut the price"))

DEVICE_COOKIE = "weshop_device"
MESSAGES = {
    "self_help": N_("This is your own bargain: share it and ask friends to help."),
    "already_helped": N_("You have already helped this bargain."),
    "daily_cap_reached": N_("You have helped as many bargains as you may today."),
    "new_users_only": N_("Only new users may help this bargain."),
    "bargain_complete": N_("This bargain needs no more help."),
    "bargain_expired": N_("This bargain has expired."),
    "campaign_stopped": N_("This bargain campaign has been stopped."),
    "campaign_ended": N_("This bargain campaign has ended."),
    "campaign_not_started": N_("This bargain campaign has not started yet."),
    "sold_out": N_("This bargain is sold out."),
    "limit_reached": N_("You have bought as many of this bargain as one shopper may."),
    "floor_not_reached": N_("Ask more friends to help: the floor price is not reached yet."),
    "bargain_ordered": N_("This bargain already has an order waiting for payment."),
    "bargain_bought": N_("This bargain has been bought."),
    "bargain_refunded": N_("This bargain was bought and refunded."),
    "bargain_changed": N_("The bargain changed meanwhile: look again."),
    "no_address": N_("Add a delivery address first."),
}
FAILED = N_("That did not work. Please try again.")
MY_BARGAINS_PER_PAGE = 10


def progress(bargain: BargainOut) -> int:
    """How far the price has come down to the floor, in percent."""
    return 100 * bargain.cut_fen // (bargain.start_price_fen - bargain.floor_price_fen)


def _message(request: Request, code: str) -> str:
    known = MESSAGES.get(code)
    if known:
        return gettext(request, known)
    return error_message(request, code, gettext(request, FAILED))


def _client(request: Request) -> service.Client:
    return service.Client(
        ip=client_address(request), device=request.cookies.get(DEVICE_COOKIE, "")[:64]
    )


def _to_bargain(bargain_id: int, **query: object) -> RedirectResponse:
    shown = {name: value for name, value in query.items() if value is not None}
    suffix = f"?{urlencode(shown)}" if shown else ""
    return RedirectResponse(f"/bargain/{bargain_id}{suffix}", 303)


async def product_section(
    request: Request, session: AsyncSession, product_id: int
) -> dict[str, Any] | None:
    """The 砍价 block of a product page (the same for every visitor: the page is cached)."""
    offers = await views.shop_campaigns(session, product_id, None, utcnow())
    if not offers:
        return None
    return {"template": "bargain/shop/_product_block.html", "bargain_offers": offers}


@router.post("/bargain/start")
async def start(request: Request, user: OptionalPageUser, session: DbSession) -> Response:
    form = await posted_values(request)
    campaign = str(form.get("campaign_id", ""))
    product = str(form.get("product_id", ""))
    back = f"/p/{product}" if product.isdigit() else "/"
    if user is None:
        return sign_in_redirect(request, back)
    if not campaign.isdigit() or not 0 < int(campaign) <= MAX_ID:
        return RedirectResponse(back, 303)
    try:
        async with undo_on_error(session):
            started = await service.start_bargain(
                session, user, int(campaign), _client(request), utcnow()
            )
    except WeShopError as exc:
        return RedirectResponse(f"{back}?{urlencode({'bargain_error': exc.code})}", 303)
    if not started.created:
        return _to_bargain(started.bargain.id)
    return _to_bargain(started.bargain.id, started=1)


@router.get("/bargain/{bargain_id}")
async def bargain_page(
    request: Request,
    bargain_id: PathId,
    user: OptionalPageUser,
    session: DbSession,
    runtime: RuntimeDep,
    error: Annotated[str | None, Query(max_length=40)] = None,
    helped: Annotated[int | None, Query(ge=0, le=10**10)] = None,
    started: Annotated[int | None, Query(ge=0, le=1)] = None,
) -> Response:
    """The bargain by its shared link: anyone may look; friends help, the starter buys."""
    now = utcnow()
    bargain = await views.bargain_out(session, bargain_id, user, now)
    row = await repo.bargain(session, bargain_id)
    is_starter = user is not None and row is not None and row.user_id == user.id
    addresses = await accounts.list_addresses(session, user) if user and is_starter else []
    share_url = absolute(runtime, f"/bargain/{bargain.id}")
    response = render(
        request,
        "bargain/shop/bargain.html",
        {
            "bargain": bargain,
            "is_starter": is_starter,
            "signed_in": user is not None,
            "addresses": addresses,
            "percent": progress(bargain),
            "share_url": share_url,
            "share_image": absolute(runtime, bargain.image_url),
            "error": _message(request, error) if error else None,
            "helped": helped,
            "started": started,
            "idempotency_key": secrets.token_urlsafe(18),
            "tab": "home",
        },
    )
    if not request.cookies.get(DEVICE_COOKIE):
        response.set_cookie(
            DEVICE_COOKIE,
            secrets.token_urlsafe(16),
            max_age=400 * 86400,
            httponly=True,
            samesite="lax",
        )
    return response


@router.get("/me/bargains")
async def my_bargains(
    request: Request,
    user: PageUser,
    session: DbSession,
    runtime: RuntimeDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """我的砍价: the shopper's bargains, newest first, each with its progress, time left and
    the action that fits (share, buy, pay, the order)."""
    rows, bargains = await views.my_bargains(session, user, cursor, MY_BARGAINS_PER_PAGE, utcnow())
    more = len(rows) > MY_BARGAINS_PER_PAGE
    last = rows[MY_BARGAINS_PER_PAGE - 1] if more else None
    orders = {
        order.id: order
        for order in await repo.orders_by_id(session, [b.order_id for b in bargains if b.order_id])
    }
    return render(
        request,
        "bargain/shop/my_bargains.html",
        {
            "bargains": bargains,
            "progress": {b.id: progress(b) for b in bargains},
            "awaiting_payment": {
                order_id
                for order_id, order in orders.items()
                if order.status == OrderStatus.PENDING_PAYMENT
            },
            "share_urls": {b.id: absolute(runtime, f"/bargain/{b.id}") for b in bargains},
            "next_cursor": encode_cursor(last.created_at, last.id) if last else None,
            "tab": "me",
        },
    )


@router.post("/bargain/{bargain_id}/help")
async def help_bargain(
    request: Request, bargain_id: PathId, user: OptionalPageUser, session: DbSession
) -> Response:
    if user is None:
        return sign_in_redirect(request, f"/bargain/{bargain_id}")
    try:
        async with undo_on_error(session):
            helped = await service.help_bargain(
                session, user, bargain_id, _client(request), utcnow()
            )
    except NotFound:
        raise
    except WeShopError as exc:
        return _to_bargain(bargain_id, error=exc.code)
    if not helped.created:
        return _to_bargain(bargain_id, error="already_helped")
    return _to_bargain(bargain_id, helped=helped.help.cut_fen)


@router.post("/bargain/{bargain_id}/buy")
async def buy_bargain(
    request: Request, bargain_id: PathId, user: PageUser, session: DbSession
) -> Response:
    form = await posted_values(request)
    address = str(form.get("address_id", ""))
    if not address.isdigit() or not 0 < int(address) <= MAX_ID:
        return _to_bargain(bargain_id, error="no_address")
    body = BuyIn(address_id=int(address))
    try:
        async with undo_on_error(session):
            placed = await buying.buy(session, user, bargain_id, body, utcnow())
    except NotFound:
        raise
    except WeShopError as exc:
        return _to_bargain(bargain_id, error=exc.code)
    return RedirectResponse(f"/me/orders/{placed.orders[0].id}?notice=placed", 303)
