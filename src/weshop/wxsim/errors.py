"""WeChat's error answers: ``{"errcode": N, "errmsg": "..."}`` with its codes and messages.

WeChat answers errors with HTTP 200 and appends a request id (``rid``) to the message; so do we.
"""

from __future__ import annotations

import secrets
from typing import Any

# The codes wxsim gives, with WeChat's own messages.
MESSAGES = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40029: "invalid code",
    40030: "invalid refresh_token",
    40037: "invalid template_id",
    40097: "invalid args",
    40125: "invalid appsecret",
    40129: "invalid scene",
    40163: "code been used",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41008: "missing code",
    41030: "invalid page",
    42001: "access_token expired",
    43004: "require subscribe",
    43101: "user refuse to accept the msg",
    44002: "empty post data",
    45009: "reach max api daily quota limit",
    47001: "data format error",
    47003: "argument invalid!",
    48001: "api unauthorized",
}


class WxError(Exception):
    """An error WeChat answers with; ``detail`` follows the message as WeChat's hints do."""

    def __init__(self, errcode: int, detail: str = "") -> None:
        self.errcode = errcode
        self.errmsg = " ".join(part for part in (MESSAGES[errcode], detail) if part)
        super().__init__(f"{errcode} {self.errmsg}")

    def body(self) -> dict[str, Any]:
        return {"errcode": self.errcode, "errmsg": f"{self.errmsg} rid: {request_id()}"}


def request_id() -> str:
    """Shaped like WeChat's: ``64e41852-5c2e1227-2885cbfa``."""
    return "-".join(secrets.token_hex(4) for _ in range(3))


def ok(**fields: Any) -> dict[str, Any]:
    return {"errcode": 0, "errmsg": "ok", **fields}
