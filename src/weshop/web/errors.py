"""Errors on pages are pages: a sentence the visitor can act on, never JSON or a traceback.

The API keeps its JSON errors. A request is a page request when it is outside the API and
the browser asks for HTML. A page that needs a signed-in visitor redirects to the right
sign-in page and comes back afterwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlsplit

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from weshop.core.errors import Unauthenticated, WeShopError
from weshop.core.http_errors import JSON_ERROR_HANDLERS
from weshop.web import pending_action
from weshop.web.i18n import gettext
from weshop.web.templating import render

_NOT_PAGES = ("/api/", "/sandbox-pay/", "/paysim/", "/media/", "/static/", "/docs", "/openapi")

# What a visitor can do about the errors they meet most, by stable error code. Marked for
# extraction with N_ so that the catalogue carries them; translated when shown.


def N_(message: str) -> str:
    return message


ERROR_MESSAGES = {
    "out_of_stock": N_("Sorry, this item has just sold out. Choose another spec or fewer items."),
    "not_enough_stock": N_("Not enough stock left for the quantity you chose."),
    "sold_out": N_("Sorry, this item is sold out."),
    "payment_window_passed": N_(
        "The time to pay for this order has passed and it was cancelled. Please order again."
    ),
    "payment_closed": N_("This payment was closed. Start the payment again from your order."),
    "sign_in_required": N_("Your session has expired. Please sign in again."),
    "unauthenticated": N_("Your session has expired. Please sign in again."),
    "invalid_code": N_("The code is wrong or has expired. Ask for a new one."),
    "invalid_credentials": N_("Wrong phone number or password."),
    "rate_limited": N_("Too many attempts. Please wait a minute and try again."),
    "csrf_failed": N_("This form has expired. Reload the page and try again."),
    "coupon_unavailable": N_("That coupon was just used or is no longer available."),
    "coupon_not_usable": N_("That coupon cannot be used for this order."),
    "undeliverable": N_("We cannot deliver to this address. Choose another address."),
    "store_suspended": N_("This store is suspended and takes no orders at the moment."),
    "product_unavailable": N_("This product is no longer on sale."),
    "not_found": N_("We could not find that page."),
    "permission_denied": N_("You do not have permission to do this."),
    "illegal_transition": N_("This cannot be done in the order's current state."),
    "conflict": N_("That conflicts with something that already exists. Reload and try again."),
    "invalid_input": N_("Some of what was entered is not valid. Check it and try again."),
    "internal_error": N_("Something went wrong on our side. It has been logged; please try again."),
}

_TITLES = {
    400: N_("Request not accepted"),
    401: N_("Please sign in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("Could not complete"),
    422: N_("Please check your input"),
    429: N_("Slow down"),
    500: N_("Something went wrong"),
    502: N_("Payment service unavailable"),
}


def is_page_request(request: Request) -> bool:
    path = request.url.path
    if path.startswith(_NOT_PAGES):
        return False
    return "text/html" in request.headers.get("accept", "")


def sign_in_path(request: Request) -> str:
    """The sign-in page of the part of the site the visitor was in."""
    path = request.url.path
    for prefix in ("/console", "/platform"):
        if path.startswith(prefix):
            return f"{prefix}/signin"
    return "/signin"


def error_message(request: Request, code: str, fallback: str) -> str:
    known = ERROR_MESSAGES.get(code)
    return gettext(request, known) if known else fallback


def error_page(request: Request, status: int, code: str, message: str) -> Response:
    title = gettext(request, _TITLES.get(status, _TITLES[400 if status < 500 else 500]))
    return render(
        request,
        "error.html",
        {"status": status, "code": code, "title": title, "message": message},
        status_code=status,
    )


def sign_in_redirect(request: Request, next_path: str) -> Response:
    """To sign-in, then to ``next_path``; a declared shopper action that was posted is kept
    and finished after sign-in (:mod:`weshop.web.pending_action`)."""
    response = RedirectResponse(f"{sign_in_path(request)}?next={quote(next_path)}", status_code=303)
    pending_action.remember(request, response)
    return response


def _redirect_to_sign_in(request: Request) -> Response:
    """Back to where the visitor was after signing in: this page, or for a form post (which
    cannot be repeated by a GET) the page the form was on."""
    if request.method in {"GET", "HEAD"}:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        referer = urlsplit(request.headers.get("referer", ""))
        same_site = referer.netloc in {"", request.url.netloc}
        here = referer.path if same_site and referer.path.startswith("/") else "/"
        here += f"?{referer.query}" if same_site and referer.query else ""
    return sign_in_redirect(request, here)


ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


def _page_or_json(json_handler: ErrorHandler) -> ErrorHandler:
    async def handler(request: Request, exc: Exception) -> Response:
        if not is_page_request(request):
            return await json_handler(request, exc)
        if isinstance(exc, Unauthenticated) and exc.code in {"sign_in_required", "unauthenticated"}:
            return _redirect_to_sign_in(request)
        if isinstance(exc, WeShopError):
            return error_page(
                request, exc.status_code, exc.code, error_message(request, exc.code, exc.message)
            )
        if isinstance(exc, StarletteHTTPException):
            code = "not_found" if exc.status_code == 404 else "bad_request"
            return error_page(request, exc.status_code, code, error_message(request, code, ""))
        if isinstance(exc, IntegrityError):
            await json_handler(request, exc)  # logs it
            return error_page(request, 409, "conflict", error_message(request, "conflict", ""))
        if isinstance(exc, RequestValidationError):
            return error_page(
                request, 422, "invalid_input", error_message(request, "invalid_input", "")
            )
        await json_handler(request, exc)  # logs the unexpected error
        return error_page(
            request, 500, "internal_error", error_message(request, "internal_error", "")
        )

    return handler


def install_page_error_handlers(app: FastAPI) -> None:
    for exc_type, json_handler in JSON_ERROR_HANDLERS.items():
        app.add_exception_handler(exc_type, _page_or_json(json_handler))
