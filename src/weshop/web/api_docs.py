"""The API's documentation pages, Swagger UI (``/docs``) and ReDoc (``/redoc``), served from
WeShop itself: FastAPI's own pages load their scripts from a CDN and start Swagger UI with an
inline script, which the Content-Security-Policy of WeShop's pages refuses (and a CDN is one
more host that could run script on WeShop's origin, and is often unreachable from China).

The scripts and styles of both come from the ``fastapi-offline`` package; Swagger UI is
started by ``/static/api-docs.js``.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

from weshop.web.templating import render

ASSETS_URL = "/api-docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"

router = APIRouter(include_in_schema=False)


def _docs_page(request: Request, template: str) -> HTMLResponse:
    return render(request, template, {"openapi_url": request.app.openapi_url, "assets": ASSETS_URL})


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return _docs_page(request, "api_docs/swagger.html")


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    return _docs_page(request, "api_docs/redoc.html")


def install_api_docs(app: FastAPI) -> None:
    """Puts the documentation pages on an app made with ``docs_url=None, redoc_url=None``."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="api-docs-assets")
    app.include_router(router)
