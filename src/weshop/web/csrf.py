"""CSRF protection for every state-changing form: a token bound to the visitor's session.

Each form carries ``csrf_token`` = HMAC(secret, what identifies the visitor's session): the
sign-in session's token (the HttpOnly ``weshop_session`` cookie) when there is one, otherwise
a random pre-session value in the ``weshop_csrf`` cookie (HttpOnly, SameSite=Lax), which
signing in and signing out replace. A forged cross-site post can neither read those cookies
nor compute the token. A token is good only for the session it was made for: an attacker who
plants their own ``weshop_csrf`` cookie and its token in a victim's browser gets nothing, since
the victim's forms are bound to the victim's session, and a token taken before signing in is
worth nothing after it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from weshop.core.errors import PermissionDenied
from weshop.web.session_cookie import SESSION_COOKIE

CSRF_COOKIE = "weshop_csrf"
CSRF_FIELD = "csrf_token"


def csrf_key(secret: bytes) -> bytes:
    """The key of the tokens, derived from the installation's secret."""
    return hashlib.sha256(b"weshop-csrf" + secret).digest()


def _secret(request: Request) -> bytes:
    state = request.app.state
    if not hasattr(state, "csrf_key"):
        state.csrf_key = csrf_key(state.runtime.settings.resolved_secret())
    return state.csrf_key


def valid_pre_session(value: str | None) -> bool:
    return value is not None and 16 <= len(value) <= 64


def new_pre_session_id() -> str:
    return secrets.token_urlsafe(24)


def token_for(key: bytes, session: str | None, pre_session: str) -> str:
    """The token of a visitor's forms: bound to the sign-in session when there is one,
    otherwise to the browser's pre-session value."""
    bound_to = b"session:" + session.encode() if session else b"pre-session:" + pre_session.encode()
    return hmac.new(key, bound_to, hashlib.sha256).hexdigest()


def pre_session_id(request: Request) -> str:
    """The browser's pre-session value, made on its first page (set by ``remember_browser``)."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing is not None and valid_pre_session(existing):
        return existing
    if not hasattr(request.state, "new_pre_session_id"):
        request.state.new_pre_session_id = new_pre_session_id()
    return request.state.new_pre_session_id


def csrf_token(request: Request) -> str:
    session = request.cookies.get(SESSION_COOKIE)
    return token_for(_secret(request), session, "" if session else pre_session_id(request))


def pre_session_cookie(response: Response, value: str, *, secure: bool) -> None:
    response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="lax", secure=secure)


def _set_pre_session(request: Request, response: Response, value: str) -> None:
    pre_session_cookie(response, value, secure=request.url.scheme == "https")


def remember_browser(request: Request, response: Response) -> None:
    """Sets the pre-session cookie on the answer if this request had to make one."""
    new_id = getattr(request.state, "new_pre_session_id", None)
    if new_id:
        _set_pre_session(request, response, new_id)


def renew_pre_session(request: Request, response: Response) -> None:
    """A new pre-session value, when a session starts or ends: a token made before (or one
    planted with its cookie) is then worth nothing."""
    _set_pre_session(request, response, new_pre_session_id())


_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


async def verify_csrf(request: Request) -> None:
    """Dependency of every page router: a request that changes state must carry the token of
    its session.

    Set on the router, so that it runs before anything else of the route and no form can be
    added without it.
    """
    if request.method in _SAFE_METHODS:
        return
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    has_session = bool(request.cookies.get(SESSION_COOKIE))
    has_pre_session = valid_pre_session(request.cookies.get(CSRF_COOKIE))
    if (
        not isinstance(sent, str)
        or not (has_session or has_pre_session)
        or not hmac.compare_digest(sent, csrf_token(request))
    ):
        raise PermissionDenied(
            "the form has expired or did not come from this site; reload the page and try again",
            code="csrf_failed",
        )
    # What passed the check, for a sign-in that interrupts this post to keep and repeat it
    # (weshop.web.pending_action).
    request.state.checked_form = form
