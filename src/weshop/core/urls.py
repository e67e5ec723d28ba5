"""Addresses WeShop puts in pages (``<img src>``, ``og:image``) and gives to clients.

``WebUrl`` accepts only an absolute ``http(s)`` URL or a path of this installation's own media
(``/media/...``): never ``javascript:``, ``data:``, ``vbscript:``, a scheme-relative ``//host``
or a relative path, which a page would turn into script, inline content or another site.
The empty string stands for no address (a field that needs one says ``min_length=1``).
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

MAX_URL_LENGTH = 300
MEDIA_PREFIX = "/media/"
URL_NOT_ALLOWED = "url_not_allowed"

_MEDIA_PATH = re.compile(r"^/media/[A-Za-z0-9_-][A-Za-z0-9._/-]*$")
# A host name or an IPv4 address, with an optional port; IPv6 literals are not needed here.
_HOST = re.compile(
    r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x20\x7f\\<>\"'`]")


def _refuse() -> PydanticCustomError:
    return PydanticCustomError(
        URL_NOT_ALLOWED, "must be an http(s) URL or a path under /media/ of this site"
    )


def check_web_url(text: str) -> str:
    if text == "":
        return text
    if _UNSAFE_CHARACTERS.search(text):
        raise _refuse()
    if text.startswith(MEDIA_PREFIX):
        if not _MEDIA_PATH.match(text) or ".." in text or "//" in text:
            raise _refuse()
        return text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise _refuse() from exc
    if parts.scheme.lower() not in ("http", "https") or "@" in parts.netloc:
        raise _refuse()
    if not parts.hostname or not _HOST.match(parts.hostname) or port == 0:
        raise _refuse()
    return text


WebUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=MAX_URL_LENGTH),
    AfterValidator(check_web_url),
    Field(
        description="An absolute http(s) URL, or a path under /media/ of this installation; "
        '"" for none.',
        examples=["https://example.com/logo.png", "/media/1/logo.png"],
    ),
]
