"""The platform console's door: operators sign in with phone and password, and sign out.

Someone who is not an operator is told so and gets no session here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from weshop.accounts import service
from weshop.accounts.schemas import SignIn
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession, RuntimeDep
from weshop.web import pages
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_, error_message
from weshop.web.forms import posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.session import OptionalPageUser, end_session, session_token, start_session
from weshop.web.templating import render

# ``pages`` is used at call time: it imports the platform console's routers, this one too.
router = APIRouter(prefix="/platform", dependencies=[Depends(verify_csrf)])

HOME = "/platform"
NextPath = Annotated[str | None, Query(max_length=500)]

PHONE_ERROR = N_("Enter a mainland China mobile number, e.g. 13800000000.")
PASSWORD_ERROR = N_("Enter your password.")
NOT_OPERATOR = N_("This account is not a platform operator.")


def _signin_page(
    request: Request,
    *,
    phone: str = "",
    next_path: str = HOME,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "platform/signin.html",
        {"phone": phone, "next": next_path, "errors": errors or {}},
        status_code=status_code,
    )


@router.get("/signin")
async def signin_form(request: Request, user: OptionalPageUser, next: NextPath = None) -> Response:
    next_path = pages.local_path(next, HOME)
    if user is not None and user.is_operator:
        return RedirectResponse(next_path, 303)
    return _signin_page(request, next_path=next_path)


@router.post("/signin")
async def signin(request: Request, session: DbSession, runtime: RuntimeDep) -> Response:
    values = await posted_values(request)
    phone = str(values.get("phone", "")).strip()
    password = str(values.get("password", ""))
    next_path = pages.local_path(str(values.get("next", "")), HOME)
    page = {"phone": phone, "next_path": next_path}
    try:
        SignIn(phone=phone, password=password)
    except ValidationError as exc:
        fields = {str(error["loc"][0]) for error in exc.errors() if error.get("loc")}
        errors = {"phone": gettext(request, PHONE_ERROR)} if "phone" in fields else {}
        if "password" in fields:
            errors["password"] = gettext(request, PASSWORD_ERROR)
        return _signin_page(request, **page, errors=errors, status_code=422)
    try:
        async with undo_on_error(session):
            issued = await service.sign_in_with_password(
                session, phone=phone, password=password, settings=runtime.settings
            )
            if not issued.user.is_operator:
                await service.sign_out(session, issued.token)
                errors = {"phone": gettext(request, NOT_OPERATOR)}
                return _signin_page(request, **page, errors=errors, status_code=403)
    except WeShopError as exc:
        errors = {"password": error_message(request, exc.code, exc.message)}
        return _signin_page(request, **page, errors=errors, status_code=exc.status_code)
    response = RedirectResponse(next_path, 303)
    start_session(request, response, issued)
    return response


@router.post("/signout")
async def signout(request: Request, session: DbSession) -> Response:
    token = session_token(request)
    if token:
        await service.sign_out(session, token)
    response = RedirectResponse("/platform/signin", 303)
    end_session(response)
    return response
