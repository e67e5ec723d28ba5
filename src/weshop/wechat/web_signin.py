"""Pages opened in WeChat sign in by themselves: a storefront page requested by WeChat's
browser (``MicroMessenger`` in its user agent) without a session goes to the official
account's web authorisation, silently (``snsapi_base``), and comes back signed in.

Only storefront pages do (the routes it is given, matched as the router would): never the
API, the consoles, static files or media. A shopper who declined is not sent again for a
day (the callback sets a cookie), so there is no loop. It sits outside the response cache,
which would otherwise answer a kept page before any route runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.requests import cookie_parser
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Match

from weshop.core.clock import utcnow
from weshop.core.config import Settings
from weshop.web.session_cookie import SESSION_COOKIE
from weshop.wechat import oauth
from weshop.wechat.apps import wechat_apps
from weshop.wechat.web import DECLINED_COOKIE

Scope = dict[str, Any]


def in_wechat(user_agent: str) -> bool:
    return "MicroMessenger" in user_agent


class WechatWebSignIn:
    def __init__(self, app: Any, *, settings: Settings, pages: Iterable[BaseRoute]) -> None:
        self.app = app
        self.settings = settings
        self.official = wechat_apps(settings).official
        self.pages = list(pages)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if self.official is None or not self._wants_sign_in(scope):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        here = f"{path}?{query}" if query else path
        url = oauth.authorize_url(self.settings, self.official, here, "snsapi_base", utcnow())
        await RedirectResponse(url, 302)(scope, receive, send)

    def _wants_sign_in(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "GET":
            return False
        headers = dict(scope["headers"])
        if not in_wechat(headers.get(b"user-agent", b"").decode("latin-1")):
            return False
        cookies = cookie_parser(headers.get(b"cookie", b"").decode("latin-1"))
        if cookies.get(SESSION_COOKIE) or cookies.get(DECLINED_COOKIE):
            return False
        return any(route.matches(scope)[0] == Match.FULL for route in self.pages)
