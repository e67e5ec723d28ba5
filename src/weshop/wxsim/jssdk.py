"""The JS-SDK's server side: ``wx.config`` signatures checked against the app's live
``jsapi_ticket``s, share cards set by configured pages, and consent given through the
``<wx-open-subscribe>`` open tag."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from weshop.wxsim.apps import Directory
from weshop.wxsim.messages import Messaging
from weshop.wxsim.tokens import Credentials

SHARE_KINDS = {"updateAppMessageShareData": "朋友", "updateTimelineShareData": "朋友圈"}


def signature(ticket: str, noncestr: str, timestamp: str, url: str) -> str:
    """WeChat's JS-SDK signature: SHA-1 of the four fields in this order, url without #."""
    plain = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}"
    return hashlib.sha1(plain.encode()).hexdigest()


@dataclass(frozen=True)
class PageConfig:
    """What a page passes to ``wx.config`` (and the page's URL without its fragment)."""

    appid: str
    timestamp: str
    noncestr: str
    signature: str
    url: str

    @classmethod
    def of(cls, body: dict[str, Any]) -> PageConfig:
        return cls(
            str(body.get("appId", "")),
            str(body.get("timestamp", "")),
            str(body.get("nonceStr", "")),
            str(body.get("signature", "")),
            str(body.get("url", "")).split("#")[0],
        )


@dataclass(frozen=True)
class Share:
    api: str
    appid: str
    user: str | None
    page: str
    title: str
    desc: str
    link: str
    img_url: str
    at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "api": self.api,
            "appid": self.appid,
            "user": self.user,
            "page": self.page,
            "title": self.title,
            "desc": self.desc,
            "link": self.link,
            "imgUrl": self.img_url,
            "at": self.at.isoformat(),
        }


class JsSdk:
    def __init__(
        self,
        directory: Directory,
        credentials: Credentials,
        messaging: Messaging,
        now: Callable[[], datetime],
    ) -> None:
        self.directory = directory
        self.credentials = credentials
        self.messaging = messaging
        self._now = now
        self.shares: list[Share] = []

    def config_error(self, config: PageConfig) -> str | None:
        """None when the page's config is signed with a live ticket of its app, else the
        ``errMsg`` WeChat gives ``wx.error``."""
        app = self.directory.apps.get(config.appid)
        if app is None or app.kind != "official":
            return "config:invalid appid"
        if not (config.timestamp and config.noncestr and config.url):
            return "config:invalid arguments"
        for ticket in self.credentials.live_tickets(config.appid):
            expected = signature(ticket, config.noncestr, config.timestamp, config.url)
            if hmac.compare_digest(expected, config.signature.lower()):
                return None
        return "config:invalid signature"

    def share(self, config: PageConfig, api: str, card: dict[str, Any], user: str | None) -> str:
        """Record the share card a configured page set; WeChat's ``errMsg``."""
        if api not in SHARE_KINDS:
            return f"{api}:fail, unknown api"
        error = self.config_error(config)
        if error is not None:
            return f"{api}:fail, the permission value is offline verifying"
        self.shares.append(
            Share(
                api,
                config.appid,
                user,
                config.url,
                str(card.get("title", "")),
                str(card.get("desc", "")),
                str(card.get("link", "")),
                str(card.get("imgUrl", "")),
                self._now(),
            )
        )
        return f"{api}:ok"

    def subscribe(
        self, config: PageConfig, template_ids: list[str], user: str | None
    ) -> dict[str, Any]:
        """A click on ``<wx-open-subscribe>``: the ``detail`` of its ``success`` event (with
        ``subscribeDetails`` as WeChat's JSON string) or of its ``error`` event."""
        if self.config_error(config) is not None:
            return {"event": "error", "detail": {"errMsg": "subscribe:fail, config not ready"}}
        if user is None:
            return {
                "event": "error",
                "detail": {"errMsg": "subscribe:fail, no WeChat user in this browser"},
            }
        openid = self.directory.openid_of(config.appid, user)
        try:
            accepted = self.messaging.accept(config.appid, openid, template_ids)
        except ValueError as exc:
            return {"event": "error", "detail": {"errMsg": f"subscribe:fail, {exc}"}}
        details = {
            template_id: json.dumps({"status": status}, separators=(",", ":"))
            for template_id, status in accepted.items()
        }
        return {
            "event": "success",
            "detail": {
                "errMsg": "subscribe:ok",
                "subscribeDetails": json.dumps(details, separators=(",", ":")),
            },
        }
