"""Storefront pages of promotions: the coupon centre (claim) and my coupons."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import OptionalPageUser, PageUser
from weshop.core.clock import utcnow
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import MAX_ID
from weshop.core.pagination import page_of
from weshop.promotions import claims
from weshop.promotions.models import CouponStatus
from weshop.promotions.schemas import CentreCouponOut, centre_out, wallet_out
from weshop.stores import service as stores
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_, error_message, sign_in_redirect
from weshop.web.forms import posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.pending_action import resumable
from weshop.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)])
# A guest's 领取 is finished after they sign in.
resumable(r"/coupons/claim", N_("Claim the coupon"))

PAGE_SIZE = 20
StoreFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Cursor = Annotated[str | None, Query(max_length=200)]

CLAIM_ERRORS = {
    "sold_out": N_("All of these coupons have been claimed."),
    "limit_reached": N_("You already have as many of this coupon as one shopper may claim."),
    "template_paused": N_("This coupon is paused. Try again later."),
    "template_ended": N_("This coupon campaign has ended."),
    "template_expired": N_("This coupon is no longer valid."),
}
CLAIM_FAILED = N_("The coupon could not be claimed. Please try again.")
WALLET_TABS = (
    (CouponStatus.AVAILABLE, N_("Available")),
    (CouponStatus.LOCKED, N_("In use by an unpaid order")),
    (CouponStatus.USED, N_("Used")),
    (CouponStatus.EXPIRED, N_("Expired")),
)


def _claim_error(request: Request, code: str) -> str:
    known = CLAIM_ERRORS.get(code)
    if known:
        return gettext(request, known)
    return error_message(request, code, gettext(request, CLAIM_FAILED))


def _centre_path(store_id: int | None, **extra: object) -> str:
    query = {"store_id": store_id} if store_id else {}
    query.update({name: value for name, value in extra.items() if value is not None})
    return "/coupons" + (f"?{urlencode(query)}" if query else "")


@router.get("/coupons")
async def coupon_centre(
    request: Request,
    user: OptionalPageUser,
    session: DbSession,
    store_id: StoreFilter = None,
    cursor: Cursor = None,
    claimed: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    error: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """Coupons to claim now: the platform's and, with ``store_id``, that store's. One the
    shopper holds as many of as they may shows 已领取 with 去使用; one all claimed, 已抢光."""
    store = await stores.get_store(session, store_id) if store_id else None
    rows = await claims.coupon_centre(
        session, store_id, cursor=cursor, limit=PAGE_SIZE, now=utcnow(), with_sold_out=True
    )
    held = await claims.at_limit(session, user.id, rows) if user is not None else set()
    page = page_of(rows, PAGE_SIZE, centre_out)
    return render(
        request,
        "promotions/shop/coupons.html",
        {
            "coupons": page.items,
            "next_cursor": page.next_cursor,
            "store": store,
            "claimed": claimed,
            "error": _claim_error(request, error) if error else None,
            "signed_in": user is not None,
            "held": held,
            "use_paths": {coupon.id: _where_to_use(coupon) for coupon in page.items},
            "tab": "me",
        },
    )


def _where_to_use(coupon: CentreCouponOut) -> str:
    """去使用: the one product a coupon is for, else its store, else the mall."""
    if coupon.scope.kind == "products" and len(coupon.scope.product_ids) == 1:
        return f"/p/{coupon.scope.product_ids[0]}"
    return f"/s/{coupon.store_id}" if coupon.store_id else "/"


@router.post("/coupons/claim")
async def claim_coupon(request: Request, user: OptionalPageUser, session: DbSession) -> Response:
    form = await posted_values(request)
    store_id = int(form["store_id"]) if str(form.get("store_id", "")).isdigit() else None
    template = str(form.get("template_id", ""))
    if user is None:
        return sign_in_redirect(request, _centre_path(store_id))
    if not template.isdigit() or not 0 < int(template) <= MAX_ID:
        return RedirectResponse(_centre_path(store_id, error="not_found"), 303)
    try:
        async with undo_on_error(session):
            await claims.claim(session, user.id, int(template), utcnow())
    except WeShopError as exc:
        return RedirectResponse(_centre_path(store_id, error=exc.code), 303)
    return RedirectResponse(_centre_path(store_id, claimed=template), 303)


@router.get("/me/coupons")
async def my_coupons(
    request: Request,
    user: PageUser,
    session: DbSession,
    status: Annotated[CouponStatus, Query()] = CouponStatus.AVAILABLE,
    cursor: Cursor = None,
) -> Response:
    """The wallet by status: available, held by an unpaid order, used, expired."""
    now = utcnow()
    found = await claims.wallet(
        session, user.id, status=status, cursor=cursor, limit=PAGE_SIZE, now=now
    )
    page = page_of(
        found.rows, PAGE_SIZE, lambda c: wallet_out(c, found.templates[c.template_id], now)
    )
    return render(
        request,
        "promotions/shop/my_coupons.html",
        {
            "coupons": page.items,
            "next_cursor": page.next_cursor,
            "status": status.value,
            "tabs": [(s.value, gettext(request, label)) for s, label in WALLET_TABS],
            "tab": "me",
        },
    )
