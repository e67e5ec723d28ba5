"""The installation's payment providers: the one place that decides which exist.

A provider exists only when the installation chooses it: WeChat Pay when
``WESHOP_WECHATPAY_MCHID`` is set, the sandbox (a provider that pays without money, with its
cashier under ``/sandbox-pay``) only when ``WESHOP_SANDBOX_PAYMENTS`` is true — demos and
tests. Without the sandbox there is no sandbox provider, no ``/sandbox-pay`` route, no
gateway and no delivery loop; a request naming it is refused like any unknown provider.
"""

from __future__ import annotations

from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter

from weshop.core.config import Settings
from weshop.core.crypto import derive_key
from weshop.core.errors import NotFound
from weshop.payments.provider import PaymentProvider
from weshop.payments.sandbox import web as sandbox_web
from weshop.payments.sandbox.client import SandboxProvider
from weshop.payments.sandbox.gateway import SandboxGateway
from weshop.payments.wechatpay.setup import build_wechatpay_provider, wechatpay_configured

NOTIFY_PATH = "/api/v1/payments/notify/{provider}"
SANDBOX = "sandbox"
PROVIDER_UNAVAILABLE = "payment_provider_unavailable"


class PaymentSetupError(ValueError):
    """Payment settings that cannot make a working installation (refused at start-up)."""


@dataclass
class PaymentSetup:
    """The configured providers by name, the default one, and the sandbox's gateway when the
    sandbox is enabled (None otherwise)."""

    providers: dict[str, PaymentProvider]
    default_name: str | None
    sandbox: SandboxGateway | None

    def components(self) -> dict[str, Any]:
        """What the runtime shares: this setup, the providers by name, and the sandbox's
        gateway only when the sandbox is enabled."""
        shared: dict[str, Any] = {"payments": self, "payment_providers": self.providers}
        if self.sandbox is not None:
            shared["sandbox_gateway"] = self.sandbox
        return shared

    def provider(self, name: str | None = None) -> PaymentProvider:
        """The provider named (the default when None); a name not configured here is refused
        with 404 ``payment_provider_unavailable``, whatever provider it names."""
        chosen = self.default_name if name is None else name
        if chosen is None or chosen not in self.providers:
            raise NotFound(
                f"no payment provider named {chosen!r} is configured"
                if chosen
                else "no payment provider is configured",
                code=PROVIDER_UNAVAILABLE,
            )
        return self.providers[chosen]

    def routers(self) -> list[APIRouter]:
        """The routes the providers serve themselves: the sandbox's cashier, when enabled."""
        return [] if self.sandbox is None else [sandbox_web.router]

    def attach(self, app: Any) -> None:
        if self.sandbox is not None:
            self.sandbox.attach(app)

    def background(self, stop: Any) -> list[Coroutine[Any, Any, None]]:
        """Loops to run beside the worker: the sandbox's callback deliveries, when enabled."""
        return [] if self.sandbox is None else [self.sandbox.run_deliveries(stop)]

    async def deliver_due(self, now: datetime | None = None) -> int:
        """Send the sandbox's due callbacks now; how many were acknowledged."""
        return 0 if self.sandbox is None else await self.sandbox.deliver_due(now)

    async def reset(self) -> None:
        """Forget the sandbox's records (tests, ``weshop demo --fresh``)."""
        if self.sandbox is not None:
            await self.sandbox.reset()

    async def close(self) -> None:
        if self.sandbox is not None:
            await self.sandbox.close_connections()


def build_payment_setup(settings: Settings) -> PaymentSetup:
    """The providers the settings choose; raises PaymentSetupError (or WechatPayConfigError)
    when they cannot work, so that a misconfigured installation does not start."""
    base = settings.public_base_url.rstrip("/")
    providers: dict[str, PaymentProvider] = {}
    gateway = None
    if settings.sandbox_payments:
        key = derive_key(settings.resolved_secret(), "weshop/sandbox-pay/notify")
        gateway = SandboxGateway.for_data_dir(
            settings.data_dir, key, base + NOTIFY_PATH.format(provider=SANDBOX)
        )
        providers[SANDBOX] = SandboxProvider(gateway, key, base)
    if wechatpay_configured(settings):
        providers["wechatpay"] = build_wechatpay_provider(
            settings, base + NOTIFY_PATH.format(provider="wechatpay")
        )
    return PaymentSetup(providers, _default_name(settings, providers), gateway)


def _default_name(settings: Settings, providers: dict[str, PaymentProvider]) -> str | None:
    named = settings.default_payment_provider
    if named is not None:
        if named not in providers:
            enable = (
                "WESHOP_SANDBOX_PAYMENTS=true"
                if named == SANDBOX
                else "WESHOP_WECHATPAY_MCHID and its companions"
            )
            raise PaymentSetupError(
                f"WESHOP_DEFAULT_PAYMENT_PROVIDER names {named!r}, which is not configured "
                f"(configured: {', '.join(sorted(providers)) or 'none'}); set {enable}, or "
                "name a configured provider"
            )
        return named
    if len(providers) > 1:
        raise PaymentSetupError(
            f"several payment providers are configured ({', '.join(sorted(providers))}): "
            "set WESHOP_DEFAULT_PAYMENT_PROVIDER to the one payments use by default"
        )
    return next(iter(providers), None)


def payment_setup(runtime: Any) -> PaymentSetup:
    return runtime.components["payments"]
