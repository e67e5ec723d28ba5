"""Storefront pages of flash sales: the flash page (sessions with a countdown and sold bars),
the strip on the mall home, the flash price on a product page, and the purchase (抢购).

The flash page and the strip are kept by the page cache: they carry absolute times and the
countdown runs in the browser (``data-countdown`` in shop.js), never a server-side "3 minutes
left" that a kept page would freeze.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from weshop.accounts import service as accounts
from weshop.accounts.page_session import PageUser
from weshop.core.clock import utcnow
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession, RuntimeDep, reads_only
from weshop.core.ids import PathId
from weshop.flashsale import attempts, views
from weshop.flashsale.schemas import AttemptIn
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_, error_message
from weshop.web.forms import posted_values
from weshop.web.i18n import gettext
from weshop.web.response_cache import cached_response
from weshop.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)])

REFUSALS = {
    "sold_out": N_("Sold out: every unit has been taken."),
    "limit_reached": N_("You already hold as many as one shopper may buy."),
    "not_started": N_("Not started yet. Come back when the countdown ends."),
    "ended": N_("This flash sale is over."),
    "attempt_in_progress": N_("Your attempt is still being placed. Look in your orders."),
}
FAILED = N_("That did not work. Please try again.")


@router.get("/flash")
@cached_response()
async def flash_page(request: Request, session: DbSession) -> Response:
    """Every session running now and starting within two days, with their items."""
    return render(
        request,
        "flashsale/shop/flash.html",
        {"sessions": await views.shop_sessions(session, utcnow()), "tab": "home"},
    )


async def mall_strip(request: Request, session: AsyncSession) -> dict[str, Any] | None:
    """The mall home's strip: the first session showing, its first items."""
    showing = await views.shop_sessions(session, utcnow())
    if not showing:
        return None
    return {"template": "flashsale/shop/_strip.html", "flash": showing[0]}


async def product_flash(
    request: Request, session: AsyncSession, product_id: int
) -> dict[str, Any] | None:
    """A product page's flash price while a session sells it."""
    item = await views.live_price(session, product_id, utcnow())
    if item is None:
        return None
    return {"template": "flashsale/shop/_product.html", "flash_item": item}


async def _item_page(
    request: Request,
    session: AsyncSession,
    user: Any,
    item_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    found = None
    for showing in await views.shop_sessions(session, utcnow()):
        for item in showing.items:
            if item.item_id == item_id:
                found = (showing, item)
    if found is None:
        return RedirectResponse("/flash", 303)
    addresses = await accounts.list_addresses(session, user)
    return render(
        request,
        "flashsale/shop/item.html",
        {
            "flash": found[0],
            "item": found[1],
            "addresses": addresses,
            "chosen": next((a.id for a in addresses if a.is_default), addresses[0].id)
            if addresses
            else None,
            "token": secrets.token_urlsafe(18),
            "error": error,
            "tab": "home",
        },
        status_code=status_code,
    )


@router.get("/flash/items/{flash_item_id}")
async def item_page(
    request: Request, flash_item_id: PathId, user: PageUser, session: DbSession
) -> Response:
    """The purchase form of a flash item: the address and quantity, then 立即抢购."""
    return await _item_page(request, session, user, flash_item_id)


@router.post("/flash/items/{flash_item_id}")
@reads_only
async def attempt(
    request: Request,
    flash_item_id: PathId,
    user: PageUser,
    session: DbSession,
    runtime: RuntimeDep,
) -> Response:
    """One attempt; accepted, the order page opens to pay."""
    form = await posted_values(request)
    try:
        body = AttemptIn.model_validate(
            {
                "quantity": int(str(form.get("quantity", "1")) or "1"),
                "address_id": int(str(form.get("address_id", "0")) or "0"),
                "token": str(form.get("token", "")) or None,
            }
        )
    except ValueError:
        message = error_message(request, "invalid_input", gettext(request, FAILED))
        return await _item_page(
            request, session, user, flash_item_id, error=message, status_code=422
        )
    try:
        answer = await attempts.attempt(runtime, user.id, flash_item_id, body, None, utcnow())
    except WeShopError as exc:
        known = REFUSALS.get(exc.code)
        message = gettext(request, known) if known else error_message(request, exc.code, "")
        return await _item_page(
            request, session, user, flash_item_id, error=message, status_code=exc.status_code
        )
    return RedirectResponse(f"/me/orders/{answer.order_id}?notice=placed", 303)
