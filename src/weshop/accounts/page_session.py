"""Who is browsing: the signed-in user of a page, from the session cookie, as dependencies
for the storefront and the consoles.

A page that needs a signed-in visitor raises :class:`SignInRequired`, which the page error
handlers answer with a redirect to the right sign-in page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from weshop.accounts import service as accounts
from weshop.accounts.models import User
from weshop.core.errors import PermissionDenied, Unauthenticated
from weshop.core.http import DbSession
from weshop.web.session_cookie import session_token


class SignInRequired(Unauthenticated):
    """Raised by a page that needs a signed-in visitor; answered with a redirect to sign-in."""

    code = "sign_in_required"


async def optional_page_user(request: Request, session: DbSession) -> User | None:
    token = session_token(request)
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


OptionalPageUser = Annotated[User | None, Depends(optional_page_user)]
PageUser = Annotated[User, Depends(page_user)]
PageOperator = Annotated[User, Depends(page_operator)]
