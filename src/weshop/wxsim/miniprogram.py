"""Mini-program sign-in: ``wx.login`` codes for ``/sns/jscode2session`` and the phone-number
codes (``getPhoneNumber`` button) for ``/wxa/business/getuserphonenumber``."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from weshop.wxsim.apps import Directory, WxApp
from weshop.wxsim.codes_once import OneTimeCodes
from weshop.wxsim.errors import WxError, ok


class MiniProgramSignIn:
    def __init__(self, directory: Directory, now: Callable[[], datetime]) -> None:
        self.directory = directory
        self._now = now
        self.login_codes = OneTimeCodes(now)
        self.phone_codes = OneTimeCodes(now)
        # The session_key of each (appid, user), renewed at each jscode2session as WeChat may.
        self.session_keys: dict[tuple[str, str], str] = {}

    def _miniprogram(self, appid: str) -> WxApp:
        app = self.directory.app(appid)
        if app.kind != "miniprogram":
            raise WxError(40013, "(not a mini-program)")
        return app

    def login_code(self, appid: str, user: str) -> str:
        """What ``wx.login`` gives ``user`` in the mini-program ``appid``."""
        self._miniprogram(appid)
        self.directory.user(user)
        return self.login_codes.issue(appid, user)

    def phone_code(self, appid: str, user: str) -> str:
        """What the ``getPhoneNumber`` button gives once the user allows it."""
        self._miniprogram(appid)
        self.directory.user(user)
        return self.phone_codes.issue(appid, user)

    def code_to_session(
        self, appid: str, secret: str, js_code: str, grant_type: str
    ) -> dict[str, Any]:
        """``GET /sns/jscode2session``."""
        self.directory.authenticated(appid, secret)
        self._miniprogram(appid)
        if grant_type != "authorization_code":
            raise WxError(40002)
        issued = self.login_codes.redeem(appid, js_code)
        session_key = base64.b64encode(secrets.token_bytes(16)).decode()
        self.session_keys[(appid, issued.user)] = session_key
        answer = {
            "openid": self.directory.openid_of(appid, issued.user),
            "session_key": session_key,
        }
        unionid = self.directory.unionid_of(appid, issued.user)
        if unionid is not None:
            answer["unionid"] = unionid
        return answer

    def phone_number(self, app: WxApp, code: str) -> dict[str, Any]:
        """``POST /wxa/business/getuserphonenumber`` with the mini-program's token."""
        if app.kind != "miniprogram":
            raise WxError(48001)
        issued = self.phone_codes.redeem(app.appid, code)
        phone = self.directory.user(issued.user).phone
        return ok(
            phone_info={
                "phoneNumber": phone,
                "purePhoneNumber": phone,
                "countryCode": "86",
                "watermark": {"timestamp": int(self._now().timestamp()), "appid": app.appid},
            }
        )
