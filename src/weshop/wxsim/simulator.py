"""The simulator: WeChat's side of the apps WeShop runs, in memory.

``WxSim`` is what the HTTP layer, the pages and the tests talk to. Its parts (tokens and
tickets, web authorisation, mini-program sign-in, messages, the JS-SDK's server side,
mini-program codes) are plain synchronous objects over one directory of apps and users and
one clock; tests move the clock with :meth:`WxSim.advance`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from weshop.core.clock import utcnow
from weshop.wxsim.apps import DEFAULT_SEED, DEFAULT_USERS, Directory, TestUser, WxApp, default_apps
from weshop.wxsim.jssdk import JsSdk, Share
from weshop.wxsim.messages import Message, Messaging
from weshop.wxsim.miniprogram import MiniProgramSignIn
from weshop.wxsim.oauth import WebAuthorization
from weshop.wxsim.tokens import Credentials
from weshop.wxsim.wxacode import Codes

DEFAULT_TOKEN_TTL = timedelta(seconds=7200)
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8300"
DEFAULT_PAYSIM_URL = "http://127.0.0.1:8100"
JSSDK_SCRIPT_PATH = "/open/js/jweixin-1.6.0.js"


class WxSim:
    """``apps`` default to :func:`~weshop.wxsim.apps.default_apps` of the seed; ``public_url``
    is where browsers and WeShop reach it (avatars, pages); ``paysim_url`` where its JS-SDK
    sends JSAPI payments."""

    def __init__(
        self,
        apps: Iterable[WxApp] | None = None,
        users: Iterable[TestUser] = DEFAULT_USERS,
        *,
        seed: str = DEFAULT_SEED,
        token_ttl: timedelta = DEFAULT_TOKEN_TTL,
        public_url: str = DEFAULT_PUBLIC_URL,
        paysim_url: str = DEFAULT_PAYSIM_URL,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if token_ttl <= timedelta(minutes=5):
            raise ValueError("a token lives longer than five minutes (WeChat's overlap)")
        self.directory = Directory(default_apps(seed) if apps is None else apps, users, seed)
        self.public_url = public_url.rstrip("/")
        self.paysim_url = paysim_url.rstrip("/")
        self._clock = clock
        self._token_ttl = token_ttl
        self.reset()

    def reset(self) -> None:
        """Forget everything that happened — tokens, tickets, codes, grants, consents,
        messages, shares, counts, the advanced clock — as a restart with the same seed would:
        apps, users and their ids stay."""
        self._offset = timedelta()
        self.credentials = Credentials(self.directory, self._token_ttl, self.now)
        self.web = WebAuthorization(self.directory, self.now, lambda: self.public_url)
        self.miniprogram = MiniProgramSignIn(self.directory, self.now)
        self.messaging = Messaging(self.directory, self.now)
        self.codes = Codes()
        self.jssdk = JsSdk(self.directory, self.credentials, self.messaging, self.now)

    def now(self) -> datetime:
        return self._clock() + self._offset

    def advance(self, delta: timedelta) -> None:
        """Move the simulator's clock on (tests)."""
        self._offset += delta

    @property
    def apps(self) -> dict[str, WxApp]:
        return self.directory.apps

    @property
    def users(self) -> dict[str, TestUser]:
        return self.directory.users

    def openid_of(self, appid: str, user: str) -> str:
        return self.directory.openid_of(appid, user)

    def unionid_of(self, appid: str, user: str) -> str | None:
        return self.directory.unionid_of(appid, user)

    def knows(self, appid: str, openid: str) -> bool:
        """Whether ``openid`` is a user's openid under ``appid`` (paysim checks JSAPI payers)."""
        return self.directory.knows(appid, openid)

    def oauth_code(self, appid: str, user: str, scope: str = "snsapi_base") -> str:
        """The code the authorise page gives ``user`` (consenting when the scope asks), as
        tests use it without a browser."""
        return self.web.authorise(appid, user, scope)

    def login_code(self, appid: str, user: str) -> str:
        return self.miniprogram.login_code(appid, user)

    def phone_code(self, appid: str, user: str) -> str:
        return self.miniprogram.phone_code(appid, user)

    def token_calls(self, appid: str) -> int:
        return self.credentials.token_calls(appid)

    def ticket_calls(self, appid: str) -> int:
        return self.credentials.ticket_calls(appid)

    def expire_tokens(self, appid: str) -> int:
        """Every access token of the app expires now: the next call with one gets 42001."""
        return self.credentials.expire(appid)

    def accept_subscription(
        self, appid: str, openid: str, template_ids: Iterable[str]
    ) -> dict[str, str]:
        """The user accepts one more message of each template (``wx.requestSubscribeMessage``);
        ValueError for an openid or a template not of the app."""
        return self.messaging.accept(appid, openid, template_ids)

    def inbox(self, user: str) -> list[Message]:
        """What the test user received, newest first."""
        return self.messaging.inbox(user)

    @property
    def shares(self) -> list[Share]:
        """Share cards pages set, oldest first."""
        return self.jssdk.shares

    def subscribe_templates(self, appid: str) -> dict[str, str]:
        """The app's subscription template ids by event."""
        return {t.event: t.template_id for t in self.messaging.of_app(appid, "subscribe")}

    def staff_templates(self, appid: str) -> dict[str, str]:
        """The official account's template-message ids by event."""
        return {t.event: t.template_id for t in self.messaging.of_app(appid, "staff")}

    def stats(self) -> dict[str, dict[str, int]]:
        return {
            "token_calls": {appid: self.token_calls(appid) for appid in self.apps},
            "ticket_calls": {appid: self.ticket_calls(appid) for appid in self.apps},
            "wxacode_calls": {appid: self.codes.calls[appid] for appid in self.apps},
        }
