"""Errors as WeChat Pay APIv3 answers them: an HTTP status and
``{"code": "PARAM_ERROR", "message": "...", "detail": {...}}``.

(The simulator is not WeShop: its answers follow WeChat Pay's error shape, not WeShop's.)
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, detail: Any = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail is not None:
            body["detail"] = self.detail
        return body


def param_error(field: str, issue: str, *, value: Any = None, location: str = "body") -> ApiError:
    detail: dict[str, Any] = {"field": field, "issue": issue, "location": location}
    if value is not None:
        detail["value"] = value
    return ApiError(400, "PARAM_ERROR", f"参数错误: {field} {issue}", detail)


def from_validation(exc: ValidationError, location: str = "body") -> ApiError:
    first = exc.errors()[0]
    field = "/" + "/".join(str(part) for part in first.get("loc", ()))
    if first.get("type") == "json_invalid":
        return ApiError(400, "PARAM_ERROR", "请求体不是合法的JSON", {"location": location})
    return param_error(field, str(first.get("msg", "invalid")), location=location)


def invalid_request(message: str) -> ApiError:
    """The request is well formed but breaks a business rule."""
    return ApiError(400, "INVALID_REQUEST", message)


def not_enough(message: str) -> ApiError:
    return ApiError(403, "NOT_ENOUGH", message)


def no_auth(message: str = "商户无权限") -> ApiError:
    return ApiError(403, "NO_AUTH", message)
