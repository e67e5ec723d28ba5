"""The merchant console's categories (商品分组): the store's categories as a tree, with forms
that add one, rename, reorder or nest one, map it onto the platform's category tree, and
delete an empty one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from weshop.catalog import categories
from weshop.catalog.models import Category
from weshop.catalog.platform_categories import platform_tree
from weshop.catalog.schemas import CategoryIn, CategoryPatch
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff, done_redirect
from weshop.stores.permissions import Permission
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_, error_message
from weshop.web.forms import posted_values, undo_on_error
from weshop.web.i18n import gettext

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

Reader = console_staff(Permission.CATALOG_READ)
Writer = console_staff(Permission.CATALOG_WRITE)

INVALID = N_("Give the category a name (30 characters at most) and a sort order from 0.")
# The category services' refusals in the console's words (either tree).
REFUSALS = {
    "duplicate_category": N_("A category with this name is already there."),
    "category_too_deep": N_(
        "Categories have two levels: nest only under a top-level category without children."
    ),
    "category_has_children": N_("Move or delete its sub-categories first."),
    "category_in_use": N_("It is still in use: move its products (or store categories) first."),
    "too_many": N_("There are too many categories already."),
    "unknown_category": N_("Choose a parent category from the list."),
    "not_found": N_("Choose a category from the list."),
    "category_retired": N_("A retired category cannot be changed."),
}
DONE = {
    "created": N_("The category is added."),
    "saved": N_("The category is saved."),
    "deleted": N_("The category is deleted."),
}


def refusal(request: Request, exc: WeShopError) -> str:
    """A category service's refusal, said in the page's language."""
    known = REFUSALS.get(exc.code)
    return gettext(request, known) if known else error_message(request, exc.code, exc.message)


def tree_rows(found: list[Category]) -> list[Category]:
    """Top-level categories, each followed by its children (the order the page shows)."""
    children: dict[int, list[Category]] = {}
    for category in found:
        if category.parent_id is not None:
            children.setdefault(category.parent_id, []).append(category)
    rows = []
    for category in found:
        if category.parent_id is None:
            rows.append(category)
            rows.extend(children.get(category.id, []))
    return rows


async def _page(
    request: Request,
    session: AsyncSession,
    access: ConsoleAccess,
    *,
    error: str = "",
    failed_id: int | None = None,
    status_code: int = 200,
) -> Response:
    found = await categories.list_categories(session, access.scope)
    done = request.query_params.get("done", "")
    return console_page(
        request,
        "catalog/console/categories.html",
        access,
        "categories",
        {
            "rows": tree_rows(found),
            "tops": [category for category in found if category.parent_id is None],
            "platform": await platform_tree(session),
            "error": error,
            "failed_id": failed_id,
            "notice": gettext(request, DONE[done]) if done in DONE else "",
        },
        status_code=status_code,
    )


def _form(values: dict[str, Any]) -> dict[str, Any]:
    """The posted row: blank parent or platform category means none (top-level, unmapped)."""
    return {
        "name": str(values.get("name", "")).strip(),
        "parent_id": values.get("parent_id") or None,
        "sort_order": values.get("sort_order") or 0,
        "platform_category_id": values.get("platform_category_id") or None,
    }


@router.get("/categories")
async def categories_page(
    request: Request, session: DbSession, access: ConsoleAccess = Reader
) -> Response:
    """The store's categories as a tree, with the forms that change them."""
    return await _page(request, session, access)


async def _save(
    request: Request,
    session: AsyncSession,
    access: ConsoleAccess,
    category_id: int | None,
) -> Response:
    values = _form(await posted_values(request))
    try:
        if category_id is None:
            body: CategoryIn | CategoryPatch = CategoryIn.model_validate(values, strict=False)
        else:
            body = CategoryPatch.model_validate(values, strict=False)
    except ValidationError:
        error = gettext(request, INVALID)
        return await _page(
            request, session, access, error=error, failed_id=category_id, status_code=422
        )
    try:
        async with undo_on_error(session):
            if isinstance(body, CategoryIn):
                await categories.create_category(session, access.scope, body)
            else:
                await categories.update_category(session, access.scope, category_id or 0, body)
    except WeShopError as exc:
        error = refusal(request, exc)
        return await _page(
            request,
            session,
            access,
            error=error,
            failed_id=category_id,
            status_code=exc.status_code,
        )
    return done_redirect(access, "/categories", "created" if category_id is None else "saved")


@router.post("/categories")
async def create_category(
    request: Request, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    return await _save(request, session, access, None)


@router.post("/categories/{category_id}")
async def update_category(
    request: Request, category_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    """Rename, reorder, nest or map one category (its row's form)."""
    await categories.get_category(session, access.scope, category_id)
    return await _save(request, session, access, category_id)


@router.post("/categories/{category_id}/delete")
async def delete_category(
    request: Request, category_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    """Delete an empty category; one with products or sub-categories says so."""
    try:
        async with undo_on_error(session):
            await categories.delete_category(session, access.scope, category_id)
    except WeShopError as exc:
        if exc.status_code == 404:
            raise
        error = refusal(request, exc)
        return await _page(
            request, session, access, error=error, failed_id=category_id, status_code=409
        )
    return done_redirect(access, "/categories", "deleted")
