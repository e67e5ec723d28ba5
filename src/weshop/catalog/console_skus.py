"""The merchant console's bulk editor of a product's SKU matrix: price, code, sale and stock
of every SKU in one form, with "set all prices / stock to" helpers."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from weshop.catalog import service
from weshop.catalog.console import PRODUCT_REFUSALS, Writer, notice_of
from weshop.catalog.models import Sku
from weshop.catalog.schemas import SkuPatch
from weshop.core.errors import PermissionDenied, WeShopError
from weshop.core.http import DbSession
from weshop.core.idempotency import run_idempotent
from weshop.core.ids import PathId
from weshop.inventory import service as inventory
from weshop.inventory.models import MovementKind
from weshop.inventory.service import MAX_STOCK
from weshop.stores.console_access import ConsoleAccess, console_page, done_redirect
from weshop.stores.permissions import Permission
from weshop.web.console_forms import add_refusal, fen_of_yuan
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_
from weshop.web.forms import FormResult, posted_values, undo_on_error
from weshop.web.i18n import gettext

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

SKU_REFUSALS = {
    "sku_code_taken": ("code", N_("Another SKU of this store has this code.")),
    "duplicate_sku_code": ("code", N_("Two SKUs cannot have the same code.")),
    "stock_would_go_negative": (
        "stock",
        N_("Stock cannot go below zero; some units were sold meanwhile."),
    ),
    "invalid_quantity": ("stock", N_("Enter a whole number of units, 0 or more.")),
    "idempotency_key_reused": (
        "__all__",
        N_("This form was already sent. Reload the page to see what was saved."),
    ),
}
PRICE_ERROR = N_("Enter a price in yuan, e.g. 59 or 59.90.")
STOCK_ERROR = N_("Enter a whole number of units, 0 or more.")
CODE_ERROR = N_("Use letters, digits, '.', '_' or '-' (64 at most).")
IMAGE_ERROR = N_("Choose one of the product's pictures.")


class SavedTable(BaseModel):
    product_id: int


def _sku_values(detail: service.ProductDetail) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for sku in detail.skus:
        level = detail.levels.get(sku.id)
        values[f"price.{sku.id}"] = f"{sku.price_fen // 100}.{sku.price_fen % 100:02d}"
        values[f"code.{sku.id}"] = sku.sku_code
        values[f"stock.{sku.id}"] = str(level.available if level else 0)
        values[f"active.{sku.id}"] = "on" if sku.is_active else ""
        values[f"image.{sku.id}"] = str(sku.image_id or "")
    return values


async def _skus_page(
    request: Request,
    session: DbSession,
    access: ConsoleAccess,
    product_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
    status_code: int = 200,
) -> Response:
    detail = await service.get_product(session, access.scope, product_id)
    current = _sku_values(detail)
    return console_page(
        request,
        "catalog/console/products/skus.html",
        access,
        "products",
        {
            "detail": detail,
            "product": detail.product,
            # A SKU's picture is one of the product's own (uploaded with the product).
            "pictures": [detail.media[i] for i in detail.product.image_ids if i in detail.media],
            # What the form showed, so that a stock change is applied as a difference.
            "seen": current,
            "values": values or current,
            "errors": errors or {},
            "notice": notice,
            "form_key": secrets.token_urlsafe(16),
        },
        status_code=status_code,
    )


@router.get("/products/{product_id}/skus")
async def skus_page(
    request: Request,
    product_id: PathId,
    session: DbSession,
    access: ConsoleAccess = Writer,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return await _skus_page(request, session, access, product_id, notice=notice_of(request, done))


def _image_choice(
    request: Request, sku: Sku, pictures: set[int], values: dict[str, Any], errors: dict[str, str]
) -> int | None:
    """The SKU's picture chosen among the product's own (blank: none)."""
    text = str(values.get(f"image.{sku.id}", "")).strip()
    if text.isdigit() and (int(text) in pictures or int(text) == sku.image_id):
        return int(text)
    if text:
        errors[f"image.{sku.id}"] = gettext(request, IMAGE_ERROR)
    return None


def _read_sku_rows(
    request: Request,
    skus: list[Sku],
    pictures: set[int],
    values: dict[str, Any],
    errors: dict[str, str],
) -> dict[int, tuple[SkuPatch, int | None, int | None]]:
    """Each row as a patch, the stock typed and the stock the form showed; errors by field.
    ``all_price`` / ``all_stock``, when filled, stand for every row's price / stock."""
    all_price = str(values.get("all_price", "")).strip()
    all_stock = str(values.get("all_stock", "")).strip()
    rows = {}
    for sku in skus:
        image_id = _image_choice(request, sku, pictures, values, errors)
        price_text = all_price or str(values.get(f"price.{sku.id}", "")).strip()
        price = fen_of_yuan(price_text)
        if not isinstance(price, int) or price_text == "":
            errors[f"price.{sku.id}"] = gettext(request, PRICE_ERROR)
        try:
            patch = SkuPatch(
                price_fen=price if isinstance(price, int) else None,
                sku_code=str(values.get(f"code.{sku.id}", "")).strip(),
                is_active=values.get(f"active.{sku.id}") == "on",
                image_id=image_id,
            )
        except ValidationError as exc:
            for error in exc.errors():
                field = "price" if error["loc"][0] == "price_fen" else "code"
                message = PRICE_ERROR if field == "price" else CODE_ERROR
                errors.setdefault(f"{field}.{sku.id}", gettext(request, message))
            continue
        stock_text = all_stock or str(values.get(f"stock.{sku.id}", "")).strip()
        seen_text = str(values.get(f"seen_stock.{sku.id}", "")).strip()
        stock = int(stock_text) if stock_text.isdigit() else None
        seen = int(seen_text) if seen_text.isdigit() else None
        if stock_text and (stock is None or stock > MAX_STOCK):
            errors[f"stock.{sku.id}"] = gettext(request, STOCK_ERROR)
        rows[sku.id] = (patch, stock, seen)
    return rows


@router.post("/products/{product_id}/skus")
async def save_skus(
    request: Request, product_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    """Saves the whole table at once or nothing: SKUs becoming sellable are saved first, so
    that a product on sale never passes through a moment with nothing to sell. Stock moves
    by the difference from what the form showed, once per form shown (its key), so neither a
    sale meanwhile nor a form sent twice is overwritten or counted twice."""
    detail = await service.get_product(session, access.scope, product_id)
    values = await posted_values(request)
    form_key = str(values.pop("form_key", ""))[:128] or None
    errors: dict[str, str] = {}
    pictures = set(detail.product.image_ids)
    rows = _read_sku_rows(request, detail.skus, pictures, values, errors)
    if errors:
        return await _skus_page(
            request, session, access, product_id, values=values, errors=errors, status_code=422
        )
    moves = {
        sku_id: stock - seen
        for sku_id, (_patch, stock, seen) in rows.items()
        if stock is not None and seen is not None and stock != seen
    }
    if moves and not access.can(Permission.STOCK_WRITE):
        raise PermissionDenied(f"the {access.scope.role} role may not change stock")
    by_id = {sku.id: sku for sku in detail.skus}
    sellable_first = sorted(rows, key=lambda i: not (rows[i][0].is_active and rows[i][0].price_fen))
    current = "__all__"
    result: FormResult[Any] = FormResult(values=values)

    async def save() -> SavedTable:
        nonlocal current
        for sku_id in sellable_first:
            patch, sku = rows[sku_id][0], by_id[sku_id]
            current = str(sku_id)
            if (patch.price_fen, patch.sku_code, patch.is_active, patch.image_id) != (
                sku.price_fen,
                sku.sku_code,
                sku.is_active,
                sku.image_id,
            ):
                await service.update_sku(session, access.scope, product_id, sku_id, patch)
        for sku_id, delta in sorted(moves.items()):
            current = str(sku_id)
            await inventory.move_stock(
                session,
                access.scope,
                sku_id,
                kind=MovementKind.ADJUST,
                quantity=delta,
                reason=gettext(request, "Changed in the SKU table"),
            )
        return SavedTable(product_id=product_id)

    try:
        async with undo_on_error(session):
            await run_idempotent(
                session,
                key=form_key,
                owner=f"user:{access.scope.actor_id}",
                endpoint="console.sku_table",
                payload={"store_id": access.scope.store_id, "product_id": product_id, **values},
                action=save,
                model=SavedTable,
            )
    except WeShopError as exc:
        add_refusal(request, result, exc, {**PRODUCT_REFUSALS, **SKU_REFUSALS})
        errors = {
            (f"{name}.{current}" if name in ("code", "stock") else name): message
            for name, message in result.errors.items()
        }
        return await _skus_page(
            request,
            session,
            access,
            product_id,
            values=values,
            errors=errors,
            status_code=exc.status_code,
        )
    return done_redirect(access, f"/products/{product_id}/skus", "saved")
