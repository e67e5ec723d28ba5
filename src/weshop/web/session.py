"""Who is browsing: the cookie that carries a sign-in session for the pages.

The cookie holds the same session token as ``Authorization: Bearer`` on the API (HttpOnly,
SameSite=Lax), so a person signed in on the storefront or a console is the same user the API
knows, and signing out revokes the session everywhere.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response

from weshop.accounts import service as accounts
from weshop.accounts.models import User
from weshop.accounts.service import IssuedSession
from weshop.core.errors import PermissionDenied, Unauthenticated
from weshop.core.http import DbSession

SESSION_COOKIE = "weshop_session"


class SignInRequired(Unauthenticated):
    """Raised by a page that needs a signed-in visitor; answered with a redirect to sign-in."""

    code = "sign_in_required"


async def optional_page_user(request: Request, session: DbSession) -> User | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        user = await accounts.authenticate(session, token)
    except Unauthenticated:
        return None
    request.state.page_user = user
    return user


async def page_user(user: Annotated[User | None, Depends(optional_page_user)]) -> User:
    if user is None:
        raise SignInRequired("sign in to continue")
    return user


async def page_operator(user: Annotated[User, Depends(page_user)]) -> User:
    if not user.is_operator:
        raise PermissionDenied("only platform operators may open the platform console")
    return user


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def start_session(request: Request, response: Response, issued: IssuedSession) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=issued.expires_in_seconds,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)


OptionalPageUser = Annotated[User | None, Depends(optional_page_user)]
PageUser = Annotated[User, Depends(page_user)]
PageOperator = Annotated[User, Depends(page_operator)]
