"""Paying inside WeChat: the app a payment is made under and the payer's openid in it.

A page opened in WeChat pays by JSAPI under an official account (公众号), a mini-program under
the mini-program. The app is the store's own of that kind when the installation configures one
(``wechat_store_apps``), else the platform's (``wechat_official_appid`` /
``wechat_miniprogram_appid``). The payer's openid in that app is asked of the domain that
knows WeChat identities (:class:`~weshop.payments.events.PayerOpenid`): WeShop knows it once
the shopper signed in through that app.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.config import Settings
from weshop.core.errors import Conflict
from weshop.core.events import ask
from weshop.payments.events import PayerOpenid
from weshop.payments.models import PaymentChannel
from weshop.payments.provider import InAppPayer

APP_KIND = {PaymentChannel.JSAPI: "official", PaymentChannel.MINIPROGRAM: "miniprogram"}
APP_NOT_CONFIGURED = "wechat_app_not_configured"
OPENID_REQUIRED = "wechat_openid_required"


def payer_app(
    settings: Settings, store_id: int | None, channel: PaymentChannel
) -> tuple[str, bool]:
    """The appid a ``channel`` payment to the store is made under, and whether it is the
    store's own app (None: a payment to several stores, under the platform's app); 409
    ``wechat_app_not_configured`` when there is none."""
    kind = APP_KIND[channel]
    for app in settings.wechat_store_apps:
        if app.store_id == store_id and app.kind == kind:
            return app.appid, True
    platform = (
        settings.wechat_official_appid if kind == "official" else settings.wechat_miniprogram_appid
    )
    if not platform:
        raise Conflict(
            f"no WeChat {kind} app is configured: {channel} payments are not available",
            code=APP_NOT_CONFIGURED,
            details={"channel": str(channel)},
        )
    return platform, False


async def in_app_payer(
    session: AsyncSession,
    settings: Settings,
    user_id: int,
    store_id: int | None,
    channel: PaymentChannel,
) -> InAppPayer:
    """The shopper as a payer inside WeChat; 409 ``wechat_openid_required`` when WeShop
    knows no openid of theirs in the app (they have not signed in through it)."""
    appid, store_app = payer_app(settings, store_id, channel)
    openid = await ask(session, PayerOpenid(user_id, appid))
    if not openid:
        raise Conflict(
            f"sign in through WeChat ({APP_KIND[channel]} {appid}) before paying there",
            code=OPENID_REQUIRED,
            details={"channel": str(channel), "appid": appid},
        )
    return InAppPayer(appid=appid, openid=openid, store_app=store_app)
