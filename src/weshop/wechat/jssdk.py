"""The JS-SDK's ``wx.config`` for a page opened in WeChat's browser.

WeChat checks a page's config against the official account's ``jsapi_ticket``: the signature
is the SHA-1 of ``jsapi_ticket=…&noncestr=…&timestamp=…&url=…`` (the four keys in ASCII
order, the values raw, not URL-escaped), where ``url`` is the page's exact address without
its ``#fragment``. Pages are kept by the response cache, so the signature is never in their
HTML: the page's script asks ``GET /api/v1/wechat/js-config?url=`` for it (see
``web/static/wechat-jssdk.js``), and only addresses on this installation's hosts are signed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from weshop.core.config import Settings
from weshop.core.errors import PermissionDenied
from weshop.wechat.apps import WechatApp
from weshop.wechat.client import WechatClient

# What WeShop's pages call after wx.config: the share cards, and the payment helper 3's pay
# page uses; the open tag is the subscription button of helper 5's pages.
JS_API_LIST = ("updateAppMessageShareData", "updateTimelineShareData", "chooseWXPay")
OPEN_TAG_LIST = ("wx-open-subscribe",)
MAX_URL_LENGTH = 2000
NONCE_BYTES = 12


class ForeignUrl(PermissionDenied):
    """The address to sign is not a page of this installation: WeShop signs only its own
    pages (a signature is WeChat's permission for that page to use the JS-SDK)."""

    code = "foreign_url"


@dataclass(frozen=True)
class JsConfig:
    """What ``wx.config`` takes, in the JS-SDK's own field names."""

    appId: str
    timestamp: int
    nonceStr: str
    signature: str
    jsApiList: tuple[str, ...]
    openTagList: tuple[str, ...]


def signature(jsapi_ticket: str, noncestr: str, timestamp: int, url: str) -> str:
    """WeChat's JS-SDK signature (附录1: JS-SDK使用权限签名算法)."""
    fields = {
        "jsapi_ticket": jsapi_ticket,
        "noncestr": noncestr,
        "timestamp": timestamp,
        "url": url,
    }
    string1 = "&".join(f"{key}={fields[key]}" for key in sorted(fields))
    return hashlib.sha1(string1.encode()).hexdigest()


def _host_allowed(hostname: str, port: int | None, settings: Settings) -> bool:
    public = urlsplit(settings.public_base_url)
    if hostname == (public.hostname or "") and port == public.port:
        return True
    # The host names the installation answers to ('*.example.com' allowed), as the Host check
    # reads them: by name, whatever the port. '*' alone names no host in particular.
    return any(
        pattern != "*" and fnmatchcase(hostname, pattern.lower())
        for pattern in settings.allowed_hosts
    )


def page_url(url: str, settings: Settings) -> str:
    """``url`` as WeChat signs it (its fragment left out), if it is an http(s) page on this
    installation's public address or one of its allowed hosts; ``ForeignUrl`` otherwise."""
    if len(url) > MAX_URL_LENGTH:
        raise ForeignUrl(f"the address may be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ForeignUrl("not a web address") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise ForeignUrl("only an http(s) page of this shop can be signed")
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in url):
        raise ForeignUrl("the address holds spaces or control characters")
    if not _host_allowed(parts.hostname, port, settings):
        raise ForeignUrl("the page is not on this shop's address")
    return url.split("#", 1)[0]


async def js_config(
    client: WechatClient, app: WechatApp, url: str, now: datetime, settings: Settings
) -> JsConfig:
    """The config of the page at ``url`` (checked by :func:`page_url`) under ``app``'s
    current jsapi_ticket, with a fresh nonce."""
    signed_url = page_url(url, settings)
    ticket = await client.jsapi_ticket(app)
    nonce = secrets.token_urlsafe(NONCE_BYTES)
    timestamp = int(now.timestamp())
    return JsConfig(
        appId=app.appid,
        timestamp=timestamp,
        nonceStr=nonce,
        signature=signature(ticket, nonce, timestamp, signed_url),
        jsApiList=JS_API_LIST,
        openTagList=OPEN_TAG_LIST,
    )
