"""Storefront pages of the cart: lines grouped by store, quantities, buy now."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import OptionalPageUser, PageUser
from weshop.cart import service
from weshop.cart.schemas import CartItemIn
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import MAX_ID, PathId
from weshop.core.money import MAX_LINE_QUANTITY
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_, error_message, sign_in_redirect
from weshop.web.forms import posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.pending_action import resumable
from weshop.web.response_cache import Audience, cached_response
from weshop.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)])
# A guest's 加入购物车 or 立即购买 is finished after they sign in.
resumable(r"/cart/items", N_("Add to cart"))

# Refusals of the cart that the shopper can act on, by error code.
CART_ERRORS = {
    "quantity_too_large": N_("That is more than can be bought at once."),
    "quantity_too_small": N_("The quantity must be at least 1. To take the item out, remove it."),
    "cart_full": N_("Your cart is full. Check out or remove some items first."),
    "sku_inactive": N_("This option is no longer sold."),
    "choose_spec": N_("Choose a spec first."),
}
CART_ERROR_FALLBACK = N_("That could not be added. Please try again.")


def cart_error(request: Request, code: str) -> str:
    """The sentence for a refusal code carried back to a page in its query string."""
    known = CART_ERRORS.get(code)
    if known:
        return gettext(request, known)
    return error_message(request, code, gettext(request, CART_ERROR_FALLBACK))


def _int(value: object, default: int = 0) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


@router.get("/cart")
@cached_response(Audience.SESSION)
async def cart_page(
    request: Request,
    user: PageUser,
    session: DbSession,
    error: Annotated[str | None, Query(max_length=40)] = None,
    item: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """The cart by store, each line checked against today's price and stock."""
    cart = await service.view_cart(session, user)
    return render(
        request,
        "cart/shop/cart.html",
        {
            "cart": cart,
            "error": cart_error(request, error) if error else None,
            "error_item": item,
            "max_quantity": MAX_LINE_QUANTITY,
            "tab": "cart",
        },
    )


@router.post("/cart/items")
async def add_to_cart(request: Request, user: OptionalPageUser, session: DbSession) -> Response:
    """From the product page: ``intent=buy`` goes straight to checkout with this SKU, anything
    else puts it in the cart and goes back to the product."""
    form = await posted_values(request)
    product_id = _int(form.get("product_id"))
    back = f"/p/{product_id}" if 0 < product_id <= MAX_ID else "/"
    if user is None:
        return sign_in_redirect(request, back)
    try:
        wanted = CartItemIn(sku_id=_int(form.get("sku_id")), quantity=_int(form.get("quantity"), 1))
    except ValidationError:
        return RedirectResponse(f"{back}?error=choose_spec", 303)
    if form.get("intent") == "buy":
        query = urlencode({"sku": wanted.sku_id, "quantity": wanted.quantity})
        return RedirectResponse(f"/checkout?{query}", 303)
    try:
        async with undo_on_error(session):
            await service.add_item(session, user, wanted.sku_id, wanted.quantity)
    except WeShopError as exc:
        return RedirectResponse(f"{back}?error={exc.code}", 303)
    return RedirectResponse(f"{back}?added=1", 303)


@router.post("/cart/items/{item_id}")
async def change_quantity(
    request: Request, item_id: PathId, user: PageUser, session: DbSession
) -> Response:
    """The quantity typed in, moved by ``delta`` when a − or + button was pressed."""
    form = await posted_values(request)
    quantity = _int(form.get("quantity"), 1) + _int(form.get("delta"))
    if quantity < 1:
        return RedirectResponse(f"/cart?error=quantity_too_small&item={item_id}", 303)
    if quantity > MAX_LINE_QUANTITY:
        return RedirectResponse(f"/cart?error=quantity_too_large&item={item_id}", 303)
    try:
        async with undo_on_error(session):
            await service.set_quantity(session, user, item_id, quantity)
    except WeShopError as exc:
        return RedirectResponse(f"/cart?error={exc.code}&item={item_id}", 303)
    return RedirectResponse("/cart", 303)


@router.post("/cart/items/{item_id}/remove")
async def remove_line(item_id: PathId, user: PageUser, session: DbSession) -> Response:
    await service.remove_item(session, user, item_id)
    return RedirectResponse("/cart", 303)
