"""Storefront pages of promoters (推客): applying (成为推客) and its review state, then the
promoter centre (推客中心): their code, "best for you" cards with their reasons, the pool with
its figures, and per product a share link to copy and a poster. And following a share link
(``/r/<code>``): the click is recorded, the browser gets its referral cookie, and the visitor
lands on the page."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import PageUser, optional_page_user
from weshop.affiliates import dashboard, links, pool, posters, promoters, selection, views
from weshop.affiliates import repository as repo
from weshop.affiliates.clicks import (
    VISITOR_COOKIE,
    VISITOR_COOKIE_SECONDS,
    Visit,
    client_key,
    new_visitor_id,
    valid_visitor_id,
)
from weshop.affiliates.models import ClickChannel, PromoterStatus
from weshop.affiliates.schemas import PromoterApplication
from weshop.catalog.web import absolute
from weshop.core.clock import utcnow
from weshop.core.errors import NotFound, WeShopError
from weshop.core.http import DbSession, RuntimeDep, client_address
from weshop.core.money import BPS_WHOLE
from weshop.core.pagination import CursorQuery, page_of
from weshop.web.console_forms import N_
from weshop.web.csrf import verify_csrf
from weshop.web.forms import FormResult, parse_form, posted_values, service_error, undo_on_error
from weshop.web.i18n import request_language
from weshop.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)])

POOL_PER_PAGE = 10
RECOMMENDED_ON_PAGE = 5
MESSAGES = {
    "not_in_pool": N_("This product is no longer in the pool open to you."),
    "error": N_("That did not work. Please try again."),
}
LinkCode = Annotated[str, Path(min_length=1, max_length=12, pattern="^[0-9A-Z]+$")]


def rate(bps: int | None) -> str:
    """A rate in basis points as a percent with one decimal; a dash when unknown."""
    return "—" if bps is None else views.percent(Fraction(bps, BPS_WHOLE))


def _apply_form(request: Request, result: FormResult[Any] | None = None) -> Response:
    return render(
        request,
        "affiliates/shop/apply.html",
        {
            "values": result.values if result else {},
            "errors": result.errors if result else {},
            "tab": "me",
        },
        status_code=422 if result and result.errors else 200,
    )


@router.get("/me/promoter")
async def promoter_centre(
    request: Request, user: PageUser, session: DbSession, cursor: CursorQuery = None
) -> Response:
    """成为推客 before applying, the review state while pending or rejected, the promoter
    centre once approved."""
    promoter = await repo.promoter_of_user(session, user.id)
    if promoter is None:
        return _apply_form(request)
    if promoter.status != PromoterStatus.APPROVED:
        return render(request, "affiliates/shop/status.html", {"promoter": promoter, "tab": "me"})
    now = utcnow()
    figures = await dashboard.dashboard(session, promoter.id, now)
    ranking = await selection.recommended(session, promoter, now, RECOMMENDED_ON_PAGE)
    cards = await views.recommendation_answers(
        session, ranking.ranked, ranking.pool_conversion, request_language(request)
    )
    rows = await pool.pool_page(session, promoter, now, cursor, POOL_PER_PAGE)
    page = page_of(rows, POOL_PER_PAGE, lambda row: row)
    items = await views.pool_answers(session, await pool.pool_items(session, page.items, now))
    return render(
        request,
        "affiliates/shop/centre.html",
        {
            "promoter": promoter,
            "figures": figures,
            "cards": cards,
            "items": items,
            "next_cursor": page.next_cursor,
            "rate": rate,
            "error": MESSAGES.get(request.query_params.get("error", "")),
            "tab": "me",
        },
    )


@router.post("/me/promoter")
async def apply(request: Request, user: PageUser, session: DbSession) -> Response:
    result = parse_form(await posted_values(request), PromoterApplication)
    if result.ok:
        assert result.data is not None
        try:
            async with undo_on_error(session):
                await promoters.apply(session, user.id, result.data)
        except WeShopError as exc:
            service_error(result, exc, "inviter_code")
        else:
            return RedirectResponse("/me/promoter", 303)
    return _apply_form(request, result)


@router.post("/me/promoter/links")
async def share_product(request: Request, user: PageUser, session: DbSession) -> Response:
    """复制链接 / 生成海报 of a pool product: the promoter's link to it (made the first time),
    then its page."""
    promoter = await promoters.approved(session, user.id)
    form = await posted_values(request)
    product_id = form.get("product_id")
    if not (isinstance(product_id, str) and product_id.isdigit() and len(product_id) <= 18):
        return RedirectResponse("/me/promoter?error=error", 303)
    try:
        async with undo_on_error(session):
            link = await links.share_link(
                session, promoter, links.Target(links.TargetKind.PRODUCT, int(product_id))
            )
    except WeShopError as exc:
        code = exc.code if exc.code in MESSAGES else "error"
        return RedirectResponse(f"/me/promoter?{urlencode({'error': code})}", 303)
    anchor = "#poster" if form.get("then") == "poster" else ""
    return RedirectResponse(f"/me/promoter/links/{link.code}{anchor}", 303)


@router.get("/me/promoter/links/{code}")
async def share_page(
    request: Request, code: LinkCode, user: PageUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    """One of the promoter's links: the address to copy and its poster."""
    promoter = await promoters.approved(session, user.id)
    link = await repo.share_link_of(session, promoter.id, code)
    if link is None:
        raise NotFound("no such share link of yours")
    product = None
    if link.product_id is not None:
        product = (await repo.products(session, [link.product_id]))[link.product_id]
    return render(
        request,
        "affiliates/shop/link.html",
        {
            "link": link,
            "product": product,
            "url": absolute(runtime, links.short_path(link.code)),
            "tab": "me",
        },
    )


@router.get("/me/promoter/links/{code}/poster.png")
async def poster(
    request: Request, code: LinkCode, user: PageUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    promoter = await promoters.approved(session, user.id)
    png = await posters.poster_png(
        session, runtime.settings, promoter, code, request_language(request)
    )
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


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
            new_visitor=new_visitor is not None,
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
