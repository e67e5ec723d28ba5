"""The merchant console's alliance pool (分销推广 / 联盟商品): the store's listings with their
plans in force, listing a product, revising a plan (a new version, for clicks from now on),
stopping a listing; and the attribution panel of the console's order page.

The forms post what people read (rates in per cent, promoters by share code, times in China
time) and are turned into the API's bodies, then written by the same service calls as the
API, so a form writes exactly what the API would and a refusal writes nothing."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from weshop.affiliates import listings, pages, promoters, views
from weshop.affiliates.models import ListingStatus
from weshop.affiliates.schemas import ListingIn, ListingOut, PlanPatch
from weshop.catalog import service as catalog
from weshop.catalog.models import Sku
from weshop.core.clock import utcnow
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.core.pagination import page_of
from weshop.orders.console import OrderForms
from weshop.orders.models import Order
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff, done_redirect
from weshop.stores.permissions import Permission
from weshop.web.console_forms import N_, NestedForm, add_refusal, flat_values, parse_nested
from weshop.web.csrf import verify_csrf
from weshop.web.forms import FormResult, posted_values, undo_on_error
from weshop.web.i18n import gettext

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

Reader = console_staff(Permission.PROMOTIONS_READ)
Writer = console_staff(Permission.PROMOTIONS_WRITE)
PAGE_SIZE = 20
PRODUCT_CHOICES = 200
SKU_RATE_ROWS = 3
MOMENTS = frozenset({"valid_from", "valid_until"})
REVISABLE = frozenset({ListingStatus.PENDING, ListingStatus.APPROVED})

DONE_NOTICES = {
    "created": N_("Submitted: the platform reviews it before it joins the pool."),
    "revised": N_("Saved as a new plan version: it applies to clicks from now on."),
    "stopped": N_("Stopped: the product left the pool. Orders already placed keep their terms."),
}
RATE_ERROR = N_("Enter a rate from 0 to 90 percent, with at most two decimals, e.g. 12.5.")
UNKNOWN_CODES = N_("No approved promoter has these codes: %(codes)s")
LISTING_REFUSALS = {
    "unknown_product": ("product_id", N_("Choose one of the store's products.")),
    "already_listed": (
        "product_id",
        N_("This product is already in the pool or waiting for review."),
    ),
    "invalid_window": ("valid_until", N_("The end must be after the start.")),
    "promoter_ids_required": (
        "promoter_codes",
        N_("A plan for listed promoters names at least one promoter's code."),
    ),
    "unknown_promoter": ("promoter_codes", N_("Only approved promoters can be listed.")),
    "promoter_ids_not_listed": (
        "promoter_codes",
        N_("A plan open to every promoter lists no codes: leave them empty."),
    ),
    "unknown_sku": ("sku_rates", N_("A SKU rate names a SKU of another product.")),
    "duplicate_sku": ("sku_rates", N_("Give each SKU one rate.")),
}
SPLIT_CAP_ERROR = N_(
    "WeChat Pay splits at most %(split)s%% of a payment: with the platform fee of %(fee)s%% "
    "and the agency rate of %(agency)s%%, the commission rate may be at most %(most)s%% "
    "(on every SKU)."
)


def _add_refusal(request: Request, result: FormResult[Any], exc: WeShopError) -> None:
    """A refusal of the plan on its field; over the split cap it names the most it may be."""
    if exc.code != listings.SPLIT_CAP_EXCEEDED:
        add_refusal(request, result, exc, LISTING_REFUSALS)
        return
    figures = {
        name: pages.percent_text(exc.details[key])
        for name, key in (
            ("split", "max_split_bps"),
            ("fee", "platform_fee_bps"),
            ("agency", "agency_rate_bps"),
            ("most", "max_rate_bps"),
        )
    }
    result.add_error("rate_percent", gettext(request, SPLIT_CAP_ERROR) % figures)


def bps_of_percent(text: str) -> int | str:
    """``"12.5"`` (per cent) -> ``1250`` basis points; anything else as typed (refused on its
    field: the schema bounds the rate to 0-9000)."""
    try:
        bps = Decimal(text.strip().removesuffix("%")) * 100
    except InvalidOperation:
        return text
    return int(bps) if bps.is_finite() and bps == bps.to_integral_value() else text


def _rate_name(name: str) -> str:
    return name.removesuffix("rate_percent") + "rate_bps"


def _percent_name(name: str) -> str:
    return name.removesuffix("rate_bps") + "rate_percent"


def _body_values(values: dict[str, Any], promoter_ids: list[int]) -> dict[str, Any]:
    """The posted form as the API's body: rates in basis points, promoters by id. A SKU row
    without a rate is left out (that SKU earns the product's rate)."""
    blank_rows = {
        name.rsplit(".", 1)[0]
        for name, value in values.items()
        if name.startswith("sku_rates.")
        and name.endswith(".rate_percent")
        and isinstance(value, str)
        and not value.strip()
    }
    body: dict[str, Any] = {}
    for name, value in values.items():
        if name == "promoter_codes" or name.rsplit(".", 1)[0] in blank_rows:
            continue
        if name.endswith("rate_percent") and isinstance(value, str):
            body[_rate_name(name)] = bps_of_percent(value) if value.strip() else ""
        else:
            body[name] = value
    body["promoter_ids"] = [str(pid) for pid in promoter_ids]
    return body


async def _parse_plan(
    request: Request, session: AsyncSession, schema: type[Any], values: dict[str, Any]
) -> FormResult[Any]:
    """The posted plan checked by the API's schema, each error on the field that was typed."""
    promoter_ids, unknown = await pages.promoters_of_codes(
        session, pages.codes_in(str(values.get("promoter_codes", "")))
    )
    form = NestedForm(
        _body_values(values, promoter_ids),
        lists=frozenset({"promoter_ids"}),
        moments=MOMENTS,
    )
    result = parse_nested(request, form, schema)
    errors = {
        _percent_name(name) if name.endswith("rate_bps") else name: (
            gettext(request, RATE_ERROR) if name.endswith("rate_bps") else message
        )
        for name, message in result.errors.items()
    }
    if unknown:
        errors["promoter_codes"] = gettext(request, UNKNOWN_CODES) % {"codes": " ".join(unknown)}
    return FormResult(values=values, data=None if errors else result.data, errors=errors)


@router.get("/affiliate-listings")
async def listings_page(
    request: Request,
    session: DbSession,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    access: ConsoleAccess = Reader,
) -> Response:
    """The store's listings, newest first, each with its plan in force."""
    rows = await listings.list_listings(session, access.scope.store_id, None, cursor, PAGE_SIZE)
    page = page_of(rows, PAGE_SIZE, lambda row: row)
    return console_page(
        request,
        "affiliates/console/listings.html",
        access,
        "affiliates",
        {
            "listings": await views.listing_answers(session, page.items),
            "next_cursor": page.next_cursor,
            "percent": pages.percent_text,
            "notice": DONE_NOTICES.get(request.query_params.get("done", "")),
            "binding_window_days": (await promoters.current_policy(session)).binding_window_days,
        },
    )


async def _new_listing_page(
    request: Request,
    session: AsyncSession,
    access: ConsoleAccess,
    form: FormResult[Any] | None,
    status_code: int = 200,
) -> Response:
    products = await catalog.list_products(
        session,
        access.scope,
        status=None,
        category_id=None,
        q=None,
        cursor=None,
        limit=PRODUCT_CHOICES,
    )
    skus = await pages.product_skus(session, [product.id for product in products.rows])
    return console_page(
        request,
        "affiliates/console/listing_form.html",
        access,
        "affiliates",
        {
            "products": products.rows,
            "skus": skus,
            "sku_label": pages.sku_label,
            "sku_rows": range(SKU_RATE_ROWS),
            "values": form.values if form else {"audience": "open", "self_purchase": "none"},
            "errors": form.errors if form else {},
        },
        status_code=status_code,
    )


@router.get("/affiliate-listings/new")
async def new_listing(
    request: Request, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    return await _new_listing_page(request, session, access, None)


@router.post("/affiliate-listings/new")
async def create_listing(
    request: Request, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    result = await _parse_plan(request, session, ListingIn, await posted_values(request))
    if result.data is None:
        return await _new_listing_page(request, session, access, result, 422)
    try:
        async with undo_on_error(session):
            listing = await listings.create_listing(session, access.scope, result.data, utcnow())
    except WeShopError as exc:
        if exc.status_code == 404 and exc.code != "unknown_product":
            raise
        _add_refusal(request, result, exc)
        return await _new_listing_page(request, session, access, result, exc.status_code)
    return done_redirect(access, f"/affiliate-listings/{listing.id}", "created")


def _plan_values(listing: ListingOut, codes: dict[int, str], skus: list[Sku]) -> dict[str, Any]:
    """The plan in force as the revise form shows it (a row per SKU of the product)."""
    values = flat_values(
        {
            "audience": listing.audience.value,
            "agency_rate_bps": listing.agency_rate_bps,
            "valid_from": listing.valid_from,
            "valid_until": listing.valid_until,
            "self_purchase": listing.self_purchase.value,
        }
    )
    values["rate_percent"] = pages.percent_text(listing.rate_bps)
    values["agency_rate_percent"] = pages.percent_text(values.pop("agency_rate_bps"))
    values["promoter_codes"] = " ".join(
        codes.get(pid) or "" for pid in listing.promoter_ids
    ).strip()
    if listing.last_click_steals:
        values["last_click_steals"] = "on"
    rates = {rate.sku_id: rate.rate_bps for rate in listing.sku_rates}
    for index, sku in enumerate(skus):
        values[f"sku_rates.{index}.rate_percent"] = pages.percent_text(rates.get(sku.id))
    return values


async def _listing_page(
    request: Request,
    session: AsyncSession,
    access: ConsoleAccess,
    listing_id: int,
    form: FormResult[Any] | None = None,
    status_code: int = 200,
) -> Response:
    row = await listings.store_listing(session, access.scope, listing_id)
    listing = await views.listing_answer(session, row)
    history = await views.plan_answers(session, await listings.plans(session, row))
    names = await pages.plan_names(session, [listing], history)
    skus = (await pages.product_skus(session, [listing.product_id]))[listing.product_id]
    values = form.values if form else _plan_values(listing, names.codes, skus)
    return console_page(
        request,
        "affiliates/console/listing.html",
        access,
        "affiliates",
        {
            "listing": listing,
            "history": history,
            "names": names,
            "skus": skus,
            "sku_label": pages.sku_label,
            "revisable": listing.status in REVISABLE,
            "percent": pages.percent_text,
            "values": values,
            "errors": form.errors if form else {},
            "notice": DONE_NOTICES.get(request.query_params.get("done", "")),
        },
        status_code=status_code,
    )


@router.get("/affiliate-listings/{listing_id}")
async def listing_page(
    request: Request, listing_id: PathId, session: DbSession, access: ConsoleAccess = Reader
) -> Response:
    """A listing: its plan in force, the revise form, every plan version and stopping it."""
    return await _listing_page(request, session, access, listing_id)


@router.post("/affiliate-listings/{listing_id}/plan")
async def revise_plan(
    request: Request, listing_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    values = await posted_values(request)
    # A checkbox left unticked is not posted: here it means "no", not "unchanged".
    posted = {**values, "last_click_steals": "true" if values.get("last_click_steals") else "false"}
    # Every SKU row is posted: without a rate it earns the product's rate, so none is "no
    # change" and the SKU rates are always sent.
    result = await _parse_plan(request, session, PlanPatch, posted)
    if result.data is not None and result.data.sku_rates is None:
        result.data.sku_rates = []
    result.values = values
    if result.data is None:
        return await _listing_page(request, session, access, listing_id, result, 422)
    try:
        async with undo_on_error(session):
            await listings.revise_plan(session, access.scope, listing_id, result.data, utcnow())
    except WeShopError as exc:
        if exc.status_code == 404:
            raise
        _add_refusal(request, result, exc)
        return await _listing_page(request, session, access, listing_id, result, exc.status_code)
    return done_redirect(access, f"/affiliate-listings/{listing_id}", "revised")


@router.post("/affiliate-listings/{listing_id}/stop")
async def stop_listing(
    listing_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    await listings.end_listing(session, access.scope, listing_id, utcnow())
    return done_redirect(access, f"/affiliate-listings/{listing_id}", "stopped")


# The order page's attribution panel: a section of orders.console.ORDER_PAGE_SECTIONS, which
# weshop.routes wires (orders sit below affiliates and cannot call it).
async def attribution_section(
    request: Request, session: AsyncSession, access: ConsoleAccess, order: Order, forms: OrderForms
) -> dict[str, Any]:
    return {
        "attribution": await pages.order_panel(session, order.id, order.order_no),
        "attribution_percent": pages.percent_text,
    }
