"""The steps of every sign-in form (storefront, merchant console, platform console): send a
code, check a code, check a password, sign out. Each step answers with what the form shows
next — errors by field in the visitor's language, the code sent (shown in demo mode), or the
session to start — and writes nothing when it refuses."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from urllib.parse import urlencode

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from weshop.accounts import service
from weshop.accounts.schemas import CodeRequest, SignIn
from weshop.core.errors import RateLimited, WeShopError
from weshop.core.http import client_address
from weshop.core.runtime import Runtime
from weshop.web import pending_action
from weshop.web.csrf import renew_pre_session
from weshop.web.errors import N_, error_message
from weshop.web.forms import undo_on_error
from weshop.web.i18n import gettext
from weshop.web.session_cookie import end_session, session_token, start_session

PHONE_ERROR = N_("Enter a mainland China mobile number, e.g. 13800000000.")
CODE_ERROR = N_("Enter the 6-digit code sent to your phone.")
PASSWORD_ERROR = N_("Enter your password.")
_INPUT_ERRORS = {"phone": PHONE_ERROR, "code": CODE_ERROR, "password": PASSWORD_ERROR}
# A refusal for too many attempts says how long to wait (what Retry-After says to programs).
_WAIT_MESSAGES = {
    "password_locked": N_(
        "Too many wrong passwords: password sign-in is paused. Try again in %(minutes)d min."
    ),
    "rate_limited": N_("Too many attempts. Try again in %(minutes)d min."),
}
RESEND_WAIT = N_("A code was just sent. You can ask for a new one in %(seconds)d s.")


@dataclass
class SignInStep:
    errors: dict[str, str] = field(default_factory=dict)
    status_code: int = 200
    demo_code: str | None = None
    issued: service.IssuedSession | None = None
    # Seconds until another code may be asked for (the page counts them down).
    resend_in: int = 0


def _input_errors(request: Request, exc: ValidationError) -> SignInStep:
    fields = {str(error["loc"][0]) for error in exc.errors() if error.get("loc")}
    errors = {
        name: gettext(request, _INPUT_ERRORS[name]) for name in fields if name in _INPUT_ERRORS
    }
    return SignInStep(errors=errors or {"phone": gettext(request, PHONE_ERROR)}, status_code=422)


def _refused(request: Request, exc: WeShopError, on: str) -> SignInStep:
    message = error_message(request, exc.code, exc.message)
    resend_in = 0
    if isinstance(exc, RateLimited) and exc.retry_after_seconds and exc.code in _WAIT_MESSAGES:
        minutes = math.ceil(exc.retry_after_seconds / 60)
        message = gettext(request, _WAIT_MESSAGES[exc.code]) % {"minutes": minutes}
    if isinstance(exc, RateLimited) and exc.code == "code_resend_wait":
        resend_in = exc.retry_after_seconds or 0
        message = gettext(request, RESEND_WAIT) % {"seconds": resend_in}
    return SignInStep(errors={on: message}, status_code=exc.status_code, resend_in=resend_in)


async def send_code(
    request: Request, session: AsyncSession, runtime: Runtime, phone: str
) -> SignInStep:
    """Send a sign-in code to the phone (rate limited per phone and per client)."""
    try:
        body = CodeRequest(phone=phone)
    except ValidationError as exc:
        return _input_errors(request, exc)
    try:
        async with undo_on_error(session):
            code = await service.request_login_code(
                session,
                phone=body.phone,
                client=client_address(request),
                settings=runtime.settings,
                limiter=runtime.rate_limiter,
                sender=runtime.components["code_sender"],
            )
    except WeShopError as exc:
        return _refused(request, exc, "phone")
    return SignInStep(
        demo_code=code if runtime.settings.demo_mode else None,
        resend_in=runtime.settings.otp_resend_seconds,
    )


async def check_code(
    request: Request, session: AsyncSession, runtime: Runtime, phone: str, code: str
) -> SignInStep:
    try:
        body = SignIn(phone=phone, code=code.strip())
    except ValidationError as exc:
        return _input_errors(request, exc)
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
        return _refused(request, exc, "code")
    return SignInStep(issued=issued)


async def check_password(
    request: Request, session: AsyncSession, runtime: Runtime, phone: str, password: str
) -> SignInStep:
    try:
        body = SignIn(phone=phone, password=password)
    except ValidationError as exc:
        return _input_errors(request, exc)
    try:
        async with undo_on_error(session):
            issued = await service.sign_in_with_password(
                session,
                phone=body.phone,
                password=password,
                client=client_address(request),
                runtime=runtime,
            )
    except WeShopError as exc:
        return _refused(request, exc, "password")
    return SignInStep(issued=issued)


def signed_in(request: Request, next_path: str, issued: service.IssuedSession) -> Response:
    """Start the cookie session and go where the visitor was heading. The forms' tokens are
    bound to the new session from now on, and the pre-session value they were bound to before
    is replaced. A shopper action that sign-in interrupted is finished first, on the
    continue page (which also says when it can no longer be)."""
    response = RedirectResponse(next_path, 303)
    if pending_action.has_pending(request):
        pending_action.carry_into_session(request, response, issued.token)
        response.headers["location"] = (
            f"{pending_action.CONTINUE_PATH}?{urlencode({'next': next_path})}"
        )
    start_session(request, response, issued.token, issued.expires_in_seconds)
    renew_pre_session(request, response)
    return response


async def sign_out(request: Request, session: AsyncSession, to: str) -> Response:
    """End this browser's session (everywhere the token is used) and go to ``to``."""
    token = session_token(request)
    if token:
        await service.sign_out(session, token)
    response = RedirectResponse(to, 303)
    end_session(response)
    renew_pre_session(request, response)
    return response
