"""The apps wxsim knows and its test WeChat users, with their stable ids.

An openid is per (app, user) and a unionid per (open platform, user), both derived by HMAC from
the simulator's seed: the same seed gives the same ids after a restart, as WeChat's do.

Defaults: the platform's official account (paysim's ``PLATFORM_APPID``, so JSAPI payments under
it reach paysim's platform merchant), the platform's mini-program bound to the same open platform
(so a user has one unionid in both), and a store's own mini-program bound to none.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from weshop.paysim.identity import PLATFORM_APPID
from weshop.wxsim.errors import WxError

Kind = Literal["official", "miniprogram"]

PLATFORM_MINIPROGRAM_APPID = "wx6666666666666666"
STORE_MINIPROGRAM_APPID = "wx5555555555555555"
OPEN_PLATFORM = "wxsim-open-platform"
DEFAULT_SEED = "wxsim"
# The pages of a simulated mini-program: a code for any other page needs check_path false.
MINIPROGRAM_PAGES = (
    "pages/index/index",
    "pages/product/index",
    "pages/store/index",
    "pages/groupbuy/index",
    "pages/bargain/index",
    "pages/order/index",
    "pages/promoter/index",
)


@dataclass(frozen=True)
class WxApp:
    appid: str
    secret: str
    kind: Kind
    open_platform: str | None = None
    name: str = ""
    pages: tuple[str, ...] = MINIPROGRAM_PAGES

    def __repr__(self) -> str:
        return f"WxApp(appid={self.appid!r}, kind={self.kind!r})"


@dataclass(frozen=True)
class TestUser:
    """A WeChat user of the simulator, named by ``key`` in its hooks and pages."""

    __test__ = False  # not a pytest class

    key: str
    nickname: str
    phone: str
    follows_official: bool = True
    sex: int = 0  # WeChat's: 1 male, 2 female, 0 unknown
    province: str = "浙江"
    city: str = "杭州"
    color: str = field(default="#07c160")


DEFAULT_USERS = (
    TestUser("lina", "李娜", "13900139001", True, 2, color="#e64340"),
    TestUser("wangwei", "王伟", "13900139002", True, 1, color="#10aeff"),
    TestUser("zhangmin", "张敏", "13900139003", True, 2, city="宁波", color="#fa9d3b"),
    TestUser("liuyang", "刘洋", "13900139004", True, 1, "广东", "深圳", color="#6467f0"),
    TestUser("chenjing", "陈静", "13900139005", False, 2, "上海", "上海", color="#07c160"),
)


def derived(seed: str, purpose: str, length: int) -> str:
    digest = hmac.new(seed.encode(), purpose.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:length]


def app_secret(seed: str, appid: str) -> str:
    """A 32-hex-digit AppSecret, stable for a seed."""
    return hmac.new(seed.encode(), f"secret:{appid}".encode(), hashlib.sha256).hexdigest()[:32]


def default_apps(seed: str = DEFAULT_SEED) -> list[WxApp]:
    return [
        WxApp(
            PLATFORM_APPID,
            app_secret(seed, PLATFORM_APPID),
            "official",
            OPEN_PLATFORM,
            "平台公众号",
        ),
        WxApp(
            PLATFORM_MINIPROGRAM_APPID,
            app_secret(seed, PLATFORM_MINIPROGRAM_APPID),
            "miniprogram",
            OPEN_PLATFORM,
            "平台小程序",
        ),
        WxApp(
            STORE_MINIPROGRAM_APPID,
            app_secret(seed, STORE_MINIPROGRAM_APPID),
            "miniprogram",
            None,
            "店铺自有小程序",
        ),
    ]


class Directory:
    """Apps, users and the ids that join them."""

    def __init__(self, apps: Iterable[WxApp], users: Iterable[TestUser], seed: str) -> None:
        self.apps = {app.appid: app for app in apps}
        self.users = {user.key: user for user in users}
        self.seed = seed
        self._by_openid = {
            (appid, self.openid_of(appid, key)): key for appid in self.apps for key in self.users
        }

    def app(self, appid: str) -> WxApp:
        """The app, or WeChat's 41002/40013."""
        if not appid:
            raise WxError(41002)
        found = self.apps.get(appid)
        if found is None:
            raise WxError(40013)
        return found

    def authenticated(self, appid: str, secret: str, *, wrong_secret: int = 40125) -> WxApp:
        app = self.app(appid)
        if not secret:
            raise WxError(41004)
        if not hmac.compare_digest(secret, app.secret):
            raise WxError(wrong_secret)
        return app

    def user(self, key: str) -> TestUser:
        found = self.users.get(key)
        if found is None:
            raise KeyError(f"no test user {key!r}")
        return found

    def openid_of(self, appid: str, user: str) -> str:
        """28 characters starting with "o", like WeChat's."""
        return "o" + derived(self.seed, f"openid:{appid}:{user}", 27)

    def unionid_of(self, appid: str, user: str) -> str | None:
        """The user's unionid under the app's open platform; None when the app has none."""
        platform = self.app(appid).open_platform
        if platform is None:
            return None
        return "o" + derived(self.seed, f"unionid:{platform}:{user}", 28)

    def user_of(self, appid: str, openid: str) -> TestUser | None:
        key = self._by_openid.get((appid, openid))
        return self.users[key] if key is not None else None

    def knows(self, appid: str, openid: str) -> bool:
        return (appid, openid) in self._by_openid
