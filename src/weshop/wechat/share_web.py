"""The JS-SDK on storefront pages: the part every storefront page includes when the
installation has an official account (see ``web/static/wechat-jssdk.js``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from weshop.core.http import get_runtime


def jssdk_part(request: Request) -> dict[str, Any] | None:
    """The script tag's part, the same for every visitor (the script itself checks that it
    runs inside WeChat), or None without an official account."""
    settings = get_runtime(request).settings
    if not settings.wechat_official_appid:
        return None
    return {"template": "wechat/shop/_jssdk.html", "script_url": settings.wechat_jssdk_script_url}
