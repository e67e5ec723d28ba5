"""Access tokens (``/cgi-bin/token``, ``/cgi-bin/stable_token``) and JS-SDK tickets.

As on WeChat:
- each ``/cgi-bin/token`` call issues a new token; the previous one keeps working for a short
  overlap (five minutes) and is refused with 40001 after it;
- ``/cgi-bin/stable_token`` is a separate stream: within a token's life it answers the same
  token (a new one in its last five minutes, the old still valid); ``force_refresh`` issues a
  new one and the previous stops working at once, at most 20 times a day (45009 after) and
  not within 30 seconds of the last (the current token is answered then);
- a token past its ``expires_in`` answers 42001, an unknown one 40001, none 41001;
- ``getticket?type=jsapi`` issues a ticket the same way as ``/cgi-bin/token`` issues tokens.
"""

from __future__ import annotations

import math
import secrets
import string
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from weshop.wxsim.apps import Directory, WxApp
from weshop.wxsim.errors import WxError

Stream = Literal["token", "stable", "jsapi"]
# Old and new credentials both work this long after a refresh (WeChat's "5 分钟").
OVERLAP = timedelta(minutes=5)
FORCE_REFRESH_INTERVAL = timedelta(seconds=30)
FORCE_REFRESHES_PER_DAY = 20
TOKEN_ALPHABET = string.ascii_letters + string.digits + "_-"


@dataclass
class Grant:
    appid: str
    stream: Stream
    value: str
    expires_at: datetime
    # Set when a newer grant of the same stream replaced this one: it works until then.
    valid_until: datetime | None = None


def new_credential(length: int) -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(length))


class Credentials:
    """Every token and ticket ever issued, by value, and the current one per app and stream."""

    def __init__(self, directory: Directory, ttl: timedelta, now: Callable[[], datetime]) -> None:
        self.directory = directory
        self.ttl = ttl
        self._now = now
        self._grants: dict[str, Grant] = {}
        self._current: dict[tuple[str, Stream], Grant] = {}
        self.calls: Counter[tuple[str, Stream]] = Counter()
        # The latest calls that got a token or ticket: (when, appid, stream), newest last.
        self.recent: deque[tuple[datetime, str, Stream]] = deque(maxlen=50)
        # When each app forced a stable token refresh, for WeChat's limits on it.
        self._forced: dict[str, list[datetime]] = {}

    def _issue(self, appid: str, stream: Stream, *, overlap: timedelta) -> Grant:
        now = self._now()
        previous = self._current.get((appid, stream))
        if previous is not None:
            previous.valid_until = min(previous.expires_at, now + overlap)
        length = 86 if stream == "jsapi" else 136
        grant = Grant(appid, stream, new_credential(length), now + self.ttl)
        self._grants[grant.value] = grant
        self._current[(appid, stream)] = grant
        return grant

    def _count(self, appid: str, stream: Stream) -> None:
        self.calls[(appid, stream)] += 1
        self.recent.append((self._now(), appid, stream))

    def _answer(self, grant: Grant, name: str) -> dict[str, object]:
        remaining = math.ceil((grant.expires_at - self._now()).total_seconds())
        return {name: grant.value, "expires_in": max(remaining, 0)}

    def token(self, grant_type: str, appid: str, secret: str) -> dict[str, object]:
        """``GET /cgi-bin/token``; a wrong secret is 40001 there, as WeChat answers."""
        self.directory.authenticated(appid, secret, wrong_secret=40001)
        if grant_type != "client_credential":
            raise WxError(40002)
        self._count(appid, "token")
        return self._answer(self._issue(appid, "token", overlap=OVERLAP), "access_token")

    def stable_token(
        self, grant_type: str, appid: str, secret: str, force_refresh: bool
    ) -> dict[str, object]:
        """``POST /cgi-bin/stable_token``."""
        self.directory.authenticated(appid, secret)
        if grant_type != "client_credential":
            raise WxError(40002)
        current = self._current.get((appid, "stable"))
        now = self._now()
        if force_refresh:
            force_refresh = self._may_force(appid, now)
        self._count(appid, "stable")
        if force_refresh or current is None or current.expires_at <= now:
            grant = self._issue(appid, "stable", overlap=timedelta())
        elif current.expires_at - now <= OVERLAP:
            grant = self._issue(appid, "stable", overlap=OVERLAP)
        else:
            grant = current
        return self._answer(grant, "access_token")

    def _may_force(self, appid: str, now: datetime) -> bool:
        """Whether a forced refresh refreshes: not within 30 s of the last (False), not past
        the day's 20 (45009)."""
        today = [at for at in self._forced.get(appid, []) if now - at < timedelta(days=1)]
        self._forced[appid] = today
        if today and now - today[-1] < FORCE_REFRESH_INTERVAL:
            return False
        if len(today) >= FORCE_REFRESHES_PER_DAY:
            raise WxError(45009)
        today.append(now)
        return True

    def app_of(self, access_token: str) -> WxApp:
        """The app an access token was issued to, or 41001/40001/42001."""
        if not access_token:
            raise WxError(41001)
        grant = self._grants.get(access_token)
        if grant is None or grant.stream == "jsapi":
            raise WxError(40001)
        now = self._now()
        if grant.expires_at <= now:
            raise WxError(42001)
        if grant.valid_until is not None and grant.valid_until <= now:
            raise WxError(40001)
        return self.directory.app(grant.appid)

    def expire(self, appid: str) -> int:
        """Every token of the app expires now (42001 from now on); how many were live."""
        self.directory.app(appid)
        now = self._now()
        expired = 0
        for grant in self._grants.values():
            if grant.appid == appid and grant.stream != "jsapi" and grant.expires_at > now:
                grant.expires_at = now
                expired += 1
        return expired

    def jsapi_ticket(self, app: WxApp, ticket_type: str) -> dict[str, object]:
        """``GET /cgi-bin/ticket/getticket?type=jsapi`` with the app's access token."""
        if ticket_type != "jsapi":
            raise WxError(40097, "type")
        self._count(app.appid, "jsapi")
        grant = self._issue(app.appid, "jsapi", overlap=OVERLAP)
        return {"errcode": 0, "errmsg": "ok", **self._answer(grant, "ticket")}

    def ticket_is_valid(self, appid: str, ticket: str) -> bool:
        grant = self._grants.get(ticket)
        if grant is None or grant.appid != appid or grant.stream != "jsapi":
            return False
        now = self._now()
        return grant.expires_at > now and (grant.valid_until is None or grant.valid_until > now)

    def live_tickets(self, appid: str) -> list[str]:
        """The app's JS-SDK tickets that still work (the current one, and the previous within
        its overlap)."""
        return [
            grant.value
            for grant in self._grants.values()
            if grant.stream == "jsapi" and self.ticket_is_valid(appid, grant.value)
        ]

    def token_calls(self, appid: str) -> int:
        """Calls of ``/cgi-bin/token`` and ``/cgi-bin/stable_token`` that got a token."""
        return self.calls[(appid, "token")] + self.calls[(appid, "stable")]

    def ticket_calls(self, appid: str) -> int:
        return self.calls[(appid, "jsapi")]
