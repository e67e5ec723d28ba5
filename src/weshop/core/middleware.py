"""ASGI middleware: body size limits (counted as the body streams) and security headers."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException

Scope = dict[str, Any]


MAX_JSON_BYTES = 256 * 1024
# The pages' forms: the longest text fields, percent-encoded (a Chinese character takes 9 bytes).
MAX_FORM_BYTES = 256 * 1024
# Room for the form fields and multipart boundaries around a file of the largest size.
MULTIPART_FORM_ALLOWANCE = 64 * 1024


class BodyTooLarge(StarletteHTTPException):
    """Raised by a read that would take a body past its limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body may be at most {limit} bytes")


class BodySizeLimit:
    """Refuse a body over its limit with 413, without ever holding more than the limit.

    A declared Content-Length over the limit is refused before anything is read. Otherwise
    (a body sent in chunks, or a length that lies) the bytes are counted as the application
    reads them: the read that would cross the limit fails, nothing further is read, and the
    answer is 413 whatever the application makes of that failure.
    """

    def __init__(
        self,
        app: Any,
        *,
        max_json_bytes: int,
        max_form_bytes: int,
        max_upload_bytes: int,
        large_upload_paths: Sequence[re.Pattern[str]] = (),
        max_large_upload_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.max_form_bytes = max_form_bytes
        self.max_multipart_bytes = max_upload_bytes + MULTIPART_FORM_ALLOWANCE
        # Only these paths (a product video's uploads) may take a larger file: every other
        # route keeps the image limit.
        self.large_upload_paths = tuple(large_upload_paths)
        self.max_large_multipart_bytes = max_large_upload_bytes + MULTIPART_FORM_ALLOWANCE

    def limit_for(self, content_type: str, path: str = "") -> int:
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type.startswith("multipart/"):
            if any(pattern.fullmatch(path) for pattern in self.large_upload_paths):
                return max(self.max_multipart_bytes, self.max_large_multipart_bytes)
            return self.max_multipart_bytes
        if media_type == "application/x-www-form-urlencoded":
            return self.max_form_bytes
        return self.max_json_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers") or []
        # The first Content-Type, as the body parsers read it.
        content_type = next((value for name, value in headers if name == b"content-type"), b"")
        limit = self.limit_for(content_type.decode("latin-1"), scope.get("path", ""))
        length = dict(headers).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _refuse(send, limit)
            return

        received = 0
        exceeded = response_started = refused = False

        async def counted_receive() -> dict[str, Any]:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit)
            return message

        async def send_or_refuse(message: dict[str, Any]) -> None:
            nonlocal response_started, refused
            if message["type"] == "http.response.start":
                response_started = True
                if exceeded:
                    # Whatever the application answers to a body cut short, the answer is 413.
                    refused = True
                    await _refuse(send, limit)
            if not refused:
                await send(message)

        try:
            await self.app(scope, counted_receive, send_or_refuse)
        except BodyTooLarge:
            if not response_started:
                await _refuse(send, limit)
            elif not refused:
                raise


async def _refuse(send: Any, limit: int) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "payload_too_large",
                "message": f"the body may be at most {limit} bytes",
            }
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Headers every answer carries: ``nosniff``, a referrer policy, and a Content-Security-Policy
    with ``frame-ancestors 'none'`` (and ``X-Frame-Options: DENY`` for older browsers), so no
    other site can frame a page of WeShop and trick a click out of a signed-in visitor.

    Pages run only scripts and styles served from WeShop itself: no inline script or style, no
    script from another host, so an injected tag runs nothing. Images may come from any https
    host (a store's logo may be a link), and from ``blob:`` URLs, which only the page's own
    scripts can make (the console previews images chosen for upload). ``form-action`` is
    left out on purpose: paying posts a form whose answer redirects to the payment
    provider's cashier on its own host.
    Answers that are not HTML (JSON, files, media) may load nothing at all. The API's
    documentation pages run Swagger UI and ReDoc, both served from WeShop, which set styles
    inline and run ReDoc's search in a worker. ``script_sources``: other origins pages may
    load scripts from, and connect to (WeChat's JS-SDK, for pages opened in WeChat).
    """

    PAGE_POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: https:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
    API_DOCS_POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: https:; font-src 'self' data:; worker-src 'self' blob:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
    OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"
    API_DOCS_PATHS = ("/docs", "/redoc")
    HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"x-frame-options", b"DENY"),
    )

    def __init__(self, app: Any, script_sources: Sequence[str] = ()) -> None:
        self.app = app
        self.page_policy = self.PAGE_POLICY.replace(
            "script-src 'self'", " ".join(["script-src 'self'", *script_sources])
        )
        if script_sources:
            # A script from another origin may call home (wxsim's JS-SDK checks wx.config and
            # records share cards and consents at its own origin).
            self.page_policy += "; " + " ".join(["connect-src 'self'", *script_sources])

    def policy(self, path: str, headers: list[tuple[bytes, bytes]]) -> str:
        content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        if not content_type.startswith(b"text/html"):
            return self.OTHER_POLICY
        if path in self.API_DOCS_PATHS:
            return self.API_DOCS_POLICY
        return self.page_policy

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                policy = self.policy(scope["path"], headers).encode()
                message = dict(
                    message,
                    headers=[*headers, *self.HEADERS, (b"content-security-policy", policy)],
                )
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Liveness:
    """Answers ``GET /healthz`` before every other layer (host check, proxy headers, routing).

    A load balancer asks it many times a second, often with an IP address as Host, and it
    only says the process answers: it should cost what the server itself costs. The route of
    the same path documents it in the OpenAPI description.
    """

    PATH = "/healthz"
    BODY = b'{"status":"ok"}'
    HEADERS = (
        (b"content-type", b"application/json"),
        (b"content-length", str(len(BODY)).encode()),
        *SecurityHeaders.HEADERS,
        (b"content-security-policy", SecurityHeaders.OTHER_POLICY.encode()),
    )

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == self.PATH and scope["method"] == "GET":
            await send({"type": "http.response.start", "status": 200, "headers": self.HEADERS})
            await send({"type": "http.response.body", "body": self.BODY})
            return
        await self.app(scope, receive, send)
