"""How WeChat Pay failures reach WeShop: as ProviderError (HTTP 502) with a stable code."""

from __future__ import annotations

from typing import Any

from weshop.core.errors import ProviderError


class WechatPayError(ProviderError):
    code = "wechatpay_error"


class WechatPayApiError(WechatPayError):
    """WeChat Pay answered with an error: ``{"code": ..., "message": ..., "detail": ...}``."""

    code = "wechatpay_rejected"

    def __init__(
        self, http_status: int, wechat_code: str, wechat_message: str, detail: Any = None
    ) -> None:
        super().__init__(
            f"WeChat Pay answered {http_status} {wechat_code}: {wechat_message}",
            details={"http_status": http_status, "wechat_code": wechat_code, "detail": detail},
        )
        self.http_status = http_status
        self.wechat_code = wechat_code
        self.wechat_message = wechat_message
        self.detail = detail


class WechatPayUnavailable(WechatPayError):
    """No usable answer after every attempt: network errors or WeChat Pay's 5xx."""

    code = "wechatpay_unavailable"


class ResponseNotAuthentic(WechatPayError):
    """An answer whose WeChat Pay signature does not verify: treated as forged."""

    code = "wechatpay_bad_signature"


class SignatureRejected(Exception):
    """A signed message (answer or callback) that fails verification; says why."""
