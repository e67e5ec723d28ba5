"""The WeChat apps an installation has, read from its settings.

The platform's official account (公众号) and mini-program exist when their appid is set;
stores may have apps of their own (``wechat_store_apps``), whose shoppers pay the store's
sub-merchant (partner mode).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from weshop.core.config import Settings

AppKind = Literal["official", "miniprogram"]


@dataclass(frozen=True)
class WechatApp:
    appid: str
    secret: str = field(repr=False)
    kind: AppKind
    # None: the platform's own app; else the store whose app it is.
    store_id: int | None = None


@dataclass(frozen=True)
class WechatApps:
    official: WechatApp | None
    miniprogram: WechatApp | None
    stores: tuple[WechatApp, ...] = ()

    @property
    def all(self) -> tuple[WechatApp, ...]:
        platform = tuple(app for app in (self.official, self.miniprogram) if app is not None)
        return platform + self.stores

    def __bool__(self) -> bool:
        return bool(self.all)

    def for_store(self, store_id: int, kind: AppKind) -> WechatApp | None:
        """The store's own app of that kind, or None (the store uses the platform's)."""
        for app in self.stores:
            if app.store_id == store_id and app.kind == kind:
                return app
        return None

    def by_appid(self, appid: str) -> WechatApp | None:
        for app in self.all:
            if app.appid == appid:
                return app
        return None


def _platform_app(appid: str, secret: object, kind: AppKind) -> WechatApp | None:
    if not appid:
        return None
    value = secret.get_secret_value() if secret is not None else ""  # type: ignore[attr-defined]
    return WechatApp(appid=appid, secret=value, kind=kind)


def wechat_apps(settings: Settings) -> WechatApps:
    return WechatApps(
        official=_platform_app(
            settings.wechat_official_appid, settings.wechat_official_secret, "official"
        ),
        miniprogram=_platform_app(
            settings.wechat_miniprogram_appid, settings.wechat_miniprogram_secret, "miniprogram"
        ),
        stores=tuple(
            WechatApp(
                appid=app.appid,
                secret=app.secret.get_secret_value(),
                kind=app.kind,
                store_id=app.store_id,
            )
            for app in settings.wechat_store_apps
        ),
    )
