"""Who is calling: the bearer token of a signed-in user, as FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from weshop.accounts import service
from weshop.accounts.models import User
from weshop.core.errors import PermissionDenied, Unauthenticated
from weshop.core.http import DbSession
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


@raises(PermissionDenied)
async def current_operator(user: Annotated[User, Depends(current_user)]) -> User:
    if not user.is_operator:
        raise PermissionDenied("only platform operators may do this")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
CurrentOperator = Annotated[User, Depends(current_operator)]
BearerToken = Annotated[str, Depends(bearer_token)]
