"""Who is asking: the client's address behind trusted proxies, and the host names WeShop serves.

The client's address (rate limits per client, the payer's IP sent to WeChat Pay) is decided
once, here, for every request: the connecting peer's, unless the peer is one of the
``trusted_proxies``, in which case the right-most address of ``X-Forwarded-For`` that is not a
trusted proxy (each proxy appends the address it saw, so what a client wrote itself is further
left and never chosen over it). ``request.client`` then holds that address. uvicorn's own
proxy-header handling is off (`weshop serve`), so this is the only place that reads the header.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.middleware.trustedhost import TrustedHostMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from weshop.core.config import Settings

# How WeShop runs uvicorn: its proxy-header handling off (install_client_checks decides the
# client's address), and no log handlers of its own (core.logging's chain handles its loggers).
SERVER_OPTIONS: dict[str, Any] = {"proxy_headers": False, "log_config": None}


def install_client_checks(app: FastAPI, settings: Settings) -> None:
    """Add last: the proxy headers must be read before anything uses the client's address."""
    if settings.allowed_hosts != ["*"]:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
