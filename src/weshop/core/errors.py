"""The one error hierarchy. Each error has a stable machine-readable ``code`` and an HTTP status."""

from __future__ import annotations

from typing import Any


class WeShopError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


class InvalidInput(WeShopError):
    status_code = 422
    code = "invalid_input"


class Unauthenticated(WeShopError):
    status_code = 401
    code = "unauthenticated"


class PermissionDenied(WeShopError):
    status_code = 403
    code = "permission_denied"


class NotFound(WeShopError):
    status_code = 404
    code = "not_found"


class Conflict(WeShopError):
    status_code = 409
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class OutOfStock(Conflict):
    code = "out_of_stock"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class RateLimited(WeShopError):
    """Too many attempts; the answer carries ``Retry-After`` when the wait is known."""

    status_code = 429
    code = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        retry_after_seconds: int | None = None,
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.retry_after_seconds = retry_after_seconds


class PasswordLocked(RateLimited):
    """Too many wrong passwords for a phone or from a client: password sign-in waits."""

    code = "password_locked"


class ProviderError(WeShopError):
    """A payment provider or another outside service failed or answered something unusable."""

    status_code = 502
    code = "provider_error"
