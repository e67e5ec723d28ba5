"""The merchant console's shipping templates: fees by province groups (per piece or per
gram), free shipping over an amount, provinces not delivered to, and the store's default."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.core.regions import PROVINCES
from weshop.logistics import service
from weshop.logistics.schemas import (
    MAX_RULES,
    ShippingTemplateChange,
    ShippingTemplateIn,
    template_out,
)
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff, done_redirect
from weshop.stores.permissions import Permission
from weshop.web.console_forms import N_, NestedForm, add_refusal, flat_values, parse_nested
from weshop.web.csrf import verify_csrf
from weshop.web.forms import FormResult, posted_values, undo_on_error
from weshop.web.i18n import gettext

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

# The console's shipping section is for those who set shipping up; reading the templates
# alone (for products) is the catalogue's business.
Shipping = console_staff(Permission.SHIPPING_WRITE)
BLANK_RULE_ROWS = 3
PROVINCE_LISTS = frozenset({"provinces", "unreachable_provinces"})

DONE_NOTICES = {
    "saved": N_("The template is saved; products using it are priced by it from now on."),
    "default": N_("This is now the store's default template."),
    "deleted": N_("The template is deleted."),
}
# Refusals that name provinces: the message, then the provinces.
PROVINCE_REFUSALS = {
    "unknown_province": N_("Unknown provinces:"),
    "province_in_two_rules": N_("A province can be in one rule only:"),
    "duplicate_province": N_("Provinces listed twice:"),
    "unreachable_province_priced": N_("Provinces both priced and not delivered to:"),
}
REFUSALS = {
    "default_rule_count": (
        "rules",
        N_("Give provinces to every rule but the first one, which covers everywhere else."),
    ),
    "duplicate_template_name": ("name", N_("Another template has this name.")),
    "too_many": ("__all__", N_("A store has at most 50 shipping templates.")),
    "template_in_use": ("__all__", N_("Products use this template; give them another first.")),
    "template_is_default": (
        "__all__",
        N_("Make another template the default before deleting this one."),
    ),
}


def _refuse(request: Request, result: FormResult[Any], exc: WeShopError) -> None:
    if exc.code in PROVINCE_REFUSALS and isinstance(exc.details, dict):
        names = "、".join(exc.details.get("provinces", []))
        result.add_error("rules", f"{gettext(request, PROVINCE_REFUSALS[exc.code])} {names}")
    else:
        add_refusal(request, result, exc, REFUSALS)


async def _list_page(
    request: Request,
    session: AsyncSession,
    access: ConsoleAccess,
    problem: FormResult[Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    templates = [template_out(t) for t in await service.list_templates(session, access.scope)]
    return console_page(
        request,
        "logistics/console/shipping/list.html",
        access,
        "shipping",
        {
            "templates": templates,
            "errors": problem.errors if problem else {},
            "notice": DONE_NOTICES.get(request.query_params.get("done", "")),
        },
        status_code=status_code,
    )


@router.get("/shipping")
async def shipping_page(
    request: Request, session: DbSession, access: ConsoleAccess = Shipping
) -> Response:
    return await _list_page(request, session, access)


def _form_page(
    request: Request,
    access: ConsoleAccess,
    template_id: int | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    rows = [int(k.split(".")[1]) for k in values if k.startswith("rules.") and k.count(".") == 2]
    shown = dict(values)
    for name, value in values.items():
        if name.rsplit(".", 1)[-1] in PROVINCE_LISTS and not isinstance(value, list):
            shown[name] = [value]
    return console_page(
        request,
        "logistics/console/shipping/form.html",
        access,
        "shipping",
        {
            "template_id": template_id,
            "values": shown,
            "errors": errors or {},
            "rule_rows": min(max(rows, default=0) + 1 + BLANK_RULE_ROWS, MAX_RULES),
            "provinces": PROVINCES,
        },
        status_code=status_code,
    )


@router.get("/shipping/new")
async def new_template(request: Request, access: ConsoleAccess = Shipping) -> Response:
    defaults = {"charge_by": "piece", "rules.0.first_units": "1", "rules.0.additional_units": "1"}
    return _form_page(request, access, None, defaults)


async def _save(
    request: Request, session: AsyncSession, access: ConsoleAccess, template_id: int | None
) -> Response:
    values = await posted_values(request)
    form = NestedForm(values, lists=PROVINCE_LISTS)
    form.data["is_default"] = bool(values.get("is_default"))
    if template_id is not None:
        form.data.pop("is_default")
    form.data.setdefault("unreachable_provinces", [])
    schema = ShippingTemplateIn if template_id is None else ShippingTemplateChange
    result = parse_nested(request, form, schema)
    status = 422
    if result.data is not None:
        try:
            async with undo_on_error(session):
                if template_id is None:
                    await service.create_template(session, access.scope, result.data)
                else:
                    await service.replace_template(session, access.scope, template_id, result.data)
            return done_redirect(access, "/shipping", "saved")
        except WeShopError as exc:
            _refuse(request, result, exc)
            status = exc.status_code
    return _form_page(request, access, template_id, values, result.errors, status_code=status)


@router.post("/shipping/new")
async def create_template(
    request: Request, session: DbSession, access: ConsoleAccess = Shipping
) -> Response:
    return await _save(request, session, access, None)


@router.get("/shipping/{shipping_template_id}")
async def edit_template(
    request: Request,
    shipping_template_id: PathId,
    session: DbSession,
    access: ConsoleAccess = Shipping,
) -> Response:
    template = template_out(await service.get_template(session, access.scope, shipping_template_id))
    # The form's first rule is the default one (no provinces).
    rules = sorted(template.rules, key=lambda rule: bool(rule.provinces))
    body = template.model_copy(update={"rules": rules}).model_dump(
        include=set(ShippingTemplateChange.model_fields)
    )
    values = flat_values(body)
    for index, rule in enumerate(rules):
        values[f"rules.{index}.provinces"] = rule.provinces
    values["unreachable_provinces"] = template.unreachable_provinces
    return _form_page(request, access, shipping_template_id, values)


@router.post("/shipping/{shipping_template_id}")
async def save_template(
    request: Request,
    shipping_template_id: PathId,
    session: DbSession,
    access: ConsoleAccess = Shipping,
) -> Response:
    await service.get_template(session, access.scope, shipping_template_id)
    return await _save(request, session, access, shipping_template_id)


async def _list_action(
    request: Request,
    session: AsyncSession,
    access: ConsoleAccess,
    action: Awaitable[object],
    what: str,
) -> Response:
    """Make default or delete; a refusal shows the list again with the reason."""
    problem: FormResult[Any] = FormResult(values={})
    try:
        async with undo_on_error(session):
            await action
    except WeShopError as exc:
        _refuse(request, problem, exc)
        return await _list_page(request, session, access, problem, status_code=exc.status_code)
    return done_redirect(access, "/shipping", what)


@router.post("/shipping/{shipping_template_id}/default")
async def make_default(
    request: Request,
    shipping_template_id: PathId,
    session: DbSession,
    access: ConsoleAccess = Shipping,
) -> Response:
    change = service.set_default(session, access.scope, shipping_template_id)
    return await _list_action(request, session, access, change, "default")


@router.post("/shipping/{shipping_template_id}/delete")
async def delete_template(
    request: Request,
    shipping_template_id: PathId,
    session: DbSession,
    access: ConsoleAccess = Shipping,
) -> Response:
    change = service.delete_template(session, access.scope, shipping_template_id)
    return await _list_action(request, session, access, change, "deleted")
