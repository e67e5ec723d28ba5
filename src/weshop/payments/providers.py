"""Builds the configured payment providers for a runtime."""

from __future__ import annotations

from typing import Any

from weshop.core.crypto import derive_key
from weshop.payments.sandbox.client import SandboxProvider
from weshop.payments.sandbox.gateway import SandboxGateway
from weshop.payments.wechatpay.setup import build_wechatpay_provider, wechatpay_configured

NOTIFY_PATH = "/api/v1/payments/notify/{provider}"


def build_payment_providers(runtime: Any) -> dict[str, Any]:
    settings = runtime.settings
    key = derive_key(settings.resolved_secret(), "weshop/sandbox-pay/notify")
    base = settings.public_base_url.rstrip("/")
    gateway = SandboxGateway.for_data_dir(
        settings.data_dir, key, base + NOTIFY_PATH.format(provider="sandbox")
    )
    providers: dict[str, Any] = {"sandbox": SandboxProvider(gateway, key, base)}
    if wechatpay_configured(settings):
        providers["wechatpay"] = build_wechatpay_provider(
            settings, base + NOTIFY_PATH.format(provider="wechatpay")
        )
    return {"sandbox_gateway": gateway, "payment_providers": providers}
