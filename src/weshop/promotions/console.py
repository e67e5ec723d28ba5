"""The merchant console's promotions: coupon templates (every term the service offers, pause,
resume, end, redemption figures) and full reductions (满减 / 满折 with several tiers)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from weshop.catalog import categories as catalog_categories
from weshop.catalog import service as catalog
from weshop.core.clock import utcnow
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.core.pagination import MAX_LIMIT, page_of
from weshop.promotions import coupons, reductions
from weshop.promotions.coupons import Owner
from weshop.promotions.models import TemplateStatus
from weshop.promotions.schemas import MAX_TIERS, ReductionIn, TemplateCreate, reduction_out
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff, done_redirect
from weshop.stores.permissions import Permission
from weshop.web.console_forms import N_, NestedForm, add_refusal, flat_values, parse_nested
from weshop.web.csrf import verify_csrf
from weshop.web.forms import FormResult, posted_values, undo_on_error

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

Reader = console_staff(Permission.PROMOTIONS_READ)
Writer = console_staff(Permission.PROMOTIONS_WRITE)
PAGE_SIZE = 20
MOMENTS = frozenset({"valid_from", "valid_until", "starts_at", "ends_at"})
ID_LISTS = frozenset({"product_ids", "category_ids"})

TEMPLATE_TABS = [
    ("", N_("All")),
    (TemplateStatus.ACTIVE, N_("Active")),
    (TemplateStatus.PAUSED, N_("Paused")),
    (TemplateStatus.ENDED, N_("Ended")),
]
DONE_NOTICES = {
    "created": N_("Saved. Shoppers can use it from now on."),
    "saved": N_("Saved."),
    "pause": N_("Paused: shoppers cannot use it until it is resumed."),
    "resume": N_("Resumed."),
    "end": N_("Ended: no one can claim it any more; coupons already claimed stay usable."),
    "delete": N_("Deleted. Orders keep the discount they were given."),
}
_SCOPE = ("scope.kind", N_("Choose the products or categories it covers."))
COUPON_REFUSALS = {
    "invalid_percent": ("percent_off", N_("Enter a percent from 1 to 99.")),
    "invalid_amount": ("amount_off_fen", N_("Enter an amount of at least ¥0.01.")),
    "invalid_cap": ("cap_fen", N_("Enter a cap of at least ¥0.01, or leave it blank.")),
    "threshold_below_discount": (
        "threshold_fen",
        N_("The minimum spend must be above the amount off."),
    ),
    "threshold_not_allowed": ("threshold_fen", N_("A no-threshold coupon has no minimum spend.")),
    "invalid_quantity": ("total_quantity", N_("Enter 1 to 10,000,000.")),
    "invalid_limit": ("per_shopper_limit", N_("Enter 1 to 100.")),
    "ambiguous_validity": ("valid_from", N_("Give either dates or a number of days.")),
    "validity_required": ("valid_from", N_("Give the start and the end.")),
    "invalid_validity_days": ("valid_days_after_claim", N_("Enter 1 to 365 days.")),
    "invalid_window": ("valid_until", N_("The end must be after the start.")),
    "window_over": ("valid_until", N_("The end has already passed.")),
    "invalid_scope": _SCOPE,
    "unknown_scope_ids": _SCOPE,
}
_TIERS = ("tiers", N_("Each tier needs a higher minimum spend and a bigger discount."))
REDUCTION_REFUSALS = {
    "invalid_tier": _TIERS,
    "invalid_amount": _TIERS,
    "invalid_percent": ("tiers", N_("A percent off is from 1 to 99.")),
    "threshold_below_discount": (
        "tiers",
        N_("A tier's minimum spend must be above its amount off."),
    ),
    "overlapping_tiers": ("tiers", N_("Two tiers have the same minimum spend.")),
    "tier_benefit_not_increasing": _TIERS,
    "invalid_window": ("ends_at", N_("The end must be after the start.")),
    "window_over": ("ends_at", N_("The end has already passed.")),
    "invalid_scope": _SCOPE,
    "unknown_scope_ids": _SCOPE,
}


def _with_lists(values: dict[str, Any]) -> dict[str, Any]:
    """Posted values for showing again: a box ticked once is still a list of one."""
    shown = dict(values)
    for name in ("scope.product_ids", "scope.category_ids"):
        chosen = shown.get(name, [])
        shown[name] = chosen if isinstance(chosen, list) else [chosen]
    return shown


async def _scope_choices(session: AsyncSession, access: ConsoleAccess) -> dict[str, Any]:
    """The store's products (newest, at most a page of 100) and categories to pick from."""
    products = await catalog.list_products(
        session, access.scope, status=None, category_id=None, q=None, cursor=None, limit=MAX_LIMIT
    )
    return {
        "products": products.rows[:MAX_LIMIT],
        "categories": await catalog_categories.list_categories(session, access.scope),
    }


# Coupons


@router.get("/coupons")
async def coupons_page(
    request: Request,
    session: DbSession,
    status: Annotated[TemplateStatus | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    access: ConsoleAccess = Reader,
) -> Response:
    rows = await coupons.list_templates(
        session, Owner.of(access.scope), status=status, cursor=cursor, limit=PAGE_SIZE
    )
    page = page_of(rows, PAGE_SIZE, lambda template: template)
    return console_page(
        request,
        "promotions/console/coupons.html",
        access,
        "coupons",
        {
            "templates": page.items,
            "next_cursor": page.next_cursor,
            "status": status or "",
            "tabs": TEMPLATE_TABS,
        },
    )


async def _coupon_form(
    request: Request,
    session: DbSession,
    access: ConsoleAccess,
    form: FormResult[Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    defaults = {
        "kind": "fixed",
        "scope.kind": "all",
        "validity": "window",
        "total_quantity": "100",
        "per_shopper_limit": "1",
    }
    return console_page(
        request,
        "promotions/console/coupon_form.html",
        access,
        "coupons",
        {
            "values": _with_lists(form.values if form else defaults),
            "errors": form.errors if form else {},
            **await _scope_choices(session, access),
        },
        status_code=status_code,
    )


@router.get("/coupons/new")
async def new_coupon(
    request: Request, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    return await _coupon_form(request, session, access)


def coupon_body(values: dict[str, Any]) -> NestedForm:
    """Only the fields of the chosen kind and way of validity count."""
    kind, validity = values.get("kind"), values.get("validity")
    unused = {"validity"}
    if kind == "percent":
        unused |= {"amount_off_fen"}
    else:
        unused |= {"percent_off", "cap_fen"}
    if kind == "no_threshold":
        unused |= {"threshold_fen"}
    unused |= {"valid_from", "valid_until"} if validity == "days" else {"valid_days_after_claim"}
    scope_kind = values.get("scope.kind")
    unused |= {"scope.category_ids"} if scope_kind == "products" else {"scope.product_ids"}
    if scope_kind == "all":
        unused |= {"scope.category_ids"}
    kept = {name: value for name, value in values.items() if name not in unused}
    kept["return_on_refund"] = "true" if values.get("return_on_refund") else "false"
    return NestedForm(kept, lists=ID_LISTS, moments=MOMENTS)


@router.post("/coupons/new")
async def create_coupon(
    request: Request, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    form = coupon_body(await posted_values(request))
    result = parse_nested(request, form, TemplateCreate)
    if result.data is None:
        return await _coupon_form(request, session, access, result, status_code=422)
    try:
        async with undo_on_error(session):
            template = await coupons.create_template(
                session, Owner.of(access.scope), result.data, utcnow()
            )
    except WeShopError as exc:
        add_refusal(request, result, exc, COUPON_REFUSALS)
        return await _coupon_form(request, session, access, result, status_code=exc.status_code)
    return done_redirect(access, f"/coupons/{template.id}", "created")


@router.get("/coupons/{coupon_template_id}")
async def coupon_detail(
    request: Request,
    coupon_template_id: PathId,
    session: DbSession,
    access: ConsoleAccess = Reader,
) -> Response:
    template = await coupons.get_template(session, Owner.of(access.scope), coupon_template_id)
    figures = await coupons.template_figures(session, template, utcnow())
    return console_page(
        request,
        "promotions/console/coupon_detail.html",
        access,
        "coupons",
        {
            "template": template,
            "figures": figures,
            "notice": DONE_NOTICES.get(request.query_params.get("done", "")),
        },
    )


@router.post("/coupons/{coupon_template_id}/{action}")
async def change_coupon(
    coupon_template_id: PathId,
    action: Literal["pause", "resume", "end"],
    session: DbSession,
    access: ConsoleAccess = Writer,
) -> Response:
    """Pause, resume or end; an action the template's state refuses is a 409 page."""
    await coupons.change_status(session, Owner.of(access.scope), coupon_template_id, action)
    return done_redirect(access, f"/coupons/{coupon_template_id}", action)


# Full reductions


@router.get("/reductions")
async def reductions_page(
    request: Request,
    session: DbSession,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    access: ConsoleAccess = Reader,
) -> Response:
    rows = await reductions.list_reductions(
        session, access.scope, status=None, cursor=cursor, limit=PAGE_SIZE
    )
    page = page_of(rows, PAGE_SIZE, reduction_out)
    return console_page(
        request,
        "promotions/console/reductions.html",
        access,
        "reductions",
        {
            "rules": page.items,
            "next_cursor": page.next_cursor,
            "notice": DONE_NOTICES.get(request.query_params.get("done", "")),
        },
    )


async def _reduction_form(
    request: Request,
    session: DbSession,
    access: ConsoleAccess,
    rule_id: int | None,
    form: FormResult[Any] | None = None,
    *,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    return console_page(
        request,
        "promotions/console/reduction_form.html",
        access,
        "reductions",
        {
            "rule_id": rule_id,
            "values": _with_lists(
                form.values if form else values or {"kind": "amount", "scope.kind": "all"}
            ),
            "errors": form.errors if form else {},
            "max_tiers": MAX_TIERS,
            **await _scope_choices(session, access),
        },
        status_code=status_code,
    )


def _reduction_body(values: dict[str, Any]) -> NestedForm:
    """Tiers take the amount or the percent of the rule's kind; blank tiers are left out."""
    unused = "tiers.{}.percent_off" if values.get("kind") == "amount" else "tiers.{}.amount_off_fen"
    dropped = {unused.format(index) for index in range(MAX_TIERS)}
    scope_kind = values.get("scope.kind")
    dropped |= {"scope.category_ids"} if scope_kind == "products" else {"scope.product_ids"}
    if scope_kind == "all":
        dropped |= {"scope.category_ids"}
    kept = {name: value for name, value in values.items() if name not in dropped}
    return NestedForm(kept, lists=ID_LISTS, moments=MOMENTS)


async def _save_reduction(
    request: Request, session: DbSession, access: ConsoleAccess, rule_id: int | None
) -> Response:
    form = _reduction_body(await posted_values(request))
    result = parse_nested(request, form, ReductionIn)
    if result.data is None:
        return await _reduction_form(request, session, access, rule_id, result, status_code=422)
    try:
        async with undo_on_error(session):
            if rule_id is None:
                await reductions.create_reduction(session, access.scope, result.data, utcnow())
            else:
                await reductions.replace_reduction(
                    session, access.scope, rule_id, result.data, utcnow()
                )
    except WeShopError as exc:
        add_refusal(request, result, exc, REDUCTION_REFUSALS)
        return await _reduction_form(
            request, session, access, rule_id, result, status_code=exc.status_code
        )
    return done_redirect(access, "/reductions", "created" if rule_id is None else "saved")


@router.get("/reductions/new")
async def new_reduction(
    request: Request, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    return await _reduction_form(request, session, access, None)


@router.post("/reductions/new")
async def create_reduction(
    request: Request, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    return await _save_reduction(request, session, access, None)


@router.get("/reductions/{reduction_id}")
async def edit_reduction(
    request: Request, reduction_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    rule = reduction_out(await reductions.get_reduction(session, access.scope, reduction_id))
    values = flat_values(rule.model_dump(include=set(ReductionIn.model_fields)))
    values["scope.product_ids"] = [str(i) for i in rule.scope.product_ids]
    values["scope.category_ids"] = [str(i) for i in rule.scope.category_ids]
    return await _reduction_form(request, session, access, reduction_id, values=values)


@router.post("/reductions/{reduction_id}")
async def save_reduction(
    request: Request, reduction_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    await reductions.get_reduction(session, access.scope, reduction_id)
    return await _save_reduction(request, session, access, reduction_id)


@router.post("/reductions/{reduction_id}/{action}")
async def change_reduction(
    reduction_id: PathId,
    action: Literal["pause", "resume", "delete"],
    session: DbSession,
    access: ConsoleAccess = Writer,
) -> Response:
    if action == "delete":
        await reductions.delete_reduction(session, access.scope, reduction_id)
    else:
        await reductions.change_status(session, access.scope, reduction_id, action)
    return done_redirect(access, "/reductions", action)
