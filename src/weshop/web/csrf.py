"""CSRF protection for every state-changing form: a signed double-submit token.

The browser holds a random ``weshop_csrf`` cookie (SameSite=Lax, HttpOnly); each form carries
``csrf_token`` = HMAC(secret, cookie value). A forged cross-site post can neither read the
cookie nor compute the token, so it is refused with 403 and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from weshop.core.errors import PermissionDenied

CSRF_COOKIE = "weshop_csrf"
CSRF_FIELD = "csrf_token"


def _secret(request: Request) -> bytes:
    state = request.app.state
    if not hasattr(state, "csrf_key"):
        secret = state.runtime.settings.resolved_secret()
        state.csrf_key = hashlib.sha256(b"weshop-csrf" + secret).digest()
    return state.csrf_key


def browser_id(request: Request) -> str:
    """The browser's CSRF cookie value, made on its first page (set by ``remember_browser``)."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and 16 <= len(existing) <= 64:
        return existing
    if not hasattr(request.state, "new_browser_id"):
        request.state.new_browser_id = secrets.token_urlsafe(24)
    return request.state.new_browser_id


def csrf_token(request: Request) -> str:
    return hmac.new(_secret(request), browser_id(request).encode(), hashlib.sha256).hexdigest()


def remember_browser(request: Request, response: Response) -> None:
    """Sets the CSRF cookie on the answer if this request had to make one."""
    new_id = getattr(request.state, "new_browser_id", None)
    if new_id:
        response.set_cookie(
            CSRF_COOKIE, new_id, httponly=True, samesite="lax", secure=request.url.scheme == "https"
        )


_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


async def verify_csrf(request: Request) -> None:
    """Dependency of every page router: a request that changes state must carry the token.

    Set on the router, so that it runs before anything else of the route and no form can be
    added without it.
    """
    if request.method in _SAFE_METHODS:
        return
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    expected = csrf_token(request)
    if not isinstance(sent, str) or not cookie or not hmac.compare_digest(sent, expected):
        raise PermissionDenied(
            "the form has expired or did not come from this site; reload the page and try again",
            code="csrf_failed",
        )
