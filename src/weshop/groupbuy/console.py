"""The merchant console's group buying (拼团): campaigns (create, edit, stop), each
campaign's groups with their members and states, and its figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from weshop.catalog import service as catalog
from weshop.core.clock import utcnow
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import MAX_ID, PathId
from weshop.core.pagination import MAX_LIMIT, page_of
from weshop.groupbuy import campaigns, rules, views
from weshop.groupbuy import repository as repo
from weshop.groupbuy.models import GroupCampaign, GroupState
from weshop.groupbuy.schemas import CampaignCreate, CampaignPatch
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff, done_redirect
from weshop.stores.permissions import Permission
from weshop.web.console_forms import (
    N_,
    NestedForm,
    add_refusal,
    local_input,
    parse_nested,
    yuan_text,
)
from weshop.web.csrf import verify_csrf
from weshop.web.forms import FormResult, posted_values, undo_on_error
from weshop.web.i18n import gettext

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

Reader = console_staff(Permission.PROMOTIONS_READ)
Writer = console_staff(Permission.PROMOTIONS_WRITE)
PAGE_SIZE = 20
SECTION = "group_buys"
MOMENTS = frozenset({"starts_at", "ends_at"})
BOOLEANS = ("simulated_fill", "new_customers_only")
# Posted by a form whose promised terms were shown disabled (groups had been opened): its
# unticked boxes were not posted, and say nothing.
TERMS_LOCKED = "terms_locked"
REQUIRED = (
    "name",
    "group_size",
    "fill_window_minutes",
    "stock",
    "per_shopper_limit",
    "starts_at",
    "ends_at",
)

DONE_NOTICES = {
    "created": N_("Saved. Shoppers can open groups from its start."),
    "saved": N_("Saved."),
    "stop": N_("Stopped: no group opens or is joined any more; open groups have ended."),
}
REFUSALS = {
    "invalid_group_size": ("group_size", N_("A group has 2 to 50 members.")),
    "invalid_fill_window": ("fill_window_minutes", N_("Enter 5 to 10,080 minutes (7 days).")),
    "invalid_stock": ("stock", N_("Enter 1 to 1,000,000.")),
    "stock_below_sold": ("stock", N_("Live group orders already hold more units than that.")),
    "invalid_limit": ("per_shopper_limit", N_("Enter 1 to 9,999.")),
    "invalid_window": ("ends_at", N_("The end must be after the start.")),
    "invalid_price": ("prices", N_("A group price is at least ¥0.01.")),
    "price_above_sku_price": ("prices", N_("A group price may not be above the SKU's price.")),
    "leader_price_above_group_price": (
        "prices",
        N_("A leader's price may not be above the group price."),
    ),
    "duplicate_sku": ("prices", N_("Each SKU is priced once.")),
    "unknown_sku": ("prices", N_("Price only this product's SKUs.")),
    "unknown_product": ("product_id", N_("Choose one of the store's products.")),
    "ends_at_before_now": (
        "ends_at",
        N_("Groups have been opened: the end may not be in the past."),
    ),
    **{
        f"{name}_locked": (name, N_("Groups have been opened: this can no longer change."))
        for name in rules.PROMISED_TERMS
    },
}
GROUP_TABS = [
    ("", N_("All")),
    (GroupState.OPEN, N_("Open")),
    (GroupState.COMPLETED, N_("Completed")),
    (GroupState.FAILED, N_("Failed")),
    (GroupState.REFUNDING, N_("Refunding")),
    (GroupState.REFUNDED, N_("Refunded")),
]


@router.get("/group-buys")
async def campaigns_page(
    request: Request,
    session: DbSession,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    access: ConsoleAccess = Reader,
) -> Response:
    rows = await campaigns.list_campaigns(
        session, access.scope, status=None, cursor=cursor, limit=PAGE_SIZE
    )
    page = page_of(rows, PAGE_SIZE, lambda row: row)
    return console_page(
        request,
        "groupbuy/console/campaigns.html",
        access,
        SECTION,
        {
            "campaigns": await views.campaign_answers(session, page.items, utcnow()),
            "next_cursor": page.next_cursor,
            "notice": DONE_NOTICES.get(request.query_params.get("done", "")),
        },
    )


async def _products(session: AsyncSession, access: ConsoleAccess) -> list[Any]:
    found = await catalog.list_products(
        session, access.scope, status=None, category_id=None, q=None, cursor=None, limit=MAX_LIMIT
    )
    return found.rows[:MAX_LIMIT]


async def _form(
    request: Request,
    session: AsyncSession,
    access: ConsoleAccess,
    *,
    campaign_id: int | None,
    product_id: int | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """``campaign_id``: an edit; its promised terms are shown disabled once groups exist."""
    locked = campaign_id is not None and await repo.has_groups(session, campaign_id)
    product = await repo.product(session, access.store.id, product_id) if product_id else None
    skus = (
        sorted((await repo.skus_of(session, [product.id])).values(), key=lambda s: s.id)
        if product
        else []
    )
    return console_page(
        request,
        "groupbuy/console/campaign_form.html",
        access,
        SECTION,
        {
            "campaign_id": campaign_id,
            "product": product,
            "products": await _products(session, access) if product is None else [],
            "skus": [sku for sku in skus if sku.is_active],
            "values": values,
            "errors": errors or {},
            "locked": locked,
        },
        status_code=status_code,
    )


def _body(values: dict[str, Any]) -> NestedForm:
    """Price rows left blank are SKUs the campaign does not sell; ticked boxes are true (of a
    form that showed them)."""
    kept: dict[str, Any] = {}
    blank_rows = {
        name.rsplit(".", 1)[0]
        for name, value in values.items()
        if name.startswith("prices.") and name.endswith(".price_fen") and not str(value).strip()
    }
    for name, value in values.items():
        if name == TERMS_LOCKED or (
            name.startswith("prices.") and name.rsplit(".", 1)[0] in blank_rows
        ):
            continue
        kept[name] = value
    if TERMS_LOCKED not in values:
        for name in BOOLEANS:
            kept[name] = "true" if values.get(name) else "false"
    return NestedForm(kept, moments=MOMENTS)


def _unchanged_moments_left_out(values: dict[str, Any], campaign: GroupCampaign) -> dict[str, Any]:
    """An edit's start and end as the form showed them (to the minute) are no change."""
    return {
        name: value
        for name, value in values.items()
        if not (name in MOMENTS and value == local_input(getattr(campaign, name)))
    }


@router.get("/group-buys/new")
async def new_campaign(
    request: Request,
    session: DbSession,
    product_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    access: ConsoleAccess = Writer,
) -> Response:
    """First the product, then its SKUs' group prices and the terms."""
    now = utcnow()
    defaults = {
        "product_id": str(product_id or ""),
        "group_size": "3",
        "fill_window_minutes": "1440",
        "stock": "100",
        "per_shopper_limit": "1",
        "starts_at": local_input(now),
        "ends_at": local_input(now + timedelta(days=7)),
        "full_group_policy": "new_group",
    }
    return await _form(
        request, session, access, campaign_id=None, product_id=product_id, values=defaults
    )


async def _save(
    request: Request,
    session: AsyncSession,
    access: ConsoleAccess,
    edited: GroupCampaign | None,
    product_id: int | None,
) -> Response:
    values = await posted_values(request)
    campaign_id = edited.id if edited else None
    form = _body(_unchanged_moments_left_out(values, edited) if edited else values)
    schema = CampaignCreate if campaign_id is None else CampaignPatch
    result: FormResult[Any] = parse_nested(request, form, schema)
    # An edit leaves out what it does not change; a field shown and left blank is an error.
    for name in REQUIRED:
        if name in values and not str(values[name]).strip():
            result.add_error(name, gettext(request, N_("Fill this in.")))
    if result.data is None or result.errors:
        return await _form(
            request,
            session,
            access,
            campaign_id=campaign_id,
            product_id=product_id,
            values=values,
            errors=result.errors,
            status_code=422,
        )
    try:
        async with undo_on_error(session):
            if campaign_id is None:
                campaign = await campaigns.create_campaign(session, access.scope, result.data)
            else:
                campaign = await campaigns.update_campaign(
                    session, access.scope, campaign_id, result.data
                )
    except WeShopError as exc:
        add_refusal(request, result, exc, REFUSALS)
        return await _form(
            request,
            session,
            access,
            campaign_id=campaign_id,
            product_id=product_id,
            values=values,
            errors=result.errors,
            status_code=exc.status_code,
        )
    return done_redirect(
        access, f"/group-buys/{campaign.id}", "created" if campaign_id is None else "saved"
    )


@router.post("/group-buys/new")
async def create_campaign(
    request: Request, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    posted = await posted_values(request)
    text = posted.get("product_id")
    product_id = int(text) if isinstance(text, str) and text.isdigit() and len(text) < 19 else None
    return await _save(request, session, access, None, product_id)


@router.get("/group-buys/{campaign_id}")
async def campaign_page(
    request: Request,
    campaign_id: PathId,
    session: DbSession,
    status: Annotated[GroupState | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    access: ConsoleAccess = Reader,
) -> Response:
    """The campaign's terms and figures, and its groups with their members."""
    campaign = await campaigns.get_campaign(session, access.scope, campaign_id)
    rows = await campaigns.list_groups(
        session, campaign, state=status, cursor=cursor, limit=PAGE_SIZE
    )
    page = page_of(rows, PAGE_SIZE, lambda row: row)
    return console_page(
        request,
        "groupbuy/console/campaign.html",
        access,
        SECTION,
        {
            "campaign": await views.campaign_answer(session, campaign, utcnow()),
            "figures": await campaigns.campaign_figures(session, access.scope, campaign_id),
            "groups": await views.staff_group_answers(session, page.items),
            "next_cursor": page.next_cursor,
            "status": status or "",
            "tabs": GROUP_TABS,
            "notice": DONE_NOTICES.get(request.query_params.get("done", "")),
        },
    )


@router.get("/group-buys/{campaign_id}/edit")
async def edit_campaign(
    request: Request, campaign_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    campaign = await campaigns.get_campaign(session, access.scope, campaign_id)
    found = await views.campaign_answer(session, campaign, utcnow())
    values: dict[str, Any] = {
        "name": found.name,
        "group_size": str(found.group_size),
        "fill_window_minutes": str(found.fill_window_minutes),
        "stock": str(found.stock),
        "per_shopper_limit": str(found.per_shopper_limit),
        "starts_at": local_input(found.starts_at),
        "ends_at": local_input(found.ends_at),
        "simulated_fill": found.simulated_fill,
        "new_customers_only": found.new_customers_only,
        "full_group_policy": str(found.full_group_policy),
    }
    priced = {p.sku_id: p for p in found.prices}
    skus = sorted((await repo.skus_of(session, [campaign.product_id])).values(), key=lambda s: s.id)
    for index, sku in enumerate(s for s in skus if s.is_active):
        price = priced.get(sku.id)
        values[f"prices.{index}.price_fen"] = yuan_text(price.price_fen if price else None)
        values[f"prices.{index}.leader_price_fen"] = yuan_text(
            price.leader_price_fen if price else None
        )
    return await _form(
        request,
        session,
        access,
        campaign_id=campaign.id,
        product_id=campaign.product_id,
        values=values,
    )


@router.post("/group-buys/{campaign_id}/edit")
async def save_campaign(
    request: Request, campaign_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    campaign = await campaigns.get_campaign(session, access.scope, campaign_id)
    return await _save(request, session, access, campaign, campaign.product_id)


@router.post("/group-buys/{campaign_id}/stop")
async def stop_campaign(
    campaign_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    await campaigns.stop_campaign(session, access.scope, campaign_id)
    return done_redirect(access, f"/group-buys/{campaign_id}", "stop")
