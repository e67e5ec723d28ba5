"""The merchant console's spec editor: add, rename and retire a value of a product's specs,
and add a dimension, after the product was created (rules in :mod:`weshop.catalog.specs`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from weshop.catalog import service, specs
from weshop.catalog.console import PRODUCT_REFUSALS, VALUE_SEPARATORS, Reader, Writer
from weshop.catalog.schemas import (
    SpecDimensionAdd,
    SpecValueAdd,
    SpecValueRename,
    SpecValueRetire,
)
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.stores.console_access import ConsoleAccess, console_page, done_redirect
from weshop.web.console_forms import NestedForm, add_refusal, parse_nested
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_
from weshop.web.forms import FormResult, posted_values, undo_on_error
from weshop.web.i18n import gettext

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

SPEC_REFUSALS = {
    **PRODUCT_REFUSALS,
    "spec_value_exists": ("value", N_("The spec already has (or had) a value of this name.")),
    "spec_exists": ("name", N_("The product already has a spec of this name.")),
    "too_many_specs": ("__all__", N_("A product has 3 specs at most.")),
    "too_many_spec_values": ("value", N_("A spec has 20 values at most.")),
    "last_spec_value": ("__all__", N_("A spec keeps at least one value; rename it instead.")),
    "unknown_spec": ("__all__", N_("The product has no such spec; reload the page.")),
    "unknown_spec_value": ("__all__", N_("The spec has no such value; reload the page.")),
}
DONE = {
    "value_added": N_("The value is added, with an SKU for each new combination."),
    "value_renamed": N_("The value is renamed; orders keep the name they were placed with."),
    "value_retired": N_(
        "The value is retired: its SKUs with orders are kept off sale, the others deleted."
    ),
    "spec_added": N_("The spec is added."),
}
# Each form of the page: the schema it fills, its service call and its notice.
FORMS: dict[str, tuple[type[BaseModel], Any, str]] = {
    "add": (SpecValueAdd, specs.add_value, "value_added"),
    "rename": (SpecValueRename, specs.rename_value, "value_renamed"),
    "retire": (SpecValueRetire, specs.retire_value, "value_retired"),
    "dimension": (SpecDimensionAdd, specs.add_dimension, "spec_added"),
}

# The inputs each form shows; an error on another field shows above the form.
VISIBLE = {
    "add": {"value", "price", "stock"},
    "rename": {"new_value"},
    "retire": set(),
    "dimension": {"name", "values", "price", "stock"},
}
SHOWN_AS = {
    "add": {"price_fen": "price"},
    "rename": {"value": "new_value"},
    "dimension": {"price_fen": "price", "values.0": "values"},
}


async def _specs_page(
    request: Request,
    session: DbSession,
    access: ConsoleAccess,
    product_id: int,
    *,
    failed: str = "",
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
    status_code: int = 200,
) -> Response:
    detail = await service.get_product(session, access.scope, product_id)
    return console_page(
        request,
        "catalog/console/products/specs.html",
        access,
        "products",
        {
            "detail": detail,
            "product": detail.product,
            # The form that was refused (``add.1``, ``dimension``) shows what was typed.
            "failed": failed,
            "values": values or {},
            "errors": errors or {},
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/products/{product_id}/specs")
async def specs_page(
    request: Request,
    product_id: PathId,
    session: DbSession,
    access: ConsoleAccess = Reader,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    notice = gettext(request, DONE[done]) if done in DONE else ""
    return await _specs_page(request, session, access, product_id, notice=notice)


def _form_of(kind: str, values: dict[str, Any]) -> NestedForm:
    wanted = ("name", "value", "new_value", "stock")
    fields = {k: v for k, v in values.items() if k in wanted}
    if "price" in values:
        fields["price_fen"] = values["price"]
    if kind == "dimension":
        typed = str(values.get("values", ""))
        fields["values"] = [part.strip() for part in VALUE_SEPARATORS.split(typed) if part.strip()]
        fields.pop("value", None)
    form = NestedForm(fields, lists=frozenset({"values"}))
    form.values = values
    return form


@router.post("/products/{product_id}/specs/{action}")
async def change_specs(
    request: Request,
    product_id: PathId,
    action: Literal["add", "rename", "retire", "dimension"],
    session: DbSession,
    access: ConsoleAccess = Writer,
) -> Response:
    """One of the page's forms: ``add``, ``rename``, ``retire`` a value, or a ``dimension``."""
    await service.get_product(session, access.scope, product_id)
    schema, change, done = FORMS[action]
    values = await posted_values(request)
    # The page names each of its forms; the refused one is filled again with what was typed.
    failed = str(values.get("form_id", ""))[:100]
    form = _form_of(action, values)
    result: FormResult[Any] = parse_nested(request, form, schema)
    if result.data is not None and not result.errors:
        try:
            async with undo_on_error(session):
                await change(session, access.scope, product_id, result.data)
        except WeShopError as exc:
            add_refusal(request, result, exc, SPEC_REFUSALS)
            status_code = exc.status_code
        else:
            return done_redirect(access, f"/products/{product_id}/specs", done)
    else:
        status_code = 422
    errors: dict[str, str] = {}
    for name, message in result.errors.items():
        shown = SHOWN_AS.get(action, {}).get(name, name)
        errors.setdefault(shown if shown in VISIBLE[action] else "__all__", message)
    return await _specs_page(
        request,
        session,
        access,
        product_id,
        failed=failed,
        values=values,
        errors=errors,
        status_code=status_code,
    )
