"""Storefront pages of members: my page (levels and points per store) and a points ledger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from weshop.accounts.page_session import PageUser
from weshop.accounts.schemas import masked_phone_or_wechat_name
from weshop.core.crypto import mask_phone
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.core.pagination import page_of
from weshop.members import service
from weshop.members.models import PointsKind
from weshop.members.views import my_membership_out
from weshop.stores import service as stores
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_
from weshop.web.i18n import gettext
from weshop.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)])

PAGE_SIZE = 20
POINTS_KINDS = {
    PointsKind.EARN: N_("Earned"),
    PointsKind.SPEND: N_("Spent"),
    PointsKind.REFUND: N_("Returned"),
    PointsKind.EXPIRE: N_("Expired"),
    PointsKind.ADJUST: N_("Adjusted by the store"),
    PointsKind.CLAWBACK: N_("Taken back for a refund"),
    PointsKind.REPAY: N_("Paid off points owed"),
}


@router.get("/me")
async def my_page(request: Request, user: PageUser, session: DbSession) -> Response:
    """Who I am (my nickname, else my masked phone), my level and points at each store, and
    my links."""
    memberships = [my_membership_out(v) for v in await service.my_memberships(session, user.id)]
    return render(
        request,
        "members/shop/me.html",
        {
            "name": user.display_name or masked_phone_or_wechat_name(user.phone),
            "phone": mask_phone(user.phone),
            "memberships": memberships,
            "tab": "me",
        },
    )


@router.get("/me/points/{store_id}")
async def my_points(
    request: Request,
    store_id: PathId,
    user: PageUser,
    session: DbSession,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """My points ledger at one store, newest first; 404 where I am no member."""
    rows = await service.points_ledger(session, store_id, user.id, cursor, PAGE_SIZE)
    page = page_of(rows, PAGE_SIZE, lambda entry: entry)
    membership = next(
        (
            my_membership_out(view)
            for view in await service.my_memberships(session, user.id)
            if view.store.id == store_id
        ),
        None,
    )
    return render(
        request,
        "members/shop/points.html",
        {
            "store": await stores.get_store(session, store_id),
            "membership": membership,
            "entries": page.items,
            "next_cursor": page.next_cursor,
            "kinds": {kind.value: gettext(request, name) for kind, name in POINTS_KINDS.items()},
            "tab": "me",
        },
    )
