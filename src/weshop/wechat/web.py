"""Pages of WeChat sign-in: the web authorisation's callback, asking for the WeChat name and
avatar, and binding a phone (绑定手机号) to an account made by a WeChat sign-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from weshop.accounts import page_signin as signin_steps
from weshop.accounts import service as accounts
from weshop.accounts.page_session import PageUser, SignInRequired
from weshop.core.clock import utcnow
from weshop.core.crypto import normalize_phone
from weshop.core.errors import Unauthenticated, WeShopError
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.runtime import Runtime
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_, error_message, error_page
from weshop.web.forms import posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.pages import local_path
from weshop.web.session_cookie import session_token
from weshop.web.templating import render
from weshop.wechat import oauth, service
from weshop.wechat.apps import WechatApp, wechat_apps
from weshop.wechat.client import wechat_client
from weshop.wechat.errors import WechatApiError, WechatNotConfigured

router = APIRouter(dependencies=[Depends(verify_csrf)])

# A shopper who declined the authorisation is not sent to it again for a day (no loop).
DECLINED_COOKIE = "weshop_wechat_declined"
DECLINED_SECONDS = 86400
REFUSED = N_("This WeChat sign-in link is not valid any more. Open the page again.")
UNAVAILABLE = N_("WeChat could not be reached. Please try again in a moment.")


def _official(runtime: Runtime, appid: str) -> WechatApp:
    app = wechat_apps(runtime.settings).by_appid(appid)
    if app is None or app.kind != "official":
        raise oauth.OAuthRefused("no such official account here")
    return app


@router.get(oauth.CALLBACK_PATH)
async def oauth_callback(
    request: Request,
    runtime: RuntimeDep,
    appid: Annotated[str, Query(max_length=32)] = "",
    next: Annotated[str, Query(max_length=500)] = "/",
    scope: Annotated[str, Query(max_length=20)] = "snsapi_base",
    state: Annotated[str, Query(max_length=128)] = "",
    code: Annotated[str | None, Query(max_length=128)] = None,
) -> Response:
    """Where WeChat sends the shopper back: the state is checked (signed for this app, page and
    scope; alive; used once), the code exchanged (once), the account linked or made and the
    session started. Without a code the shopper declined: back to the page, signed out."""
    next_path = local_path(next, "/")
    if scope not in oauth.SCOPES:
        return _refused(request)
    granted: oauth.Scope = "snsapi_userinfo" if scope == "snsapi_userinfo" else "snsapi_base"
    callback = oauth.Callback(appid, next_path, granted, state, code)
    try:
        app = _official(runtime, appid)
        oauth.check_state(runtime.settings.resolved_secret(), callback, utcnow())
        if code is None:
            response = RedirectResponse(next_path, 303)
            response.set_cookie(
                DECLINED_COOKIE, "1", max_age=DECLINED_SECONDS, httponly=True, samesite="lax"
            )
            return response
        async with runtime.db.transaction() as session:
            user = await oauth.sign_in(session, wechat_client(runtime), app, callback)
            issued = await accounts.issue_session(session, user, runtime.settings)
    except (oauth.OAuthRefused, WechatNotConfigured):
        return _refused(request)
    except WechatApiError:
        return error_page(request, 502, "wechat_api_error", gettext(request, UNAVAILABLE))
    return signin_steps.signed_in(request, next_path, issued)


def _refused(request: Request) -> Response:
    return error_page(request, 400, "wechat_oauth_refused", gettext(request, REFUSED))


@router.get("/wechat/profile")
async def use_wechat_profile(
    runtime: RuntimeDep, next: Annotated[str, Query(max_length=500)] = "/me"
) -> Response:
    """Ask WeChat for the shopper's name and avatar (snsapi_userinfo: WeChat asks them)."""
    app = wechat_apps(runtime.settings).official
    if app is None:
        raise WechatNotConfigured("this installation has no official account")
    url = oauth.authorize_url(
        runtime.settings, app, local_path(next, "/me"), "snsapi_userinfo", utcnow()
    )
    return RedirectResponse(url, 303)


def _phone_page(
    request: Request,
    *,
    phone: str = "",
    code_sent: bool = False,
    demo_code: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "wechat/shop/phone.html",
        {
            "phone": phone,
            "code_sent": code_sent,
            "demo_code": demo_code,
            "errors": errors or {},
            "official": wechat_apps(request.app.state.runtime.settings).official is not None,
        },
        status_code=status_code,
    )


async def page_user_id(request: Request, runtime: RuntimeDep) -> int:
    """The signed-in visitor's id, without opening the request's transaction: the code's
    guesses are counted in a transaction of their own before it starts."""
    token = session_token(request)
    try:
        if not token:
            raise Unauthenticated("sign in first")
        return await accounts.signed_in_user_id(runtime.db, token, utcnow())
    except Unauthenticated:
        raise SignInRequired("sign in to continue") from None


@router.get("/me/phone")
async def phone_form(request: Request, user: PageUser) -> Response:
    """绑定手机号: a phone number, then the code sent to it."""
    if user.phone is not None:
        return RedirectResponse("/me", 303)
    return _phone_page(request)


@router.post("/me/phone")
async def bind_phone(
    request: Request,
    user_id: Annotated[int, Depends(page_user_id)],
    session: DbSession,
    runtime: RuntimeDep,
) -> Response:
    """``step=send`` sends a code; otherwise the code is checked and the phone bound (the
    phone's account, if it has one, takes this one over: the session goes on as it)."""
    values = await posted_values(request)
    phone = str(values.get("phone", "")).strip()
    if values.get("step") == "send" or not values.get("code"):
        sent = await signin_steps.send_code(request, session, runtime, phone)
        return _phone_page(
            request,
            phone=phone,
            code_sent=not sent.errors,
            demo_code=sent.demo_code,
            errors=sent.errors,
            status_code=sent.status_code,
        )
    try:
        number = normalize_phone(phone)
    except ValueError:
        errors = {"phone": gettext(request, signin_steps.PHONE_ERROR)}
        return _phone_page(request, phone=phone, errors=errors, status_code=422)
    try:
        async with undo_on_error(session):
            await accounts.verify_login_code(
                session,
                phone=number,
                code=str(values.get("code", "")).strip(),
                settings=runtime.settings,
                limiter=runtime.rate_limiter,
            )
            user = await service.active_user(session, user_id)
            await service.bind_phone(session, user, number)
    except WeShopError as exc:
        errors = {"code": error_message(request, exc.code, exc.message)}
        return _phone_page(
            request, phone=phone, code_sent=True, errors=errors, status_code=exc.status_code
        )
    return RedirectResponse("/me", 303)
