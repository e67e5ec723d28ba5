"""足迹 on the storefront: /me/history, grouped by day, each entry removable, clear all."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import PageUser
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.members import history
from weshop.web.csrf import verify_csrf
from weshop.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)])


@router.get("/me/history")
async def my_history(request: Request, user: PageUser, session: DbSession) -> Response:
    """The products I viewed, newest first, grouped by day."""
    entries = await history.my_history(session, user.id)
    return render(
        request,
        "members/shop/history.html",
        {"days": history.by_day(entries), "count": len(entries), "tab": "me"},
    )


@router.post("/me/history/{product_id}/remove")
async def forget_product(product_id: PathId, user: PageUser, session: DbSession) -> Response:
    """Removes one product; another shopper's entry (or none) is a 404 page."""
    await history.forget(session, user.id, product_id)
    return RedirectResponse("/me/history", status_code=303)


@router.post("/me/history/clear")
async def clear_history(user: PageUser, session: DbSession) -> Response:
    await history.clear(session, user.id)
    return RedirectResponse("/me/history", status_code=303)
