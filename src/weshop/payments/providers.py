"""Builds the configured payment providers for a runtime."""

from __future__ import annotations

from typing import Any

from weshop.core.crypto import derive_key
from weshop.payments.sandbox.client import SandboxProvider
from weshop.payments.sandbox.gateway import SandboxGateway

NOTIFY_PATH = "/api/v1/payments/notify/{provider}"


def build_payment_providers(runtime: Any) -> dict[str, Any]:
    settings = runtime.settings
    key = derive_key(settings.resolved_secret(), "weshop/sandbox-pay/notify")
    base = settings.public_base_url.rstrip("/")
    gateway = SandboxGateway.for_data_dir(
        settings.data_dir, key, base + NOTIFY_PATH.format(provider="sandbox")
    )
    return {
        "sandbox_gateway": gateway,
        "payment_providers": {"sandbox": SandboxProvider(gateway, key, base)},
    }
