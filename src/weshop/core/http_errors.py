"""Maps every error to one JSON shape: ``{"error": {"code", "message", "details"?}}``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from weshop.core.errors import RateLimited, WeShopError
from weshop.core.openapi import api_routes

log = structlog.get_logger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _error(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status)


def error_response(exc: WeShopError) -> JSONResponse:
    """The answer to a project error, for the app's handler and for a direct route that
    answers its commonest error itself rather than raise it through every layer."""
    headers = None
    if isinstance(exc, RateLimited) and exc.retry_after_seconds is not None:
        headers = {"Retry-After": str(exc.retry_after_seconds)}
    return JSONResponse(exc.to_body(), status_code=exc.status_code, headers=headers)


async def _weshop_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WeShopError)
    return error_response(exc)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(error.get("type") == "json_invalid" for error in errors):
        return _error(400, "malformed_json", "the request body is not valid JSON")
    # The submitted value is left out on purpose: it may be personal data.
    details = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())),
            "message": error.get("msg", ""),
            "type": error.get("type", ""),
        }
        for error in errors
    ]
    first = details[0] if details else {"field": "", "message": "invalid input"}
    return _error(422, "invalid_input", f"{first['field']}: {first['message']}", details)


def allowed_methods(request: Request) -> str:
    """Every method some route of the app answers at the request's path, for ``Allow``.

    Starlette names only the methods of the first route that matched the path, while a path
    is often served by several routes (``GET`` and ``POST`` of a collection).
    """
    path = request.url.path
    methods: set[str] = set()
    for route in api_routes(request.app):
        if route.methods and compile_path(route.path)[0].match(path):
            methods |= route.methods
    return ", ".join(sorted(methods))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if exc.status_code == 400 and "parsing the body" in message:
        code, message = "malformed_body", "the request body could not be read (is it UTF-8 JSON?)"
    headers = exc.headers
    if exc.status_code == 405 and (allow := allowed_methods(request)):
        headers = {**(headers or {}), "Allow": allow}
    return JSONResponse(
        {"error": {"code": code, "message": message}},
        status_code=exc.status_code,
        headers=headers,
    )


async def _integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("db.integrity_error", error=str(getattr(exc, "orig", exc))[:300])
    return _error(409, "conflict", "the change conflicts with existing data")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The safe log renders the exception bounded, without locals or secrets (core.logging).
    log.error("http.unexpected_error", method=request.method, path=request.url.path, exc_info=exc)
    return _error(500, "internal_error", "something went wrong on our side; it has been logged")


JSON_ERROR_HANDLERS: dict[type[Exception], Callable[[Request, Exception], Awaitable[Response]]] = {
    WeShopError: _weshop_error,
    RequestValidationError: _validation_error,
    StarletteHTTPException: _http_error,
    IntegrityError: _integrity_error,
    Exception: _unexpected,
}


def install_error_handlers(app: FastAPI) -> None:
    for exc_type, handler in JSON_ERROR_HANDLERS.items():
        app.add_exception_handler(exc_type, handler)
