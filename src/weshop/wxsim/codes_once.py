"""Single-use codes (OAuth, ``wx.login``, phone numbers): bound to one app, five minutes."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from weshop.wxsim.errors import WxError

CODE_TTL = timedelta(minutes=5)
CODE_ALPHABET = string.ascii_letters + string.digits


@dataclass
class IssuedCode:
    appid: str
    user: str
    expires_at: datetime
    scope: str = ""
    used: bool = False


class OneTimeCodes:
    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._codes: dict[str, IssuedCode] = {}

    def issue(self, appid: str, user: str, scope: str = "") -> str:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(32))
        self._codes[code] = IssuedCode(appid, user, self._now() + CODE_TTL, scope)
        return code

    def redeem(self, appid: str, code: str) -> IssuedCode:
        """The code's grant, once: 41008 none, 40029 unknown, expired or another app's,
        40163 used before."""
        if not code:
            raise WxError(41008)
        issued = self._codes.get(code)
        if issued is None or issued.appid != appid or issued.expires_at <= self._now():
            raise WxError(40029)
        if issued.used:
            raise WxError(40163)
        issued.used = True
        return issued
