"""Errors of WeChat's platform APIs, in the project's hierarchy."""

from __future__ import annotations

from weshop.core.errors import NotFound, ProviderError

# WeChat's own error codes that WeShop acts on.
SYSTEM_BUSY = -1
INVALID_CREDENTIAL = 40001
INVALID_ACCESS_TOKEN = 40014
ACCESS_TOKEN_EXPIRED = 42001
# The access token given is not (or no longer) good: fetch another and try again, once.
TOKEN_ERRORS = frozenset({INVALID_CREDENTIAL, INVALID_ACCESS_TOKEN, ACCESS_TOKEN_EXPIRED})


class WechatApiError(ProviderError):
    """WeChat answered an error (``errcode`` != 0), or could not be reached (``errcode`` -1,
    WeChat's own "system busy")."""

    code = "wechat_api_error"

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat answered {errcode}: {errmsg[:200]}")
        self.errcode = errcode
        self.errmsg = errmsg


class WechatNotConfigured(NotFound):
    """The installation has no WeChat app of the kind asked for."""

    code = "wechat_not_configured"
