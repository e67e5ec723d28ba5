"""What a guest was doing when sign-in stopped them, done after they sign in.

A guest who taps 加入购物车, 领取 or 参团 is sent to sign in. The form they posted (path and
fields, never its CSRF token) is kept in a short-lived cookie signed with the installation's
key and bound to the browser's pre-session value, so that it cannot be forged, moved to
another browser or kept for later. After sign-in the shopper lands on ``/signin/continue``,
which posts the kept form again from the shopper's own browser with a token of the new
session: the action then passes the ordinary CSRF check and runs with the shopper's own
rights, and its own answer says what happened ("已加入购物车", the coupon claimed...).

Only the actions a domain declared with :func:`resumable` are kept, each on its own
storefront path; a post to anything else goes to sign-in as before and is not repeated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from weshop.web.csrf import CSRF_COOKIE, CSRF_FIELD, valid_pre_session
from weshop.web.session_cookie import SESSION_COOKIE

PENDING_COOKIE = "weshop_pending"
CONTINUE_PATH = "/signin/continue"
# Long enough to receive a code and type it; short enough that an old tap is not replayed.
MAX_AGE_SECONDS = 600
# The cookie outlives what it holds, so that the continue page can say the action expired.
COOKIE_SECONDS = 3600
# A browser keeps a cookie of ~4 KB; a form bigger than this is not one of the shop's taps.
MAX_VALUE_BYTES = 1500
MAX_FIELDS = 20


@dataclass(frozen=True)
class Resumable:
    pattern: re.Pattern[str]
    label: str


@dataclass(frozen=True)
class PendingAction:
    path: str
    fields: tuple[tuple[str, str], ...]
    label: str


_RESUMABLE: list[Resumable] = []


def resumable(path_pattern: str, label: str) -> None:
    """Declare a storefront form post that a guest may finish after signing in.
    ``path_pattern`` is a regular expression for the whole path; ``label`` (an English
    message id) names the action on the page that continues it."""
    _RESUMABLE.append(Resumable(re.compile(path_pattern), label))


def _declared(path: str) -> Resumable | None:
    return next((r for r in _RESUMABLE if r.pattern.fullmatch(path)), None)


def _key(request: Request) -> bytes:
    secret = request.app.state.runtime.settings.resolved_secret()
    return hashlib.sha256(b"weshop-pending-action" + secret).digest()


def _binding(request: Request, *, signed_in: bool) -> str | None:
    """What the cookie is bound to: the pre-session value before sign-in, a digest of the
    session token after it."""
    if signed_in:
        token = request.cookies.get(SESSION_COOKIE)
        return hashlib.sha256(token.encode()).hexdigest() if token else None
    pre_session = request.cookies.get(CSRF_COOKIE)
    return pre_session if valid_pre_session(pre_session) else None


def _sign(request: Request, payload: dict) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
    mac = hmac.new(_key(request), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def _set(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        PENDING_COOKIE,
        value,
        max_age=COOKIE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def remember(request: Request, response: Response) -> None:
    """Keep the form this guest just posted, if it is a declared action that passed the CSRF
    check (``verify_csrf`` leaves the form on the request when it did)."""
    form = getattr(request.state, "checked_form", None)
    binding = _binding(request, signed_in=False)
    if request.method != "POST" or form is None or binding is None:
        return
    if _declared(request.url.path) is None:
        return
    fields = [[k, v] for k, v in form.multi_items() if k != CSRF_FIELD and isinstance(v, str)]
    if len(fields) > MAX_FIELDS:
        return
    payload = {
        "p": request.url.path,
        "f": fields,
        "t": int(time.time()),
        "b": binding,
    }
    value = _sign(request, payload)
    if len(value) <= MAX_VALUE_BYTES:
        _set(request, response, value)


def _read(request: Request, *, signed_in: bool) -> PendingAction | None:
    """The kept action, or None when there is none, it expired, or it is not this
    browser's."""
    value = request.cookies.get(PENDING_COOKIE, "")
    body, _, mac = value.partition(".")
    expected = hmac.new(_key(request), body.encode(), hashlib.sha256).hexdigest()
    if not body or not hmac.compare_digest(mac, expected):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body.encode()))
        path, fields, made, bound = payload["p"], payload["f"], payload["t"], payload["b"]
    except (ValueError, KeyError, TypeError):
        return None
    declared = _declared(path) if isinstance(path, str) else None
    fresh = isinstance(made, int) and 0 <= time.time() - made <= MAX_AGE_SECONDS
    mine = bound == _binding(request, signed_in=signed_in)
    if declared is None or not fresh or not mine:
        return None
    return PendingAction(path, tuple((str(k), str(v)) for k, v in fields), declared.label)


def has_pending(request: Request) -> bool:
    return PENDING_COOKIE in request.cookies


def carry_into_session(request: Request, response: Response, session_token: str) -> bool:
    """On sign-in: rebind the kept action to the new session (the pre-session value is
    replaced at sign-in). Returns whether there was one to carry; one that expired or is not
    this browser's is kept as it is, for the continue page to say so."""
    pending = _read(request, signed_in=False)
    if pending is None:
        return False
    payload = {
        "p": pending.path,
        "f": [list(field) for field in pending.fields],
        "t": int(time.time()),
        "b": hashlib.sha256(session_token.encode()).hexdigest(),
    }
    _set(request, response, _sign(request, payload))
    return True


def kept_for_session(request: Request) -> PendingAction | None:
    """The signed-in shopper's kept action (:func:`forget` it on the answer that uses it)."""
    return _read(request, signed_in=True)


def forget(response: Response) -> None:
    """A kept action is posted again once at most."""
    response.delete_cookie(PENDING_COOKIE, path="/")
