"""`weshop check-deploy`: the settings and state that make an installation unsafe to sell on.

Like Django's ``check --deploy``: each finding has a stable id, a level and one sentence that
says what to set. Errors are what must never reach shoppers (money that does not move, codes
in the API, pooled merchant funds); warnings are what an operator should look at.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from urllib.parse import urlsplit

from weshop.core.config import Settings
from weshop.core.db import Database
from weshop.payments.sub_merchants import direct_mode_problem
from weshop.payments.wechatpay.setup import wechatpay_configured

MIN_SECRET_LENGTH = 32
# Values that appear in this repository's tests and docs: known to everyone, so never secret.
KNOWN_SECRETS = frozenset({"test-secret-not-for-production", "change-me", "secret"})
OFFICIAL_WECHATPAY_API = "https://api.mch.weixin.qq.com"


class Level(IntEnum):
    WARNING = 1
    ERROR = 2


@dataclass(frozen=True)
class Finding:
    id: str
    level: Level
    message: str

    def line(self) -> str:
        return f"{self.level.name} {self.id}: {self.message}"


def check_settings(settings: Settings) -> list[Finding]:
    """Findings that the settings alone show."""
    findings: list[Finding] = []

    def add(id_: str, level: Level, message: str) -> None:
        findings.append(Finding(id_, level, message))

    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    if secret is None:
        add(
            "secret_key.generated",
            Level.WARNING,
            "WESHOP_SECRET_KEY is not set: a key was generated into the data directory; set "
            "one key for every process, keep it safe and never change it",
        )
    elif secret in KNOWN_SECRETS or len(secret) < MIN_SECRET_LENGTH:
        add(
            "secret_key.weak",
            Level.ERROR,
            f"WESHOP_SECRET_KEY is a known or short value: use {MIN_SECRET_LENGTH}+ random "
            "characters",
        )
    if settings.sandbox_payments:
        add(
            "payments.sandbox",
            Level.ERROR,
            "WESHOP_SANDBOX_PAYMENTS is on: its cashier marks orders paid without money; "
            "for demos and tests only",
        )
    if not (wechatpay_configured(settings) or settings.sandbox_payments):
        add(
            "payments.none",
            Level.ERROR,
            "no payment provider is configured: set the WESHOP_WECHATPAY_* settings",
        )
    elif (
        settings.wechatpay_mchid
        and settings.wechatpay_api_base_url.rstrip("/") != OFFICIAL_WECHATPAY_API
    ):
        add(
            "payments.wechatpay_base_url",
            Level.WARNING,
            f"WESHOP_WECHATPAY_API_BASE_URL is {settings.wechatpay_api_base_url}, not WeChat "
            "Pay's own API (a simulator?)",
        )
    if settings.demo_mode:
        add(
            "demo_mode",
            Level.ERROR,
            "WESHOP_DEMO_MODE is on: sign-in codes are returned in API answers",
        )
    if settings.otp_sender == "log":
        add(
            "otp_sender.log",
            Level.WARNING,
            "WESHOP_OTP_SENDER is 'log': sign-in codes go to the log, not to phones; plug in "
            "an SMS sender",
        )
    if settings.log_level.upper() == "DEBUG":
        add("log_level.debug", Level.WARNING, "WESHOP_LOG_LEVEL is DEBUG: use INFO or above")
    if settings.is_sqlite:
        add(
            "database.sqlite",
            Level.WARNING,
            "the database is SQLite (the embedded default): use PostgreSQL for production",
        )
    if not settings.redis_url:
        add(
            "redis.unset",
            Level.WARNING,
            "WESHOP_REDIS_URL is not set: rate limits are counted in the database",
        )
    if urlsplit(settings.public_base_url).scheme != "https":
        add(
            "public_base_url.http",
            Level.WARNING,
            f"WESHOP_PUBLIC_BASE_URL is {settings.public_base_url}: shoppers and the payment "
            "provider should reach WeShop over https",
        )
    if "*" in settings.allowed_hosts:
        add(
            "allowed_hosts.any",
            Level.WARNING,
            "WESHOP_ALLOWED_HOSTS allows any Host header: list the host names WeShop serves",
        )
    if not settings.trusted_proxies:
        add(
            "trusted_proxies.none",
            Level.WARNING,
            "WESHOP_TRUSTED_PROXIES is empty: X-Forwarded-For is ignored, so behind a proxy "
            "every shopper looks like the proxy to rate limits and payer IPs",
        )
    return findings


async def check_database(settings: Settings) -> list[Finding]:
    """Findings that need the database: WeChat Pay's direct mode with several selling stores."""
    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            problem = await direct_mode_problem(session, settings)
    finally:
        await db.dispose()
    if problem is None:
        return []
    return [Finding("payments.direct_mode_stores", Level.ERROR, problem)]
