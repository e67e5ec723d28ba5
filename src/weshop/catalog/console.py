"""The merchant console's products: the list with search and filters, the product form whose
spec dimensions make the SKU matrix, images, publishing, and the bulk editor of the SKUs."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from weshop.catalog import categories, service
from weshop.catalog.models import Category, ProductStatus
from weshop.catalog.schemas import MAX_IMAGES, MAX_SPECS, ProductCreate, ProductPatch
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import MAX_ID, PathId
from weshop.core.pagination import page_of
from weshop.core.runtime import Runtime
from weshop.core.tenancy import StoreScope
from weshop.media import service as media
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff, done_redirect
from weshop.stores.permissions import Permission
from weshop.web.console_forms import NestedForm, add_refusal, parse_nested
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_
from weshop.web.forms import FormResult, posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.pages import local_path

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

PAGE_SIZE = 20
Reader = console_staff(Permission.CATALOG_READ)
Writer = console_staff(Permission.CATALOG_WRITE)

# Spec values are typed in one box, separated as people separate them in Chinese or English.
VALUE_SEPARATORS = re.compile(r"[,，、;；\n]+")
STATUS_FILTERS = [
    ("", N_("All")),
    (ProductStatus.PUBLISHED, N_("On sale")),
    (ProductStatus.DRAFT, N_("Draft")),
    (ProductStatus.UNPUBLISHED, N_("Off sale")),
    (ProductStatus.ARCHIVED, N_("Archived")),
]
PRODUCT_REFUSALS = {
    "unknown_category": ("category_id", N_("Choose one of the store's categories.")),
    "too_many_skus": ("__all__", N_("These specs make too many combinations (600 at most).")),
    "not_publishable": (
        "__all__",
        N_("A product on sale needs at least one active SKU priced above zero."),
    ),
    "product_archived": ("__all__", N_("An archived product cannot be changed.")),
    "unsupported_image": ("images", N_("Upload PNG, JPEG, WebP or GIF images.")),
    "payload_too_large": ("images", N_("An image is too large (5 MB at most).")),
}
DUPLICATE_SPEC = N_("Two specs cannot have the same name.")
SAVED = {
    "created": N_("The product is created. Set the price and stock of each SKU below."),
    "saved": N_("Your changes are saved."),
    "published": N_("The product is on sale."),
    "unpublished": N_("The product is off sale."),
    "archived": N_("The product is archived: it left the shop and the product list."),
    "restored": N_("The product is restored, off sale; publish it when it is ready."),
}
TOO_MANY_IMAGES = N_("A product has 9 images at most.")
NO_IMAGE = N_("Choose one or more image files to upload.")


def _category_options(found: list[Category]) -> list[tuple[int, str]]:
    """Top-level categories, each followed by its children, indented."""
    children: dict[int, list[Category]] = {}
    for category in found:
        if category.parent_id is not None:
            children.setdefault(category.parent_id, []).append(category)
    options = []
    for category in found:
        if category.parent_id is None:
            options.append((category.id, category.name))
            options.extend((child.id, f"— {child.name}") for child in children.get(category.id, []))
    return options


def notice_of(request: Request, done: str | None) -> str:
    return gettext(request, SAVED[done]) if done in SAVED else ""


def _back(values: dict[str, Any], default: str) -> str:
    return local_path(str(values.get("next", "")), default)


# The list


@router.get("/products")
async def products_page(
    request: Request,
    session: DbSession,
    access: ConsoleAccess = Reader,
    q: Annotated[str, Query(max_length=60)] = "",
    status: Annotated[ProductStatus | None, Query()] = None,
    category_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    found = await service.list_products(
        session,
        access.scope,
        status=status,
        category_id=category_id,
        q=q or None,
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    page = page_of(found.rows, PAGE_SIZE, lambda product: product)
    return console_page(
        request,
        "catalog/console/products/list.html",
        access,
        "products",
        {
            "products": page.items,
            "next_cursor": page.next_cursor,
            "media": found.media,
            "search": {"q": q, "status": status or "", "category_id": category_id or ""},
            "status_filters": STATUS_FILTERS,
            "category_options": _category_options(
                await categories.list_categories(session, access.scope)
            ),
        },
    )


# Creating a product


def _spec_rows(values: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "name": str(values.get(f"specs.{index}.name", "")),
            "values": str(values.get(f"specs.{index}.values", "")),
        }
        for index in range(MAX_SPECS)
    ]


async def _product_form(
    request: Request,
    session: DbSession,
    access: ConsoleAccess,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    return console_page(
        request,
        "catalog/console/products/new.html",
        access,
        "products",
        {
            "values": values,
            "errors": errors or {},
            "spec_rows": _spec_rows(values),
            "category_options": _category_options(
                await categories.list_categories(session, access.scope)
            ),
        },
        status_code=status_code,
    )


def _create_form(values: dict[str, Any]) -> NestedForm:
    """The posted product as ``ProductCreate`` takes it: each spec's values split from the
    one box they were typed in, spec rows left blank dropped."""
    cleaned = {k: v for k, v in values.items() if not k.startswith("specs.")}
    for index in range(MAX_SPECS):
        name = str(values.get(f"specs.{index}.name", "")).strip()
        typed = str(values.get(f"specs.{index}.values", ""))
        spec_values = [part.strip() for part in VALUE_SEPARATORS.split(typed) if part.strip()]
        if name or spec_values:
            cleaned[f"specs.{index}.name"] = name
            cleaned[f"specs.{index}.values"] = spec_values
    cleaned["publish"] = values.get("publish") == "on"
    form = NestedForm(cleaned, lists=frozenset({"values"}))
    form.values = values
    return form


def _spec_errors(errors: dict[str, str]) -> dict[str, str]:
    """An error on one value of a spec (``specs.0.values.2``) shows on the spec's box."""
    shown: dict[str, str] = {}
    for name, message in errors.items():
        parts = name.split(".")
        key = ".".join(parts[:3]) if parts[0] == "specs" else name
        shown.setdefault(key, message)
    return shown


@router.get("/products/new")
async def new_product(request: Request, session: DbSession, access: ConsoleAccess = Writer):
    return await _product_form(request, session, access, {"default_stock": "0"})


async def uploaded_images(
    session: DbSession, runtime: Runtime, scope: StoreScope, uploads: list[UploadFile]
) -> list[int]:
    """Keep each uploaded image (once per store), in the order they were sent: the first is
    the main image."""
    limit = runtime.settings.max_upload_bytes
    image_ids: list[int] = []
    for upload in uploads:
        data = await upload.read(limit + 1)
        asset = await media.upload_image(
            session, scope, data, media_dir=runtime.settings.media_dir, max_bytes=limit
        )
        if asset.id not in image_ids:
            image_ids.append(asset.id)
    return image_ids


def files_of(request_form: Any, name: str) -> list[UploadFile]:
    return [
        item
        for item in request_form.getlist(name)
        if isinstance(item, UploadFile) and item.filename
    ]


@router.post("/products/new")
async def create_product(
    request: Request, session: DbSession, runtime: RuntimeDep, access: ConsoleAccess = Writer
) -> Response:
    uploads = files_of(await request.form(), "images")
    values = {k: v for k, v in (await posted_values(request)).items() if k != "images"}
    form = _create_form(values)
    result: FormResult[ProductCreate] = parse_nested(request, form, ProductCreate)
    names = [str(spec.get("name", "")) for spec in form.data.get("specs", [])]
    for index, name in enumerate(names):
        if name and name in names[:index]:
            result.add_error(form.field_of(f"specs.{index}.name"), gettext(request, DUPLICATE_SPEC))
            result.errors.pop("__all__", None)
    if len(uploads) > MAX_IMAGES:
        result.add_error("images", gettext(request, TOO_MANY_IMAGES))
    if result.errors or result.data is None:
        return await _product_form(
            request, session, access, values, _spec_errors(result.errors), status_code=422
        )
    try:
        async with undo_on_error(session):
            image_ids = await uploaded_images(session, runtime, access.scope, uploads)
            data = result.data.model_copy(update={"image_ids": image_ids})
            detail = await service.create_product(session, access.scope, data)
    except WeShopError as exc:
        add_refusal(request, result, exc, PRODUCT_REFUSALS)
        return await _product_form(
            request, session, access, values, result.errors, status_code=exc.status_code
        )
    return done_redirect(access, f"/products/{detail.product.id}/skus", "created")


# One product: texts, category, images, publishing


async def product_page_of(
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
    product = detail.product
    shown = values or {
        "title": product.title,
        "subtitle": product.subtitle,
        "description": product.description,
        "category_id": product.category_id or "",
    }
    return console_page(
        request,
        "catalog/console/products/edit.html",
        access,
        "products",
        {
            "detail": detail,
            "product": product,
            "values": shown,
            "errors": errors or {},
            "notice": notice,
            "max_images": MAX_IMAGES,
            "category_options": _category_options(
                await categories.list_categories(session, access.scope)
            ),
        },
        status_code=status_code,
    )


@router.get("/products/{product_id}")
async def product_page(
    request: Request,
    product_id: PathId,
    session: DbSession,
    access: ConsoleAccess = Reader,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return await product_page_of(
        request, session, access, product_id, notice=notice_of(request, done)
    )


@router.post("/products/{product_id}")
async def update_product(
    request: Request, product_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    await service.get_product(session, access.scope, product_id)
    values = await posted_values(request)
    fields = ("title", "subtitle", "description", "category_id")
    form = NestedForm({name: values.get(name, "") for name in fields})
    # Every field is posted: blank texts are texts, and no category takes it out of its own.
    for name in ("subtitle", "description"):
        form.data.setdefault(name, "")
    form.data.setdefault("category_id", None)
    form.data.setdefault("title", "")
    result: FormResult[ProductPatch] = parse_nested(request, form, ProductPatch)
    if result.errors or result.data is None:
        return await product_page_of(
            request,
            session,
            access,
            product_id,
            values=values,
            errors=result.errors,
            status_code=422,
        )
    try:
        async with undo_on_error(session):
            await service.update_product(session, access.scope, product_id, result.data)
    except WeShopError as exc:
        add_refusal(request, result, exc, PRODUCT_REFUSALS)
        return await product_page_of(
            request,
            session,
            access,
            product_id,
            values=values,
            errors=result.errors,
            status_code=exc.status_code,
        )
    return done_redirect(access, f"/products/{product_id}", "saved")


async def _change_status(
    request: Request, session: DbSession, access: ConsoleAccess, product_id: int, action: str
) -> Response:
    values = await posted_values(request)
    back = _back(values, f"/console/stores/{access.store.id}/products/{product_id}")
    try:
        async with undo_on_error(session):
            await service.change_status(session, access.scope, product_id, action)
    except WeShopError as exc:
        result: FormResult[Any] = FormResult(values={})
        add_refusal(request, result, exc, PRODUCT_REFUSALS)
        return await product_page_of(
            request,
            session,
            access,
            product_id,
            errors=result.errors,
            status_code=exc.status_code,
        )
    separator = "&" if "?" in back else "?"
    done = {"archive": "archived", "restore": "restored"}.get(action, f"{action}ed")
    return RedirectResponse(f"{back}{separator}done={done}", 303)


@router.post("/products/{product_id}/publish")
async def publish(
    request: Request, product_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    return await _change_status(request, session, access, product_id, "publish")


@router.post("/products/{product_id}/unpublish")
async def unpublish(
    request: Request, product_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    return await _change_status(request, session, access, product_id, "unpublish")


@router.post("/products/{product_id}/archive")
async def archive(
    request: Request, product_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    return await _change_status(request, session, access, product_id, "archive")


@router.post("/products/{product_id}/restore")
async def restore(
    request: Request, product_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    return await _change_status(request, session, access, product_id, "restore")
