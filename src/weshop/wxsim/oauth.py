"""Web authorisation of official accounts (网页授权): codes from the authorise page, the
user's ``sns`` access token and ``/sns/userinfo``.

``unionid`` comes with ``/sns/oauth2/access_token`` when the account is bound to an open
platform and the user has granted ``snsapi_userinfo`` to it (now or before), as WeChat
documents; ``/sns/userinfo`` always carries it when bound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from weshop.wxsim.apps import Directory, WxApp
from weshop.wxsim.codes_once import OneTimeCodes
from weshop.wxsim.errors import WxError
from weshop.wxsim.tokens import new_credential

SCOPES = ("snsapi_base", "snsapi_userinfo")
SNS_TOKEN_TTL = timedelta(hours=2)
AVATAR_PATH = "/wxsim/avatars/{user}.png"


class AuthoriseError(ValueError):
    """What WeChat's authorise page shows instead of redirecting."""


@dataclass
class SnsGrant:
    appid: str
    user: str
    scope: str
    expires_at: datetime


class WebAuthorization:
    def __init__(
        self, directory: Directory, now: Callable[[], datetime], public_url: Callable[[], str]
    ) -> None:
        self.directory = directory
        self._now = now
        self._public_url = public_url
        self.codes = OneTimeCodes(now)
        self._grants: dict[str, SnsGrant] = {}
        self._refresh: dict[str, SnsGrant] = {}
        # (appid, user) pairs where the user granted snsapi_userinfo.
        self.consented: set[tuple[str, str]] = set()

    def check_request(self, appid: str, redirect_uri: str, response_type: str, scope: str) -> WxApp:
        """The authorise page's own checks (WeChat shows an error page for these)."""
        app = self.directory.apps.get(appid)
        if app is None or app.kind != "official":
            raise AuthoriseError("appid 参数错误")
        if not redirect_uri.startswith(("http://", "https://")):
            raise AuthoriseError("redirect_uri 参数错误")
        if response_type != "code":
            raise AuthoriseError("response_type 参数错误")
        if scope not in SCOPES:
            raise AuthoriseError("scope 参数错误或没有 scope 权限")
        return app

    def needs_consent(self, appid: str, user: str, scope: str) -> bool:
        return scope == "snsapi_userinfo" and (appid, user) not in self.consented

    def authorise(self, appid: str, user: str, scope: str) -> str:
        """The user (having consented when the scope asks) gets a code for the app."""
        self.directory.user(user)
        if scope == "snsapi_userinfo":
            self.consented.add((appid, user))
        return self.codes.issue(appid, user, scope)

    def _tokens(self, appid: str, user: str, scope: str) -> dict[str, Any]:
        grant = SnsGrant(appid, user, scope, self._now() + SNS_TOKEN_TTL)
        access_token, refresh_token = new_credential(110), new_credential(110)
        self._grants[access_token] = grant
        self._refresh[refresh_token] = grant
        answer: dict[str, Any] = {
            "access_token": access_token,
            "expires_in": int(SNS_TOKEN_TTL.total_seconds()),
            "refresh_token": refresh_token,
            "openid": self.directory.openid_of(appid, user),
            "scope": scope,
        }
        unionid = self.directory.unionid_of(appid, user)
        if unionid is not None and (appid, user) in self.consented:
            answer["unionid"] = unionid
        return answer

    def access_token(self, appid: str, secret: str, code: str, grant_type: str) -> dict[str, Any]:
        """``GET /sns/oauth2/access_token``."""
        self.directory.authenticated(appid, secret)
        if grant_type != "authorization_code":
            raise WxError(40002)
        issued = self.codes.redeem(appid, code)
        return self._tokens(appid, issued.user, issued.scope)

    def refresh(self, appid: str, refresh_token: str, grant_type: str) -> dict[str, Any]:
        """``GET /sns/oauth2/refresh_token``."""
        self.directory.app(appid)
        if grant_type != "refresh_token":
            raise WxError(40002)
        grant = self._refresh.get(refresh_token)
        if grant is None or grant.appid != appid:
            raise WxError(40030 if grant is None else 40029)
        return self._tokens(appid, grant.user, grant.scope)

    def userinfo(self, access_token: str, openid: str) -> dict[str, Any]:
        """``GET /sns/userinfo``: 48001 for a snsapi_base token."""
        if not access_token:
            raise WxError(41001)
        grant = self._grants.get(access_token)
        if grant is None:
            raise WxError(40001)
        if grant.expires_at <= self._now():
            raise WxError(42001)
        if openid != self.directory.openid_of(grant.appid, grant.user):
            raise WxError(40003)
        if grant.scope != "snsapi_userinfo":
            raise WxError(48001)
        user = self.directory.user(grant.user)
        answer: dict[str, Any] = {
            "openid": openid,
            "nickname": user.nickname,
            "sex": user.sex,
            "province": user.province,
            "city": user.city,
            "country": "中国",
            "headimgurl": self.avatar_url(user.key),
            "privilege": [],
        }
        unionid = self.directory.unionid_of(grant.appid, grant.user)
        if unionid is not None:
            answer["unionid"] = unionid
        return answer

    def avatar_url(self, user: str) -> str:
        return self._public_url() + AVATAR_PATH.format(user=user)
