from __future__ import annotations

from fastapi import APIRouter, Query, Request, status

from weshop.accounts import service
from weshop.accounts.auth import BearerToken, CurrentUser
from weshop.accounts.schemas import (
    AddressIn,
    AddressOut,
    AddressPatch,
    CodeRequest,
    CodeSent,
    SessionOut,
    SignIn,
    UserOut,
    user_out,
)
from weshop.core.errors import InvalidInput, PasswordLocked, RateLimited, Unauthenticated
from weshop.core.http import DbSession, RuntimeDep, client_address
from weshop.core.ids import PathId
from weshop.core.openapi import raises
from weshop.web.response_cache import Audience, cached_response

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post("/auth/codes", status_code=status.HTTP_202_ACCEPTED, response_model=CodeSent)
@raises(RateLimited)
async def request_code(
    body: CodeRequest, request: Request, session: DbSession, runtime: RuntimeDep
):
    """Send a one-time sign-in code to a phone. Limited per phone and per client address."""
    code = await service.request_login_code(
        session,
        phone=body.phone,
        client=client_address(request),
        settings=runtime.settings,
        limiter=runtime.rate_limiter,
        sender=runtime.components["code_sender"],
    )
    return CodeSent(
        expires_in_seconds=runtime.settings.otp_ttl_seconds,
        demo_code=code if runtime.settings.demo_mode else None,
    )


@router.post("/auth/sessions", status_code=status.HTTP_201_CREATED, response_model=SessionOut)
@raises(Unauthenticated, RateLimited, PasswordLocked)
async def sign_in(body: SignIn, request: Request, session: DbSession, runtime: RuntimeDep):
    """Sign in with a phone and either the code sent to it or a password; returns a token.

    Too many wrong passwords for a phone number (or from one client address) lock password
    sign-in for a while, longer each time: the answer is then 429 `password_locked` with
    `Retry-After`, even for the right password."""
    if (body.code is None) == (body.password is None):
        raise InvalidInput("give either a code or a password", code="code_or_password")
    if body.code is not None:
        issued = await service.sign_in_with_code(
            session,
            phone=body.phone,
            code=body.code,
            settings=runtime.settings,
            limiter=runtime.rate_limiter,
        )
    else:
        issued = await service.sign_in_with_password(
            session,
            phone=body.phone,
            password=body.password or "",
            client=client_address(request),
            runtime=runtime,
        )
    return SessionOut(
        token=issued.token,
        expires_in_seconds=issued.expires_in_seconds,
        user=user_out(issued.user),
    )


@router.delete("/auth/sessions/current", status_code=status.HTTP_204_NO_CONTENT)
async def sign_out(user: CurrentUser, token: BearerToken, session: DbSession) -> None:
    """End the current session; its token stops working at once. An unknown or ended
    session's token answers 401, as everywhere."""
    await service.sign_out(session, token)


@router.get("/me", response_model=UserOut)
@cached_response(Audience.SESSION)
async def me(user: CurrentUser):
    """The signed-in user (phone masked)."""
    return user_out(user)


@router.get("/me/addresses", response_model=list[AddressOut])
async def list_addresses(user: CurrentUser, session: DbSession):
    """The address book, default first, in full: it is the signed-in user's own."""
    return [AddressOut.of_owner(a) for a in await service.list_addresses(session, user)]


@router.post("/me/addresses", status_code=status.HTTP_201_CREATED, response_model=AddressOut)
async def add_address(body: AddressIn, user: CurrentUser, session: DbSession):
    """Add an address; the first one becomes the default."""
    return AddressOut.of_owner(await service.add_address(session, user, body))


@router.get("/me/addresses/{address_id}", response_model=AddressOut)
async def get_address(
    address_id: PathId,
    user: CurrentUser,
    session: DbSession,
    reveal: bool = Query(
        False, description="Accepted for older clients: the owner always sees it in full."
    ),
):
    """One address of the signed-in user, in full."""
    return AddressOut.of_owner(await service.get_address(session, user, address_id))


@router.patch("/me/addresses/{address_id}", response_model=AddressOut)
async def update_address(
    address_id: PathId, body: AddressPatch, user: CurrentUser, session: DbSession
):
    """Change some fields of an address."""
    return AddressOut.of_owner(await service.update_address(session, user, address_id, body))


@router.delete("/me/addresses/{address_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_address(address_id: PathId, user: CurrentUser, session: DbSession) -> None:
    """Remove an address from the book (orders keep their own copy)."""
    await service.delete_address(session, user, address_id)
