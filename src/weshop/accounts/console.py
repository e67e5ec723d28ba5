"""The merchant console's door: staff sign in by phone and code (or password), choose a store,
accept invitations, and sign out."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from weshop.accounts import service
from weshop.accounts.schemas import CodeRequest, SignIn
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession, RuntimeDep, client_address
from weshop.core.ids import PathId
from weshop.stores import service as stores
from weshop.web import pages
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_, error_message
from weshop.web.forms import posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.session import OptionalPageUser, PageUser, end_session, session_token, start_session
from weshop.web.templating import render

# ``pages`` is used at call time: it imports the console's routers, this one among them.
router = APIRouter(prefix="/console", dependencies=[Depends(verify_csrf)])

HOME = "/console"
NextPath = Annotated[str | None, Query(max_length=500)]
Method = Literal["code", "password"]

PHONE_ERROR = N_("Enter a mainland China mobile number, e.g. 13800000000.")
CODE_ERROR = N_("Enter the 6-digit code sent to your phone.")
PASSWORD_ERROR = N_("Enter your password.")


def _signin_page(
    request: Request,
    *,
    method: Method = "code",
    phone: str = "",
    next_path: str = HOME,
    code_sent: bool = False,
    demo_code: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "console/signin.html",
        {
            "method": method,
            "phone": phone,
            "next": next_path,
            "code_sent": code_sent,
            "demo_code": demo_code,
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _signed_in(request: Request, next_path: str, issued: service.IssuedSession) -> Response:
    response = RedirectResponse(next_path, 303)
    start_session(request, response, issued)
    return response


@router.get("/signin")
async def signin_form(
    request: Request,
    user: OptionalPageUser,
    next: NextPath = None,
    method: Annotated[Method, Query()] = "code",
) -> Response:
    """Phone and code by default; staff with a password may use it instead."""
    next_path = pages.local_path(next, HOME)
    if user is not None:
        return RedirectResponse(next_path, 303)
    return _signin_page(request, method=method, next_path=next_path)


@router.post("/signin")
async def signin(request: Request, session: DbSession, runtime: RuntimeDep) -> Response:
    """``method=password`` checks the password; otherwise ``step=send`` sends a code and the
    code, once typed, is checked."""
    values = await posted_values(request)
    phone = str(values.get("phone", "")).strip()
    next_path = pages.local_path(str(values.get("next", "")), HOME)
    method: Method = "password" if values.get("method") == "password" else "code"
    page = {"method": method, "phone": phone, "next_path": next_path}
    if method == "password":
        password = str(values.get("password", ""))
        try:
            body = SignIn(phone=phone, password=password)
        except ValidationError as exc:
            fields = {str(error["loc"][0]) for error in exc.errors() if error.get("loc")}
            errors = {"phone": gettext(request, PHONE_ERROR)} if "phone" in fields else {}
            if "password" in fields:
                errors["password"] = gettext(request, PASSWORD_ERROR)
            return _signin_page(request, **page, errors=errors, status_code=422)
        try:
            async with undo_on_error(session):
                issued = await service.sign_in_with_password(
                    session, phone=body.phone, password=password, settings=runtime.settings
                )
        except WeShopError as exc:
            errors = {"password": error_message(request, exc.code, exc.message)}
            return _signin_page(request, **page, errors=errors, status_code=exc.status_code)
        return _signed_in(request, next_path, issued)

    if values.get("step") == "send" or not values.get("code"):
        try:
            request_body = CodeRequest(phone=phone)
        except ValidationError:
            errors = {"phone": gettext(request, PHONE_ERROR)}
            return _signin_page(request, **page, errors=errors, status_code=422)
        try:
            async with undo_on_error(session):
                code = await service.request_login_code(
                    session,
                    phone=request_body.phone,
                    client=client_address(request),
                    settings=runtime.settings,
                    limiter=runtime.rate_limiter,
                    sender=runtime.components["code_sender"],
                )
        except WeShopError as exc:
            errors = {"phone": error_message(request, exc.code, exc.message)}
            return _signin_page(request, **page, errors=errors, status_code=exc.status_code)
        demo_code = code if runtime.settings.demo_mode else None
        return _signin_page(request, **page, code_sent=True, demo_code=demo_code)

    try:
        body = SignIn(phone=phone, code=str(values.get("code", "")).strip())
    except ValidationError as exc:
        fields = {str(error["loc"][0]) for error in exc.errors() if error.get("loc")}
        errors = {"phone": gettext(request, PHONE_ERROR)} if "phone" in fields else {}
        if "code" in fields:
            errors["code"] = gettext(request, CODE_ERROR)
        return _signin_page(request, **page, code_sent=True, errors=errors, status_code=422)
    try:
        async with undo_on_error(session):
            issued = await service.sign_in_with_code(
                session,
                phone=body.phone,
                code=body.code or "",
                settings=runtime.settings,
                limiter=runtime.rate_limiter,
            )
    except WeShopError as exc:
        errors = {"code": error_message(request, exc.code, exc.message)}
        return _signin_page(
            request, **page, code_sent=True, errors=errors, status_code=exc.status_code
        )
    return _signed_in(request, next_path, issued)


@router.post("/signout")
async def signout(request: Request, session: DbSession) -> Response:
    token = session_token(request)
    if token:
        await service.sign_out(session, token)
    response = RedirectResponse(f"{HOME}/signin", 303)
    end_session(response)
    return response


@router.get("")
async def choose_store(request: Request, user: PageUser, session: DbSession) -> Response:
    """The stores where the visitor is active staff, and invitations waiting for them; with
    exactly one store and nothing to accept, straight to that store."""
    memberships = await stores.my_stores(session, user)
    invitations = await stores.pending_invitations(session, user)
    if len(memberships) == 1 and not invitations:
        return RedirectResponse(f"{HOME}/stores/{memberships[0][1].id}", 303)
    return render(
        request,
        "console/home.html",
        {"memberships": memberships, "invitations": invitations},
    )


@router.post("/invitations/{invitation_id}/accept")
async def accept_invitation(invitation_id: PathId, user: PageUser, session: DbSession) -> Response:
    _member, store = await stores.accept_invitation(session, user, invitation_id)
    return RedirectResponse(f"{HOME}/stores/{store.id}", 303)
