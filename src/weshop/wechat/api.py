"""Signing in with WeChat (mini-program) and proving a phone, over the API."""

from __future__ import annotations

from fastapi import APIRouter, status

from weshop.accounts import service as accounts
from weshop.accounts.auth import CurrentUser, CurrentUserId
from weshop.accounts.schemas import user_out
from weshop.core.errors import Conflict, RateLimited, Unauthenticated
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.openapi import raises
from weshop.wechat import miniprogram, service
from weshop.wechat.apps import wechat_apps
from weshop.wechat.client import wechat_client
from weshop.wechat.errors import WechatApiError, WechatCodeRefused, WechatNotConfigured
from weshop.wechat.schemas import (
    MiniProgramSignIn,
    PhoneBound,
    PhoneCode,
    PhoneVerification,
    WechatSessionOut,
)

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post(
    "/auth/wechat/miniprogram",
    status_code=status.HTTP_201_CREATED,
    response_model=WechatSessionOut,
)
@raises(WechatCodeRefused, WechatNotConfigured, WechatApiError, Unauthenticated)
async def mini_program_sign_in(body: MiniProgramSignIn, session: DbSession, runtime: RuntimeDep):
    """Sign in from a mini-program with the code of `wx.login`: the same answer as the phone
    sign-in, and whether the account has a phone yet. The first sign-in of a WeChat user
    makes their account (one per person: by unionid when the mini-program is bound to an
    open platform, else by openid)."""
    app = miniprogram.miniprogram_app(wechat_apps(runtime.settings), body.appid)
    user = await miniprogram.sign_in(session, wechat_client(runtime), app, body.code)
    issued = await accounts.issue_session(session, user, runtime.settings)
    return WechatSessionOut(
        token=issued.token,
        expires_in_seconds=issued.expires_in_seconds,
        user=user_out(user),
        phone_bound=user.phone is not None,
    )


@router.post("/me/wechat/phone", response_model=PhoneBound)
@raises(Unauthenticated, WechatCodeRefused, WechatNotConfigured, WechatApiError, Conflict)
async def bind_mini_program_phone(
    body: PhoneCode, user: CurrentUser, session: DbSession, runtime: RuntimeDep
):
    """Give the account the phone number of the mini-program's getPhoneNumber button (its
    `code`). When that phone already has an account, the two become one: the phone's
    account keeps its id and takes this one's orders, cart, sessions and WeChat sign-ins."""
    app = miniprogram.miniprogram_app(wechat_apps(runtime.settings), body.appid)
    phone = await miniprogram.phone_number(wechat_client(runtime), app, body.code)
    account = await service.bind_phone(session, user, phone)
    return PhoneBound(merged=account.id != user.id, user=user_out(account))


@router.post("/me/phone", response_model=PhoneBound)
@raises(Unauthenticated, RateLimited, Conflict)
async def bind_phone_by_code(
    body: PhoneVerification, user_id: CurrentUserId, session: DbSession, runtime: RuntimeDep
):
    """Give an account made by a WeChat sign-in (in a page) a phone, proved by the code sent
    with `POST /api/v1/auth/codes`. As with getPhoneNumber, an account that already has the
    phone takes this one over."""
    # The code's guesses are counted in a transaction of their own, before this one starts.
    await accounts.verify_login_code(
        session,
        phone=body.phone,
        code=body.code,
        settings=runtime.settings,
        limiter=runtime.rate_limiter,
    )
    user = await service.active_user(session, user_id)
    account = await service.bind_phone(session, user, body.phone)
    return PhoneBound(merged=account.id != user.id, user=user_out(account))
