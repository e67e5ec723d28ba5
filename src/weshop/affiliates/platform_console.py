"""The platform console's alliance pool (推客联盟): the affiliate policy, promoters'
applications (approve, reject with a reason), the review of pool listings (approve, reject
with a reason, take down) and the commissions fraud rules hold (release, void). Each form
calls the service the API calls, with the same body."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import PageOperator
from weshop.affiliates import fraud, listings, pages, promoters, views
from weshop.affiliates.commission import MAX_LEVELS
from weshop.affiliates.models import MAX_SPLIT_BPS, HoldStatus, ListingStatus, PromoterStatus
from weshop.affiliates.schemas import HoldDecision, PolicyIn, ReviewReason
from weshop.core.clock import utcnow
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.core.pagination import page_of
from weshop.web.console_forms import N_, NestedForm, add_refusal, flat_values, parse_nested
from weshop.web.csrf import verify_csrf
from weshop.web.forms import FormResult, posted_values, undo_on_error
from weshop.web.templating import render, shop_time

router = APIRouter(prefix="/platform/affiliates", dependencies=[Depends(verify_csrf)])

PAGE_SIZE = 30
Cursor = Annotated[str | None, Query(max_length=200)]
PromoterFilter = Annotated[PromoterStatus, Query(alias="status")]
ListingFilter = Annotated[ListingStatus, Query(alias="status")]
HoldFilter = Annotated[HoldStatus, Query(alias="status")]

POLICY_REFUSALS = {
    "depth_not_allowed": (
        "max_depth",
        N_(
            "At most two levels: commission paid beyond the second level is multi-level "
            "distribution, illegal pyramid selling in China."
        ),
    ),
}
DONE_NOTICES = {
    "policy": N_("Saved: the policy applies to applications and orders from now on."),
    "approve": N_("Approved."),
    "reject": N_("Rejected: the reason is shown to the applicant or store."),
    "take_down": N_("Taken down: the listing left the pool."),
    "release": N_("Released: the commission goes on as if it had not been held."),
    "void": N_("Voided: the commission is cancelled."),
}


def _page(
    request: Request, template: str, tab: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    return render(
        request,
        template,
        {
            "section": "affiliates",
            "tab": tab,
            "when": shop_time,
            "notice": DONE_NOTICES.get(request.query_params.get("done", "")),
            **context,
        },
        status_code=status_code,
    )


# The policy


async def _policy_page(
    request: Request, session: AsyncSession, form: FormResult[Any] | None, status_code: int = 200
) -> Response:
    policy = views.policy_out(await promoters.current_policy(session))
    return _page(
        request,
        "affiliates/platform/policy.html",
        "policy",
        {
            "policy": policy,
            "max_levels": MAX_LEVELS,
            "max_split_bps": MAX_SPLIT_BPS,
            "values": form.values if form else flat_values(policy.model_dump()),
            "errors": form.errors if form else {},
        },
        status_code,
    )


@router.get("")
async def policy_page(request: Request, operator: PageOperator, session: DbSession) -> Response:
    return await _policy_page(request, session, None)


@router.post("/policy")
async def set_policy(request: Request, operator: PageOperator, session: DbSession) -> Response:
    form = NestedForm(await posted_values(request))
    result = parse_nested(request, form, PolicyIn)
    if result.data is None:
        return await _policy_page(request, session, result, 422)
    try:
        async with undo_on_error(session):
            await promoters.set_policy(session, operator.id, result.data)
    except WeShopError as exc:
        add_refusal(request, result, exc, POLICY_REFUSALS)
        return await _policy_page(request, session, result, exc.status_code)
    return RedirectResponse("/platform/affiliates?done=policy", 303)


# Promoters


async def _promoters_page(
    request: Request,
    session: AsyncSession,
    status: PromoterStatus,
    cursor: str | None,
    failed: tuple[int, FormResult[Any]] | None = None,
    status_code: int = 200,
) -> Response:
    rows = await promoters.list_promoters(session, status, cursor, PAGE_SIZE)
    page = page_of(rows, PAGE_SIZE, views.promoter_out)
    inviters = sorted({row.invited_by_id for row in page.items if row.invited_by_id})
    return _page(
        request,
        "affiliates/platform/promoters.html",
        "promoters",
        {
            "promoters": page.items,
            "inviter_codes": await pages.promoter_codes(session, inviters),
            "next_cursor": page.next_cursor,
            "status": status,
            "statuses": list(PromoterStatus),
            "failed_id": failed[0] if failed else None,
            "errors": failed[1].errors if failed else {},
            "values": failed[1].values if failed else {},
        },
        status_code,
    )


@router.get("/promoters")
async def promoters_page(
    request: Request,
    operator: PageOperator,
    session: DbSession,
    status: PromoterFilter = PromoterStatus.PENDING,
    cursor: Cursor = None,
) -> Response:
    """Applications by review state, newest first: real name (first character) and phone
    masked, as in the API's answers."""
    return await _promoters_page(request, session, status, cursor)


@router.post("/promoters/{promoter_id}/approve")
async def approve_promoter(
    promoter_id: PathId, operator: PageOperator, session: DbSession
) -> Response:
    await promoters.approve(session, operator.id, promoter_id, utcnow())
    return RedirectResponse("/platform/affiliates/promoters?done=approve", 303)


@router.post("/promoters/{promoter_id}/reject")
async def reject_promoter(
    request: Request, promoter_id: PathId, operator: PageOperator, session: DbSession
) -> Response:
    result = parse_nested(request, NestedForm(await posted_values(request)), ReviewReason)
    if result.data is None:
        return await _promoters_page(
            request, session, PromoterStatus.PENDING, None, (promoter_id, result), 422
        )
    await promoters.reject(session, operator.id, promoter_id, result.data.reason, utcnow())
    return RedirectResponse("/platform/affiliates/promoters?done=reject", 303)


# Pool listings


async def _listings_page(
    request: Request,
    session: AsyncSession,
    status: ListingStatus,
    cursor: str | None,
    failed: tuple[int, FormResult[Any]] | None = None,
    status_code: int = 200,
) -> Response:
    rows = await listings.list_listings(session, None, status, cursor, PAGE_SIZE)
    page = page_of(rows, PAGE_SIZE, lambda row: row)
    shown = await views.listing_answers(session, page.items)
    return _page(
        request,
        "affiliates/platform/listings.html",
        "listings",
        {
            "listings": shown,
            "names": await pages.plan_names(session, shown),
            "percent": pages.percent_text,
            "next_cursor": page.next_cursor,
            "status": status,
            "statuses": list(ListingStatus),
            "failed_id": failed[0] if failed else None,
            "errors": failed[1].errors if failed else {},
            "values": failed[1].values if failed else {},
        },
        status_code,
    )


@router.get("/listings")
async def listings_page(
    request: Request,
    operator: PageOperator,
    session: DbSession,
    status: ListingFilter = ListingStatus.PENDING,
    cursor: Cursor = None,
) -> Response:
    """The review queue (pending listings, oldest wait shown last) and listings by state."""
    return await _listings_page(request, session, status, cursor)


async def _review(
    request: Request, session: AsyncSession, operator_id: int, listing_id: int, action: str
) -> Response:
    """``approve``; ``reject`` and ``take_down`` with a reason, refused on the row without
    one."""
    reason = ""
    if action != "approve":
        result = parse_nested(request, NestedForm(await posted_values(request)), ReviewReason)
        if result.data is None:
            listing = await listings.any_listing(session, listing_id)
            return await _listings_page(
                request, session, listing.status, None, (listing_id, result), 422
            )
        reason = result.data.reason
    await listings.review(session, operator_id, listing_id, action, reason, utcnow())
    return RedirectResponse(f"/platform/affiliates/listings?done={action}", 303)


@router.post("/listings/{listing_id}/approve")
async def approve_listing(
    request: Request, listing_id: PathId, operator: PageOperator, session: DbSession
) -> Response:
    return await _review(request, session, operator.id, listing_id, "approve")


@router.post("/listings/{listing_id}/reject")
async def reject_listing(
    request: Request, listing_id: PathId, operator: PageOperator, session: DbSession
) -> Response:
    return await _review(request, session, operator.id, listing_id, "reject")


@router.post("/listings/{listing_id}/take-down")
async def take_down_listing(
    request: Request, listing_id: PathId, operator: PageOperator, session: DbSession
) -> Response:
    return await _review(request, session, operator.id, listing_id, "take_down")


# Commission holds


async def _holds_page(
    request: Request,
    session: AsyncSession,
    status: HoldStatus,
    cursor: str | None,
    failed: tuple[int, FormResult[Any]] | None = None,
    status_code: int = 200,
) -> Response:
    rows = await fraud.list_holds(session, status, cursor, PAGE_SIZE)
    page = page_of(rows, PAGE_SIZE, lambda row: row)
    return _page(
        request,
        "affiliates/platform/holds.html",
        "holds",
        {
            "holds": await views.hold_answers(session, page.items),
            "next_cursor": page.next_cursor,
            "status": status,
            "statuses": list(HoldStatus),
            "failed_id": failed[0] if failed else None,
            "errors": failed[1].errors if failed else {},
            "values": failed[1].values if failed else {},
        },
        status_code,
    )


@router.get("/holds")
async def holds_page(
    request: Request,
    operator: PageOperator,
    session: DbSession,
    status: HoldFilter = HoldStatus.HELD,
    cursor: Cursor = None,
) -> Response:
    """Commissions the fraud rules hold, with the evidence of each rule, to release or void."""
    return await _holds_page(request, session, status, cursor)


@router.post("/holds/{hold_id}/{action}")
async def decide_hold(
    request: Request,
    hold_id: PathId,
    action: Literal["release", "void"],
    operator: PageOperator,
    session: DbSession,
) -> Response:
    result = parse_nested(request, NestedForm(await posted_values(request)), HoldDecision)
    if result.data is None:
        return await _holds_page(request, session, HoldStatus.HELD, None, (hold_id, result), 422)
    await fraud.decide_hold(session, operator.id, hold_id, action, result.data.note, utcnow())
    return RedirectResponse(f"/platform/affiliates/holds?done={action}", 303)
