"""Mini-program codes (``getwxacodeunlimit``): a real image, a QR symbol of the page and scene
(WeChat draws its round code; a scanner of this one reads where it leads), or WeChat's errors.

Rules as WeChat documents them: ``scene`` 1–32 visible characters of digits, letters and
``!#$&'()*+,/:;=?@-._~``; ``page`` without a leading slash or a query, one of the app's pages
when ``check_path`` (default true); ``env_version`` release, trial or develop; ``width``
280–1280 px (default 430, clamped as WeChat does); ``line_color`` and ``is_hyaline`` honoured.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import segno
from PIL import Image

from weshop.wxsim.apps import WxApp
from weshop.wxsim.errors import WxError

SCENE = re.compile(r"[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}")
ENV_VERSIONS = ("release", "trial", "develop")
DEFAULT_WIDTH, MIN_WIDTH, MAX_WIDTH = 430, 280, 1280


def _color(value: Any) -> tuple[int, int, int]:
    if not isinstance(value, dict):
        return (0, 0, 0)
    try:
        red, green, blue = (int(value.get(name, 0)) for name in ("r", "g", "b"))
    except (TypeError, ValueError):
        raise WxError(40097, "line_color") from None
    if not all(0 <= channel <= 255 for channel in (red, green, blue)):
        raise WxError(40097, "line_color")
    return (red, green, blue)


def _width(value: Any) -> int:
    if value is None:
        return DEFAULT_WIDTH
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WxError(40097, "width")
    return max(MIN_WIDTH, min(MAX_WIDTH, int(value)))


def code_image(app: WxApp, body: dict[str, Any]) -> bytes:
    """The PNG of the code the body asks for, or WeChat's error."""
    if app.kind != "miniprogram":
        raise WxError(48001)
    scene = body.get("scene")
    if not isinstance(scene, str) or not SCENE.fullmatch(scene):
        raise WxError(40129)
    page = body.get("page") or ""
    if not isinstance(page, str) or page.startswith("/") or "?" in page:
        raise WxError(41030)
    check_path = body.get("check_path", True)
    if page and check_path is not False and page not in app.pages:
        raise WxError(41030)
    env_version = body.get("env_version", "release")
    if env_version not in ENV_VERSIONS:
        raise WxError(40097, "env_version")
    width = _width(body.get("width"))
    dark = (0, 0, 0) if body.get("auto_color") is True else _color(body.get("line_color"))
    transparent = body.get("is_hyaline") is True

    target = f"https://wxsim.invalid/{app.appid}/{page or app.pages[0]}?" + urlencode(
        {"scene": scene, "env_version": env_version}
    )
    symbol = segno.make(target, error="m", micro=False)
    drawn = io.BytesIO()
    symbol.save(drawn, kind="png", scale=10, dark=dark, light=None if transparent else "white")
    drawn.seek(0)
    image = Image.open(drawn).convert("RGBA" if transparent else "RGB")
    image = image.resize((width, width), Image.Resampling.NEAREST)
    answer = io.BytesIO()
    image.save(answer, format="PNG")
    return answer.getvalue()


class Codes:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def unlimited(self, app: WxApp, body: dict[str, Any]) -> bytes:
        self.calls[app.appid] += 1
        return code_image(app, body)
