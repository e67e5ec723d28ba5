"""What every page relies on, put on the app before the pages themselves: HTML errors,
static assets, the language switch and the API's documentation pages; and ``local_path``,
the only kind of place a page sends a visitor back to.

The pages are put on the app by :mod:`weshop.routes`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse

from weshop.web.api_docs import install_api_docs
from weshop.web.errors import install_page_error_handlers
from weshop.web.i18n import LANGUAGE_COOKIE, LANGUAGES

STATIC_DIR = Path(__file__).parent / "static"

common = APIRouter(include_in_schema=False)


def local_path(target: str | None, default: str = "/") -> str:
    """Only a path on this site is a place to go back to (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@common.get("/lang")
async def switch_language(
    request: Request,
    to: Annotated[str, Query()],
    next: Annotated[str | None, Query()] = None,
) -> RedirectResponse:
    """Remembers the chosen language in a cookie and goes back to the page."""
    referer_path = urlsplit(request.headers.get("referer", "")).path
    response = RedirectResponse(local_path(next or referer_path), 303)
    if to in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, to, max_age=365 * 24 * 3600, samesite="lax")
    return response


def install_page_toolkit(app: FastAPI) -> None:
    install_page_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(common)
    install_api_docs(app)
