"""Builds the WeChat Pay provider from WESHOP_WECHATPAY_* settings, reading its key files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from weshop.core.clock import utcnow
from weshop.core.config import Settings
from weshop.payments.wechatpay import crypto
from weshop.payments.wechatpay.client import MerchantCredentials, WechatPayClient
from weshop.payments.wechatpay.provider import WechatPay, WechatPayProvider, direct_or_partner
from weshop.payments.wechatpay.verifier import PlatformVerifier


class WechatPayConfigError(ValueError):
    """WESHOP_WECHATPAY_* settings that do not make a usable provider."""


def wechatpay_configured(settings: Settings) -> bool:
    return bool(settings.wechatpay_mchid)


def build_wechatpay(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> WechatPay:
    mchid = settings.wechatpay_mchid
    if not mchid:
        raise WechatPayConfigError("WESHOP_WECHATPAY_MCHID is not set")
    if not settings.wechatpay_appid:
        raise WechatPayConfigError("WESHOP_WECHATPAY_APPID is not set")
    if settings.wechatpay_private_key_path is None or not settings.wechatpay_cert_serial:
        raise WechatPayConfigError(
            "WESHOP_WECHATPAY_PRIVATE_KEY_PATH and WESHOP_WECHATPAY_CERT_SERIAL are needed"
        )
    credentials = MerchantCredentials(
        mchid=mchid,
        cert_serial=settings.wechatpay_cert_serial,
        private_key=crypto.load_private_key(settings.wechatpay_private_key_path.read_bytes()),
        apiv3_key=_apiv3_key(settings),
    )
    verifier = PlatformVerifier(_platform_keys(settings), clock=clock)
    client = WechatPayClient(
        credentials,
        verifier,
        base_url=settings.wechatpay_api_base_url,
        timeout_seconds=settings.wechatpay_timeout_seconds,
        max_attempts=settings.wechatpay_max_attempts,
        transport=transport,
        clock=clock,
    )
    merchant = direct_or_partner(settings.wechatpay_mode, mchid, settings.wechatpay_appid)
    return WechatPay(client, merchant)


def build_wechatpay_provider(
    settings: Settings,
    notify_url: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> WechatPayProvider:
    pay = build_wechatpay(settings, transport=transport, clock=clock)
    if settings.wechatpay_mode == "partner" and not settings.wechatpay_merchant_name:
        raise WechatPayConfigError(
            "WESHOP_WECHATPAY_MERCHANT_NAME (the platform's full registered name) must be set "
            "in partner mode: WeChat Pay needs it to pay the platform its fee"
        )
    return WechatPayProvider(
        pay,
        notify_url=notify_url,
        trade_type=settings.wechatpay_trade_type,
        merchant_name=settings.wechatpay_merchant_name,
    )


def _apiv3_key(settings: Settings) -> bytes:
    if settings.wechatpay_apiv3_key is not None:
        key = settings.wechatpay_apiv3_key.get_secret_value().encode()
    elif settings.wechatpay_apiv3_key_path is not None:
        key = settings.wechatpay_apiv3_key_path.read_text().strip().encode()
    else:
        raise WechatPayConfigError("WESHOP_WECHATPAY_APIV3_KEY (or _APIV3_KEY_PATH) is not set")
    try:
        return crypto.check_apiv3_key(key)
    except crypto.CryptoError as exc:
        raise WechatPayConfigError(str(exc)) from exc


def _platform_keys(settings: Settings) -> dict[str, rsa.RSAPublicKey]:
    keys: dict[str, rsa.RSAPublicKey] = {}
    if settings.wechatpay_platform_public_key_path is not None:
        key, serial = crypto.load_public_key(
            settings.wechatpay_platform_public_key_path.read_bytes()
        )
        serial = settings.wechatpay_platform_serial or serial
        if not serial:
            raise WechatPayConfigError("WESHOP_WECHATPAY_PLATFORM_SERIAL is not set")
        keys[serial] = key
    for path in settings.wechatpay_platform_cert_paths:
        key, serial = crypto.load_public_key(path.read_bytes())
        if serial is None:
            raise WechatPayConfigError(f"{path} is not a certificate")
        keys[serial] = key
    if not keys:
        raise WechatPayConfigError(
            "WeChat Pay's platform key is needed: WESHOP_WECHATPAY_PLATFORM_PUBLIC_KEY_PATH "
            "and _PLATFORM_SERIAL, or WESHOP_WECHATPAY_PLATFORM_CERT_PATHS"
        )
    return keys
