"""Errors of WeChat's platform APIs, in the project's hierarchy."""

from __future__ import annotations

from weshop.core.errors import NotFound, ProviderError, Unauthenticated

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


# A code (wx.login's, getPhoneNumber's, the web authorisation's) WeChat does not take: wrong,
# expired, used already, or from a user WeChat holds as risky.
INVALID_CODE = 40029
CODE_USED = 40163
HIGH_RISK_USER = 40226
CODE_ERRORS = frozenset({INVALID_CODE, CODE_USED, HIGH_RISK_USER})


class WechatCodeRefused(Unauthenticated):
    code = "wechat_code_invalid"
