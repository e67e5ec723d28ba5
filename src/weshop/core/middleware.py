"""ASGI middleware: body size limits and security headers."""

from __future__ import annotations

import json
from typing import Any

Scope = dict[str, Any]


class BodySizeLimit:
    """Refuse a body whose declared length is over the limit, before reading it.

    A body sent in chunks declares no length and is not limited here.
    """

    def __init__(self, app: Any, *, max_json_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        limit = (
            self.max_upload_bytes if content_type.startswith("multipart/") else self.max_json_bytes
        )
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _refuse(send, limit)
            return
        await self.app(scope, receive, send)


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
    host (a store's logo may be a link). ``form-action`` is left out on purpose: paying posts a
    form whose answer redirects to the payment provider's cashier on its own host.
    Answers that are not HTML (JSON, files, media) may load nothing at all. The API's
    documentation pages run Swagger UI and ReDoc, both served from WeShop, which set styles
    inline and run ReDoc's search in a worker.
    """

    PAGE_POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https:; "
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

    def __init__(self, app: Any) -> None:
        self.app = app

    def policy(self, path: str, headers: list[tuple[bytes, bytes]]) -> str:
        content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        if not content_type.startswith(b"text/html"):
            return self.OTHER_POLICY
        if path in self.API_DOCS_PATHS:
            return self.API_DOCS_POLICY
        return self.PAGE_POLICY

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
