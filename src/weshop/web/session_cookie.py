"""The cookie that carries a sign-in session for the pages: its name, reading, setting and
deleting it.

The cookie holds the same session token as ``Authorization: Bearer`` on the API (HttpOnly,
SameSite=Lax), so a person signed in on the storefront or a console is the same user the API
knows, and signing out revokes the session everywhere. Who the token belongs to is the
business of :mod:`weshop.accounts.page_session`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "weshop_session"


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def start_session(request: Request, response: Response, token: str, max_age_seconds: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age_seconds,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)
