"""Mini-program sign-in (wx.login's code → jscode2session) and its phone number
(getPhoneNumber's code → getuserphonenumber)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.core.crypto import normalize_phone
from weshop.core.errors import InvalidInput
from weshop.wechat import service
from weshop.wechat.apps import WechatApp, WechatApps
from weshop.wechat.client import WechatClient
from weshop.wechat.errors import (
    CODE_ERRORS,
    WechatApiError,
    WechatCodeRefused,
    WechatNotConfigured,
)


def miniprogram_app(apps: WechatApps, appid: str | None) -> WechatApp:
    """The platform's mini-program, or the one named (a store's own)."""
    app = apps.by_appid(appid) if appid else apps.miniprogram
    if app is None or app.kind != "miniprogram":
        raise WechatNotConfigured("no such mini-program on this installation")
    return app


async def _exchanged(call: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    try:
        return await call
    except WechatApiError as exc:
        if exc.errcode in CODE_ERRORS:
            raise WechatCodeRefused(
                "WeChat refused the code: get a new one (codes work once, for 5 minutes)"
            ) from None
        raise


async def sign_in(session: AsyncSession, client: WechatClient, app: WechatApp, code: str) -> User:
    """Exchange wx.login's code for the user's openid (and unionid, session key), then the
    account. WeChat is asked before the database is touched: no lock waits on the network."""
    params = {
        "appid": app.appid,
        "secret": app.secret,
        "js_code": code,
        "grant_type": "authorization_code",
    }
    answer = await _exchanged(client.get_json(app, "/sns/jscode2session", params, token=False))
    profile = service.WechatProfile(
        openid=str(answer["openid"]),
        unionid=str(answer["unionid"]) if answer.get("unionid") else None,
        session_key=str(answer["session_key"]) if answer.get("session_key") else None,
    )
    return await service.sign_in(session, app, profile)


async def phone_number(client: WechatClient, app: WechatApp, code: str) -> str:
    """The phone number getPhoneNumber's code stands for (a mainland mobile)."""
    answer = await _exchanged(
        client.post_json(app, "/wxa/business/getuserphonenumber", {"code": code})
    )
    info = answer.get("phone_info") or {}
    watermark = info.get("watermark") or {}
    if watermark.get("appid") not in (None, app.appid):
        raise WechatCodeRefused("the phone code was given to another mini-program")
    if str(info.get("countryCode", "86")) != "86":
        raise InvalidInput("only mainland China mobile numbers", code="invalid_phone")
    try:
        return normalize_phone(str(info.get("purePhoneNumber") or info.get("phoneNumber", "")))
    except ValueError:
        raise InvalidInput("only mainland China mobile numbers", code="invalid_phone") from None
