"""The products list's bulk tools in the merchant console: the selected products, one action
(批量上架 / 批量下架 / 批量改价 / 批量改库存), a preview of what it changes, then the change
itself, all of it or nothing (``catalog.bulk.service``)."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ValidationError
from starlette.responses import RedirectResponse, Response

from weshop.catalog.bulk import service as bulk
from weshop.catalog.bulk.schemas import MAX_BATCH, BulkPriceIn, BulkStatusIn, BulkStockIn
from weshop.core.errors import NotFound, PermissionDenied, WeShopError
from weshop.core.http import DbSession
from weshop.core.idempotency import run_idempotent
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff
from weshop.stores.permissions import Permission
from weshop.web.console_forms import fen_of_yuan
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_, error_message
from weshop.web.forms import posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.pages import local_path

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

Reader = console_staff(Permission.CATALOG_READ)
ACTIONS = {
    "publish": (Permission.CATALOG_WRITE, N_("Put on sale")),
    "unpublish": (Permission.CATALOG_WRITE, N_("Take off sale")),
    "price": (Permission.CATALOG_WRITE, N_("Change prices")),
    "stock": (Permission.STOCK_WRITE, N_("Change stock")),
}
REFUSALS = {
    "not_publishable": N_("%(title)s: a product on sale needs an active SKU priced above zero."),
    "product_archived": N_("%(title)s: an archived product cannot be changed."),
    "illegal_transition": N_("%(title)s: an archived product cannot be changed."),
    "stock_would_go_negative": N_("%(title)s: stock cannot go below zero."),
    "stock_out_of_range": N_("%(title)s: stock cannot go above 10,000,000 units."),
    "warehouse_inactive": N_("%(title)s: the default warehouse is deactivated."),
    "price_out_of_range": N_("The change would price some SKUs below ¥0.01."),
    "batch_too_large": N_("These products have too many SKUs for one batch (2000 at most)."),
    "idempotency_key_reused": N_("This change was already sent. Reload the list to see it."),
}
NOTHING_SELECTED = N_("Select at least one product.")
TOO_MANY = N_("Select %(max)s products at most.")
PRICE_ERROR = N_("Enter a price in yuan, e.g. 59 or 59.90 (-5 lowers it by 5 yuan).")
PERCENT_ERROR = N_("Enter a whole percentage from -99 to 1000, e.g. -10 for 10% off.")
STOCK_ERROR = N_("Enter a whole number of units (negative to take units away).")
SIGNED_INT = re.compile(r"^[+-]?\d{1,10}$")
Body = BulkStatusIn | BulkPriceIn | BulkStockIn


class Applied(BaseModel):
    count: int


def _ids(values: dict[str, Any]) -> list[str]:
    given = values.get("product_ids", [])
    return [given] if isinstance(given, str) else list(given)


def _signed_fen(text: str) -> int | None:
    text = text.strip()
    sign = -1 if text.startswith("-") else 1
    fen = fen_of_yuan(text.lstrip("+-"))
    return sign * fen if isinstance(fen, int) else None


def _change(action: str, values: dict[str, Any]) -> tuple[Any, str]:
    """The change typed in the action bar as the API takes it, or the message of its error."""
    if action == "price":
        mode = str(values.get("price_mode", "set"))
        text = str(values.get("price_value", "")).strip()
        if mode == "percent":
            ok = SIGNED_INT.match(text) is not None
            return {"mode": mode, "percent": int(text) if ok else text}, PERCENT_ERROR
        fen = _signed_fen(text)
        field = "price_fen" if mode == "set" else "amount_fen"
        return {"mode": mode, field: text if fen is None else fen}, PRICE_ERROR
    text = str(values.get("stock_quantity", "")).strip()
    quantity = int(text) if SIGNED_INT.match(text) else text
    return {"mode": str(values.get("stock_mode", "add")), "quantity": quantity}, STOCK_ERROR


def read_batch(request: Request, values: dict[str, Any]) -> tuple[str, Body | None, list[str]]:
    """The action, the batch as the API takes it, and the errors of the form."""
    action = str(values.get("action", ""))
    if action == "auto":
        # Enter pressed in a box of the action bar: the action whose box is filled.
        action = "price" if str(values.get("price_value", "")).strip() else "stock"
        values["action"] = action
    if action not in ACTIONS:
        raise NotFound("no such bulk action")
    ids = _ids(values)
    if not ids:
        return action, None, [gettext(request, NOTHING_SELECTED)]
    if len(ids) > MAX_BATCH:
        return action, None, [gettext(request, TOO_MANY) % {"max": MAX_BATCH}]
    product_ids = [int(i) if i.isdigit() else i for i in ids]
    message = N_("Select at least one product.")
    body: dict[str, Any] = {"product_ids": product_ids}
    schema: type[Body] = BulkStatusIn
    if action in ("publish", "unpublish"):
        body["action"] = action
    else:
        body["change"], message = _change(action, values)
        schema = BulkPriceIn
        if action == "stock":
            schema = BulkStockIn
            body["reason"] = str(values.get("stock_reason", "")).strip() or gettext(
                request, "Bulk stock change"
            )
    try:
        return action, schema.model_validate(body), []
    except ValidationError:
        return action, None, [gettext(request, message)]


def _allowed(access: ConsoleAccess, action: str) -> None:
    permission = ACTIONS[action][0]
    if not access.can(permission):
        raise PermissionDenied(f"the {access.scope.role} role may not {permission}")


def refusal(request: Request, exc: WeShopError) -> str:
    known = REFUSALS.get(exc.code)
    if known is None:
        return error_message(request, exc.code, exc.message)
    title = exc.details.get("title", "") if isinstance(exc.details, dict) else ""
    return gettext(request, known) % {"title": title}


async def _preview(
    request: Request,
    session: DbSession,
    access: ConsoleAccess,
    values: dict[str, Any],
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    action, body, found_errors = read_batch(request, values)
    errors = [*(errors or []), *found_errors]
    rows: list[bulk.PlannedSku] = []
    products = []
    if body is not None:
        try:
            if isinstance(body, BulkPriceIn):
                rows = await bulk.plan_prices(session, access.scope, body)
            elif isinstance(body, BulkStockIn):
                rows = await bulk.plan_stock(session, access.scope, body)
            else:
                products = await bulk.batch_products(session, access.scope, body.product_ids)
        except NotFound:
            raise
        except WeShopError as exc:
            errors.append(refusal(request, exc))
            status_code = exc.status_code
    if body is not None and isinstance(body, BulkStockIn) and any(r.after < 0 for r in rows):
        errors.append(gettext(request, "Stock cannot go below zero."))
        status_code = 409
    if errors and status_code == 200:
        status_code = 422
    return console_page(
        request,
        "catalog/console/products/bulk.html",
        access,
        "products",
        {
            "action": action,
            "title": ACTIONS[action][1],
            "values": values,
            "product_ids": _ids(values),
            "rows": rows,
            "products": products,
            "errors": errors,
            "back": local_path(str(values.get("next", "")), f"{_base(access)}/products"),
            "form_key": str(values.get("form_key", "")) or secrets.token_urlsafe(16),
        },
        status_code=status_code,
    )


def _base(access: ConsoleAccess) -> str:
    return f"/console/stores/{access.store.id}"


@router.post("/products/bulk/preview")
async def preview(request: Request, session: DbSession, access: ConsoleAccess = Reader) -> Response:
    """What the action chosen in the list's action bar would change, to confirm."""
    values = await posted_values(request)
    _allowed(access, read_batch(request, values)[0])
    return await _preview(request, session, access, values)


async def _apply(session: DbSession, access: ConsoleAccess, body: Body) -> int:
    if isinstance(body, BulkStatusIn):
        outcome = await bulk.change_status(session, access.scope, body)
    elif isinstance(body, BulkPriceIn):
        outcome = await bulk.change_prices(session, access.scope, body)
    else:
        outcome = await bulk.change_stock(session, access.scope, body)
    return len(outcome.products)


@router.post("/products/bulk/apply")
async def apply(request: Request, session: DbSession, access: ConsoleAccess = Reader) -> Response:
    """The confirmed change, once per preview shown (its form key), then back to the list."""
    values = await posted_values(request)
    action, body, _errors = read_batch(request, values)
    _allowed(access, action)
    if body is None:
        return await _preview(request, session, access, values, status_code=422)
    form_key = str(values.get("form_key", ""))[:128] or None

    async def change() -> Applied:
        return Applied(count=await _apply(session, access, body))

    try:
        async with undo_on_error(session):
            outcome = await run_idempotent(
                session,
                key=form_key,
                owner=f"user:{access.scope.actor_id}",
                endpoint="console.products_bulk",
                payload={"store_id": access.scope.store_id, **body.model_dump(mode="json")},
                action=change,
                model=Applied,
            )
    except NotFound:
        raise
    except WeShopError as exc:
        return await _preview(
            request,
            session,
            access,
            values,
            errors=[refusal(request, exc)],
            status_code=exc.status_code,
        )
    back = local_path(str(values.get("next", "")), f"{_base(access)}/products")
    separator = "&" if "?" in back else "?"
    done = urlencode({"bulk": action, "count": outcome.model.count})
    return RedirectResponse(f"{back}{separator}{done}", 303)
