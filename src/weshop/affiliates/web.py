"""Following a promoter's share link (``/r/<code>``): the click is recorded, the browser gets
its referral cookie, and the visitor lands on the product or store page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import optional_page_user
from weshop.affiliates import links
from weshop.affiliates.clicks import (
    VISITOR_COOKIE,
    VISITOR_COOKIE_SECONDS,
    Visit,
    client_key,
    new_visitor_id,
    valid_visitor_id,
)
from weshop.affiliates.models import ClickChannel
from weshop.core.errors import NotFound
from weshop.core.http import RuntimeDep, client_address

router = APIRouter()

LinkCode = Annotated[str, Path(min_length=1, max_length=12, pattern=r"^[0-9A-Z]+$")]


@router.get("/r/{code}")
async def follow_share_link(
    request: Request,
    code: LinkCode,
    runtime: RuntimeDep,
    ch: Annotated[
        ClickChannel | None, Query(description="Where the link was shared; default: its own.")
    ] = None,
) -> Response:
    """Record the click and go to the page; an unknown link is a 404 page. A GET that writes:
    the click is the whole point of the visit, so it has its own write transaction."""
    visitor = request.cookies.get(VISITOR_COOKIE)
    new_visitor = None if valid_visitor_id(visitor) else new_visitor_id()
    async with runtime.db.session(write=True) as session, session.begin():
        user = await optional_page_user(request, session)
        visit = Visit(
            user_id=user.id if user else None,
            visitor_id=new_visitor or visitor,
            client_key=client_key(client_address(request), request.headers.get("user-agent", "")),
        )
        followed = await links.follow(session, code, ch, visit)
    if followed is None:
        raise NotFound("no such share link")
    response = RedirectResponse(followed.path, status_code=302)
    if new_visitor is not None:
        response.set_cookie(
            VISITOR_COOKIE,
            new_visitor,
            max_age=VISITOR_COOKIE_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response
