"""The merchant console's CSV import of products: upload, preview (every bad row with its
line), then import the previewed file (rules in :mod:`weshop.catalog.imports`)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from weshop.catalog import imports
from weshop.catalog.console import Writer
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.stores.console_access import ConsoleAccess, console_page, done_redirect
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_, error_message
from weshop.web.forms import undo_on_error
from weshop.web.i18n import gettext

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

ROW_PROBLEMS = {
    "missing_column": N_("The header row lacks this column; start from the template."),
    "required": N_("Fill this in."),
    "too_long": N_("This is too long."),
    "invalid_quantity": N_("Enter a whole number, 0 or more."),
    "invalid_price": N_("Enter a price in yuan with at most 2 decimals, e.g. 59.90."),
    "invalid_sku_code": N_("Use letters, digits, '.', '_' or '-' (64 at most)."),
    "invalid_spec": N_("A spec needs a name (no : or |) and a value (no |)."),
    "duplicate_sku_code": N_("This SKU code is already on another line of the file."),
    "sku_code_taken": N_("The store already has an SKU with this code."),
    "product_mismatch": N_("This differs from the product's first line."),
    "duplicate_combination": N_("The product already has a line with these spec values."),
    "incomplete_matrix": N_("The product's lines must cover every combination of its specs."),
    "too_many_skus": N_("These specs make too many combinations (600 at most)."),
    "unknown_category": N_("The store has no category of this name."),
    "ambiguous_category": N_("Two categories have this name; write parent/child."),
}
FILE_PROBLEMS = {
    "import_not_csv": N_("This is not a CSV file in UTF-8 or GB18030."),
    "import_too_large": N_("The file is larger than 2 MB; split it."),
    "import_empty": N_("The file is empty."),
    "import_too_many_rows": N_("A file has 2000 lines at most; split it."),
}
NO_FILE = N_("Choose a CSV file to upload.")
IMPORTED = N_("The products are imported as drafts: check them, then publish.")
LABELS = dict(imports.COLUMNS)


def _import_page(
    request: Request,
    access: ConsoleAccess,
    *,
    plan: imports.ImportPlan | None = None,
    content: str = "",
    problem: str = "",
    notice: str = "",
    status_code: int = 200,
) -> Response:
    rows = [
        {
            "line": error.line,
            "column": LABELS.get(error.column, error.column),
            "message": gettext(request, ROW_PROBLEMS.get(error.code, error.message)),
        }
        for error in (plan.errors if plan else [])
    ]
    return console_page(
        request,
        "catalog/console/products/import.html",
        access,
        "products",
        {
            "plan": plan,
            "problems": rows,
            "content": content,
            "problem": problem,
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/product-imports")
async def import_page(
    request: Request,
    access: ConsoleAccess = Writer,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    notice = gettext(request, IMPORTED) if done == "imported" else ""
    return _import_page(request, access, notice=notice)


@router.get("/product-imports/template.csv")
async def template(access: ConsoleAccess = Writer) -> Response:
    return Response(
        imports.template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="products-template.csv"'},
    )


def _refused(request: Request, access: ConsoleAccess, exc: WeShopError) -> Response:
    known = FILE_PROBLEMS.get(exc.code)
    problem = gettext(request, known) if known else error_message(request, exc.code, exc.message)
    return _import_page(request, access, problem=problem, status_code=exc.status_code)


@router.post("/product-imports/preview")
async def preview(request: Request, session: DbSession, access: ConsoleAccess = Writer) -> Response:
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _import_page(request, access, problem=gettext(request, NO_FILE), status_code=422)
    data = await upload.read(imports.MAX_IMPORT_BYTES + 1)
    try:
        plan = await imports.preview(session, access.scope, data)
    except WeShopError as exc:
        return _refused(request, access, exc)
    # The previewed file goes back with the import button, so that exactly it is imported.
    content = base64.b64encode(data).decode("ascii") if not plan.errors else ""
    return _import_page(
        request,
        access,
        plan=plan,
        content=content,
        status_code=422 if plan.errors else 200,
    )


@router.post("/product-imports")
async def run_import(
    request: Request, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    """Imports the file the preview showed (checked again: the store may have changed)."""
    content = (await request.form()).get("content")
    try:
        data = base64.b64decode(str(content or ""), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    try:
        async with undo_on_error(session):
            await imports.import_products(session, access.scope, data)
    except WeShopError as exc:
        if exc.code != "import_rejected":
            return _refused(request, access, exc)
        plan = await imports.preview(session, access.scope, data)
        return _import_page(request, access, plan=plan, status_code=exc.status_code)
    return done_redirect(access, "/product-imports", "imported")
