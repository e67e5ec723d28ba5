"""The platform console's door: operators sign in with phone and password, and sign out.

Someone who is not an operator is told so and gets no session here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from weshop.accounts import page_signin as signin_steps
from weshop.accounts import service
from weshop.accounts.page_session import OptionalPageUser
from weshop.core.http import DbSession, RuntimeDep
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_
from weshop.web.forms import posted_values
from weshop.web.i18n import gettext
from weshop.web.pages import local_path
from weshop.web.templating import render

router = APIRouter(prefix="/platform", dependencies=[Depends(verify_csrf)])

HOME = "/platform"
NextPath = Annotated[str | None, Query(max_length=500)]

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
        "accounts/platform/signin.html",
        {"phone": phone, "next": next_path, "errors": errors or {}},
        status_code=status_code,
    )


@router.get("/signin")
async def signin_form(request: Request, user: OptionalPageUser, next: NextPath = None) -> Response:
    next_path = local_path(next, HOME)
    if user is not None and user.is_operator:
        return RedirectResponse(next_path, 303)
    return _signin_page(request, next_path=next_path)


@router.post("/signin")
async def signin(request: Request, session: DbSession, runtime: RuntimeDep) -> Response:
    values = await posted_values(request)
    phone = str(values.get("phone", "")).strip()
    page = {"phone": phone, "next_path": local_path(str(values.get("next", "")), HOME)}
    step = await signin_steps.check_password(
        request, session, runtime, phone, str(values.get("password", ""))
    )
    if step.issued is None:
        return _signin_page(request, **page, errors=step.errors, status_code=step.status_code)
    if not step.issued.user.is_operator:
        await service.sign_out(session, step.issued.token)
        errors = {"phone": gettext(request, NOT_OPERATOR)}
        return _signin_page(request, **page, errors=errors, status_code=403)
    return signin_steps.signed_in(request, page["next_path"], step.issued)


@router.post("/signout")
async def signout(request: Request, session: DbSession) -> Response:
    return await signin_steps.sign_out(request, session, "/platform/signin")
