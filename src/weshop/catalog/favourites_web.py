"""Storefront pages of 收藏: the heart on a product page and 我的收藏 under 我的.

The product page is kept by the page cache for everyone, so the heart there is a plain form
(收藏 adds) and the page's script asks ``/me/favourites/of/{product_id}`` whether this
visitor already keeps the product, to show the heart filled and let it take it back.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from weshop.accounts.page_session import OptionalPageUser, PageUser
from weshop.catalog import favourites
from weshop.core.errors import NotFound
from weshop.core.http import DbSession
from weshop.core.ids import MAX_ID, PathId
from weshop.core.pagination import CursorQuery
from weshop.web.csrf import verify_csrf
from weshop.web.forms import posted_values, undo_on_error
from weshop.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)])

PER_PAGE = 20


def _product_id(value: object) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and 0 < int(text) <= MAX_ID else None


@router.get("/me/favourites")
async def my_favourites(
    request: Request, user: PageUser, session: DbSession, cursor: CursorQuery = None
) -> Response:
    """我的收藏: newest first; a product no longer on sale is shown as 已下架."""
    page = await favourites.favourites(session, user.id, cursor=cursor, limit=PER_PAGE)
    return render(
        request,
        "catalog/shop/favourites.html",
        {"page": page, "tab": "me"},
    )


@router.post("/me/favourites")
async def add_favourite(request: Request, user: PageUser, session: DbSession) -> Response:
    """The heart on a product page: keep the product, then back to it."""
    product_id = _product_id((await posted_values(request)).get("product_id"))
    if product_id is None:
        raise NotFound("no such product on sale")
    async with undo_on_error(session):
        await favourites.add(session, user.id, product_id)
    return RedirectResponse(f"/p/{product_id}?favourited=1", 303)


@router.post("/me/favourites/{favourite_id}/remove")
async def remove_favourite(
    request: Request, favourite_id: PathId, user: PageUser, session: DbSession
) -> Response:
    """取消收藏, from 我的收藏 or (``back=product``) from the product's page."""
    back = (await posted_values(request)).get("back")
    async with undo_on_error(session):
        product_id = await favourites.remove(session, user.id, favourite_id)
    target = f"/p/{product_id}" if back == "product" else "/me/favourites"
    return RedirectResponse(target, 303)


@router.get("/me/favourites/of/{product_id}")
async def favourite_of(product_id: PathId, user: OptionalPageUser, session: DbSession) -> Response:
    """For the product page's script: is the product kept by this visitor, under which id.
    Never cached (it is the visitor's own)."""
    found = None
    if user is not None:
        page = await favourites.favourites(session, user.id, product_id=product_id, limit=1)
        found = page.items[0].id if page.items else None
    return JSONResponse(
        {"signed_in": user is not None, "favourite_id": found},
        headers={"Cache-Control": "no-store"},
    )
