"""The merchant console's bargaining (砍价): campaigns (create, edit, stop), each campaign's
bargains with their helps (and why a help was not counted), and the conversion figures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from weshop.bargain import campaigns, views
from weshop.bargain.models import BargainState
from weshop.bargain.schemas import CampaignIn
from weshop.catalog import service as catalog
from weshop.core.clock import utcnow
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.core.pagination import MAX_LIMIT, encode_cursor
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff, done_redirect
from weshop.stores.permissions import Permission
from weshop.web.console_forms import N_, NestedForm, add_refusal, flat_values, parse_nested
from weshop.web.csrf import verify_csrf
from weshop.web.forms import FormResult, posted_values, undo_on_error

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

Reader = console_staff(Permission.PROMOTIONS_READ)
Writer = console_staff(Permission.PROMOTIONS_WRITE)
PAGE_SIZE = 20
MOMENTS = frozenset({"starts_at", "ends_at"})
FLAGS = ("buy_before_floor", "new_users_only_helps")
DONE_NOTICES = {
    "created": N_("Saved. Shoppers can start bargains from its product page."),
    "saved": N_("Saved. Bargains already started keep their prices."),
    "stop": N_("Stopped: no new bargains, helps or purchases."),
}
REFUSALS = {
    "floor_not_below_start": (
        "floor_price_fen",
        N_("The floor price must be below the start price."),
    ),
    "start_above_price": (
        "start_price_fen",
        N_("The start price may not be above the SKU's price."),
    ),
    "invalid_helps": ("helps_min", N_("Helps needed: 1 to 100, the least not above the most.")),
    "ambiguous_helps": ("helps_min", N_("Helps needed: 1 to 100, the least not above the most.")),
    "cut_room_too_small": (
        "floor_price_fen",
        N_("Start minus floor must leave at least ¥0.01 for each help."),
    ),
    "invalid_window_hours": ("window_hours", N_("Enter 1 to 720 hours.")),
    "invalid_window": ("ends_at", N_("The end must be after the start.")),
    "invalid_stock": ("stock", N_("Enter 1 to 1,000,000.")),
    "invalid_limit": ("per_shopper_limit", N_("Enter 1 to 100.")),
    "invalid_daily_cap": ("helper_daily_cap", N_("Enter 1 to 100.")),
    "invalid_max_shared_helps": ("max_shared_helps", N_("Enter 0 to 1000.")),
    "unknown_sku": ("sku_id", N_("Choose a SKU of this store.")),
    "sku_inactive": ("sku_id", N_("This SKU is not on sale.")),
    "sku_locked": ("sku_id", N_("The SKU cannot change once bargains have started.")),
    "stock_below_sold": ("stock", N_("The stock cannot go below the units already sold.")),
}
STATUS_TABS = [
    ("", N_("All")),
    (BargainState.IN_PROGRESS, N_("Bargaining")),
    (BargainState.REACHED_FLOOR, N_("Floor price reached")),
    (BargainState.ORDERED, N_("Ordered, waiting for payment")),
    (BargainState.BOUGHT, N_("Bought")),
    (BargainState.REFUNDED, N_("Refunded")),
    (BargainState.EXPIRED, N_("Expired")),
]
REASONS = {
    "shared_device": N_("Same device as the starter"),
    "shared_ip": N_("Same network as the starter"),
}


async def _sku_choices(session: AsyncSession, access: ConsoleAccess) -> list[dict[str, Any]]:
    """The store's SKUs to choose from (its newest products, a page of 100)."""
    products = await catalog.list_products(
        session, access.scope, status=None, category_id=None, q=None, cursor=None, limit=MAX_LIMIT
    )
    choices = []
    for product in products.rows[:MAX_LIMIT]:
        detail = await catalog.get_product(session, access.scope, product.id)
        for sku in detail.skus:
            label = product.title + (f" · {sku.spec_text}" if sku.spec_text else "")
            choices.append({"id": sku.id, "label": label, "price_fen": sku.price_fen})
    return choices


@router.get("/bargain")
async def campaigns_page(
    request: Request,
    session: DbSession,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    access: ConsoleAccess = Reader,
) -> Response:
    rows = await campaigns.list_campaigns(
        session, access.scope, status=None, cursor=cursor, limit=PAGE_SIZE
    )
    now = utcnow()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return console_page(
        request,
        "bargain/console/campaigns.html",
        access,
        "bargain",
        {
            "campaigns": [views.campaign_out(row, now) for row in rows],
            "next_cursor": encode_cursor(rows[-1].created_at, rows[-1].id) if more else None,
            "figures": await campaigns.figures(session, access.scope, None),
        },
    )


async def _form(
    request: Request,
    session: AsyncSession,
    access: ConsoleAccess,
    form: FormResult[Any] | None = None,
    *,
    campaign_id: int | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    defaults = {
        "helps_min": "5",
        "helps_max": "5",
        "window_hours": "24",
        "stock": "100",
        "per_shopper_limit": "1",
        "helper_daily_cap": "3",
        "max_shared_helps": "1",
    }
    return console_page(
        request,
        "bargain/console/campaign_form.html",
        access,
        "bargain",
        {
            "values": form.values if form else (values or defaults),
            "errors": form.errors if form else {},
            "skus": await _sku_choices(session, access),
            "campaign_id": campaign_id,
        },
        status_code=status_code,
    )


def _body(values: dict[str, Any]) -> NestedForm:
    kept = {name: value for name, value in values.items() if name not in FLAGS}
    for flag in FLAGS:
        kept[flag] = "true" if values.get(flag) else "false"
    return NestedForm(kept, moments=MOMENTS)


@router.get("/bargain/new")
async def new_campaign(
    request: Request, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    return await _form(request, session, access)


@router.post("/bargain/new")
async def create_campaign(
    request: Request, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    result = parse_nested(request, _body(await posted_values(request)), CampaignIn)
    if result.data is None:
        return await _form(request, session, access, result, status_code=422)
    try:
        async with undo_on_error(session):
            campaign = await campaigns.create_campaign(session, access.scope, result.data)
    except WeShopError as exc:
        add_refusal(request, result, exc, REFUSALS)
        return await _form(request, session, access, result, status_code=exc.status_code)
    return done_redirect(access, f"/bargain/{campaign.id}", "created")


@router.get("/bargain/{bargain_campaign_id}")
async def campaign_page(
    request: Request,
    bargain_campaign_id: PathId,
    session: DbSession,
    status: Annotated[BargainState | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    access: ConsoleAccess = Reader,
) -> Response:
    """A campaign's terms and figures, and its bargains with their helps."""
    campaign = await campaigns.get_campaign(session, access.scope, bargain_campaign_id)
    now = utcnow()
    rows = await campaigns.list_bargains(
        session,
        access.scope,
        campaign_id=campaign.id,
        status=status,
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return console_page(
        request,
        "bargain/console/campaign.html",
        access,
        "bargain",
        {
            "campaign": views.campaign_out(campaign, now),
            "figures": await campaigns.figures(session, access.scope, campaign.id),
            "bargains": await views.merchant_bargains(session, rows, now),
            "next_cursor": encode_cursor(rows[-1].created_at, rows[-1].id) if more else None,
            "status": status or "",
            "tabs": STATUS_TABS,
            "reasons": REASONS,
            "notice": DONE_NOTICES.get(request.query_params.get("done", "")),
        },
    )


@router.get("/bargain/{bargain_campaign_id}/edit")
async def edit_campaign(
    request: Request,
    bargain_campaign_id: PathId,
    session: DbSession,
    access: ConsoleAccess = Writer,
) -> Response:
    campaign = await campaigns.get_campaign(session, access.scope, bargain_campaign_id)
    shown = views.campaign_out(campaign, utcnow()).model_dump()
    values = flat_values({name: shown[name] for name in CampaignIn.model_fields if name in shown})
    return await _form(request, session, access, campaign_id=campaign.id, values=values)


@router.post("/bargain/{bargain_campaign_id}/edit")
async def save_campaign(
    request: Request,
    bargain_campaign_id: PathId,
    session: DbSession,
    access: ConsoleAccess = Writer,
) -> Response:
    await campaigns.get_campaign(session, access.scope, bargain_campaign_id)
    result = parse_nested(request, _body(await posted_values(request)), CampaignIn)
    if result.data is None:
        return await _form(
            request, session, access, result, campaign_id=bargain_campaign_id, status_code=422
        )
    try:
        async with undo_on_error(session):
            await campaigns.update_campaign(session, access.scope, bargain_campaign_id, result.data)
    except WeShopError as exc:
        add_refusal(request, result, exc, REFUSALS)
        return await _form(
            request,
            session,
            access,
            result,
            campaign_id=bargain_campaign_id,
            status_code=exc.status_code,
        )
    return done_redirect(access, f"/bargain/{bargain_campaign_id}", "saved")


@router.post("/bargain/{bargain_campaign_id}/stop")
async def stop_campaign(
    bargain_campaign_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    """Stop the campaign; stopping it twice is a 409 page."""
    await campaigns.stop_campaign(session, access.scope, bargain_campaign_id)
    return done_redirect(access, f"/bargain/{bargain_campaign_id}", "stop")
