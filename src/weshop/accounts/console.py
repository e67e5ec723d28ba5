"""The merchant console's door: staff sign in by phone and code (or password) and sign out;
the store chooser behind it is ``stores.console``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from weshop.accounts import page_signin as signin_steps
from weshop.accounts.page_session import OptionalPageUser
from weshop.core.http import DbSession, RuntimeDep
from weshop.web.csrf import verify_csrf
from weshop.web.forms import posted_values
from weshop.web.pages import local_path
from weshop.web.templating import render

router = APIRouter(prefix="/console", dependencies=[Depends(verify_csrf)])

HOME = "/console"
NextPath = Annotated[str | None, Query(max_length=500)]
Method = Literal["code", "password"]


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
        "accounts/console/signin.html",
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


@router.get("/signin")
async def signin_form(
    request: Request,
    user: OptionalPageUser,
    next: NextPath = None,
    method: Annotated[Method, Query()] = "code",
) -> Response:
    """Phone and code by default; staff with a password may use it instead."""
    next_path = local_path(next, HOME)
    if user is not None:
        return RedirectResponse(next_path, 303)
    return _signin_page(request, method=method, next_path=next_path)


@router.post("/signin")
async def signin(request: Request, session: DbSession, runtime: RuntimeDep) -> Response:
    """``method=password`` checks the password; otherwise ``step=send`` sends a code and the
    code, once typed, is checked."""
    values = await posted_values(request)
    phone = str(values.get("phone", "")).strip()
    next_path = local_path(str(values.get("next", "")), HOME)
    method: Method = "password" if values.get("method") == "password" else "code"
    page = {"method": method, "phone": phone, "next_path": next_path}
    if method == "password":
        step = await signin_steps.check_password(
            request, session, runtime, phone, str(values.get("password", ""))
        )
    elif values.get("step") == "send" or not values.get("code"):
        sent = await signin_steps.send_code(request, session, runtime, phone)
        return _signin_page(
            request,
            **page,
            code_sent=not sent.errors,
            demo_code=sent.demo_code,
            errors=sent.errors,
            status_code=sent.status_code,
        )
    else:
        step = await signin_steps.check_code(
            request, session, runtime, phone, str(values.get("code", ""))
        )
    if step.issued is None:
        return _signin_page(
            request,
            **page,
            code_sent=method == "code",
            errors=step.errors,
            status_code=step.status_code,
        )
    return signin_steps.signed_in(request, next_path, step.issued)


@router.post("/signout")
async def signout(request: Request, session: DbSession) -> Response:
    return await signin_steps.sign_out(request, session, f"{HOME}/signin")
