"""The platform console's category tree (平台类目): the categories shared by every store, with
forms that add one, rename, reorder or move one, and retire one nobody uses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import PageOperator
from weshop.catalog import platform_categories as tree
from weshop.catalog.console_categories import INVALID, refusal
from weshop.catalog.schemas import PlatformCategoryIn, PlatformCategoryPatch
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_
from weshop.web.forms import posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.templating import render

router = APIRouter(prefix="/platform", dependencies=[Depends(verify_csrf)])

DONE = {
    "created": N_("The category is added."),
    "saved": N_("The category is saved."),
    "retired": N_("The category is retired."),
}


async def _page(
    request: Request,
    session: AsyncSession,
    *,
    error: str = "",
    failed_id: int | None = None,
    status_code: int = 200,
) -> Response:
    rows = await tree.platform_tree(session, with_retired=True)
    done = request.query_params.get("done", "")
    return render(
        request,
        "catalog/platform/categories.html",
        {
            "section": "categories",
            "rows": rows,
            "tops": [row for row in rows if row.parent_id is None and not row.retired],
            "error": error,
            "failed_id": failed_id,
            "notice": gettext(request, DONE[done]) if done in DONE else "",
        },
        status_code=status_code,
    )


@router.get("/categories")
async def categories_page(request: Request, operator: PageOperator, session: DbSession) -> Response:
    """The platform category tree and the forms that change it."""
    return await _page(request, session)


def _form(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": str(values.get("name", "")).strip(),
        "parent_id": values.get("parent_id") or None,
        "sort_order": values.get("sort_order") or 0,
    }


async def _save(request: Request, session: AsyncSession, category_id: int | None) -> Response:
    values = _form(await posted_values(request))
    try:
        if category_id is None:
            body: Any = PlatformCategoryIn.model_validate(values, strict=False)
        else:
            body = PlatformCategoryPatch.model_validate(values, strict=False)
    except ValidationError:
        return await _page(
            request,
            session,
            error=gettext(request, INVALID),
            failed_id=category_id,
            status_code=422,
        )
    try:
        async with undo_on_error(session):
            if category_id is None:
                await tree.create_platform_category(session, body)
            else:
                await tree.update_platform_category(session, category_id, body)
    except WeShopError as exc:
        return await _page(
            request,
            session,
            error=refusal(request, exc),
            failed_id=category_id,
            status_code=exc.status_code,
        )
    done = "created" if category_id is None else "saved"
    return RedirectResponse(f"/platform/categories?done={done}", 303)


@router.post("/categories")
async def create_category(request: Request, operator: PageOperator, session: DbSession) -> Response:
    return await _save(request, session, None)


@router.post("/categories/{category_id}")
async def update_category(
    request: Request, category_id: PathId, operator: PageOperator, session: DbSession
) -> Response:
    """Rename, reorder or move one platform category (its row's form)."""
    await tree.get_platform_category(session, category_id)
    return await _save(request, session, category_id)


@router.post("/categories/{category_id}/retire")
async def retire_category(
    request: Request, category_id: PathId, operator: PageOperator, session: DbSession
) -> Response:
    try:
        async with undo_on_error(session):
            await tree.retire_platform_category(session, category_id)
    except WeShopError as exc:
        if exc.status_code == 404:
            raise
        return await _page(
            request, session, error=refusal(request, exc), failed_id=category_id, status_code=409
        )
    return RedirectResponse("/platform/categories?done=retired", 303)
