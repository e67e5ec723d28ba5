"""Who is calling: the bearer token of a signed-in user, as FastAPI dependencies (and, for
the direct routes of :mod:`weshop.core.http`, as a plain call on the request)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from weshop.accounts import service
from weshop.accounts.models import User
from weshop.core.clock import utcnow
from weshop.core.errors import PermissionDenied, Unauthenticated
from weshop.core.http import DbSession, get_runtime
from weshop.core.openapi import raises

bearer = HTTPBearer(auto_error=False, description="The token from POST /api/v1/auth/sessions.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


@raises(Unauthenticated)
def bearer_token(credentials: Credentials) -> str:
    if credentials is None or not credentials.credentials:
        raise Unauthenticated("sign in first: send `Authorization: Bearer <token>`")
    return credentials.credentials


@raises(Unauthenticated)
async def current_user(session: DbSession, credentials: Credentials) -> User:
    return await service.authenticate(session, bearer_token(credentials))


@raises(Unauthenticated)
async def current_user_id(request: Request, credentials: Credentials) -> int:
    """The signed-in user's id alone, from a session kept in memory (for the paths that take
    a peak: no transaction is opened for it)."""
    token = bearer_token(credentials)
    return await service.signed_in_user_id(get_runtime(request).db, token, utcnow())


async def user_id_of(request: Request) -> int:
    """``current_user_id`` for a direct route (:class:`weshop.core.http.DirectRoute`): the
    same header, read the way ``HTTPBearer`` reads it, and the same 401."""
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    if scheme.lower() != "bearer":
        token = ""
    credentials = HTTPAuthorizationCredentials(scheme=scheme, credentials=token)
    return await current_user_id(request, credentials)


@raises(PermissionDenied)
async def current_operator(user: Annotated[User, Depends(current_user)]) -> User:
    if not user.is_operator:
        raise PermissionDenied("only platform operators may do this")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
CurrentOperator = Annotated[User, Depends(current_operator)]
BearerToken = Annotated[str, Depends(bearer_token)]
CurrentUserId = Annotated[int, Depends(current_user_id)]
