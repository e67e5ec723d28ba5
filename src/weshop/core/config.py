"""Settings, read from ``WESHOP_*`` environment variables (and an optional ``.env``)."""

from __future__ import annotations

import ipaddress
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class WechatStoreApp(BaseModel):
    """A store's own official account or mini-program (partner mode: its shoppers' openids
    are sub_openids of the store's sub-merchant)."""

    store_id: int = Field(ge=1)
    kind: Literal["official", "miniprogram"]
    appid: str = Field(min_length=1, max_length=32)
    secret: SecretStr


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WESHOP_", env_file=".env", extra="ignore")

    # The URLs may carry a password: left out of the settings' repr, and their passwords are
    # among secret_values(), which the log redacts wherever they appear.
    database_url: str = Field(
        default="sqlite+aiosqlite:///var/weshop.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
        repr=False,
    )
    redis_url: str | None = Field(
        default=None, description="Optional Redis for rate limits and hot stock.", repr=False
    )
    data_dir: Path = Field(default=Path("var"), description="Local data: media, secret key.")
    secret_key: SecretStr | None = Field(
        default=None,
        description="Master secret; personal-data and signing keys are derived from it. "
        "When unset, one is generated once into <data_dir>/secret.key.",
    )
    public_base_url: str = "http://127.0.0.1:8000"
    poster_font_path: Path = Field(
        default=Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
        description="A CJK font for promoters' posters (Debian: fonts-wqy-microhei); when "
        "missing, posters fall back to Pillow's own font, without Chinese glyphs.",
    )
    demo_mode: bool = Field(
        default=False, description="Return sign-in codes in API answers (demo and tests only)."
    )
    run_worker_in_process: bool = Field(
        default=True, description="Run the outbox/deadline worker inside `weshop serve`."
    )
    worker_poll_seconds: float = 1.0
    otp_sender: str = Field(
        default="log",
        description="Where sign-in codes go: 'log', or 'module:callable' for your own sender.",
    )
    otp_ttl_seconds: int = 300
    otp_max_attempts: int = 5
    otp_per_phone_per_minute: int = 1
    otp_resend_seconds: int = Field(
        default=60,
        ge=0,
        description="The wait between two codes for one phone (the page counts it down).",
    )
    otp_per_phone_per_day: int = 10
    otp_per_client_per_hour: int = 30
    password_max_failures: int = Field(
        default=5,
        ge=1,
        description="Wrong passwords for one phone number before its password sign-in locks.",
    )
    password_lock_seconds: int = Field(
        default=60, ge=1, description="The first lock; each further lock lasts twice as long."
    )
    password_max_lock_seconds: int = Field(default=3600, ge=1, description="The longest lock.")
    password_client_max_failures: int = Field(
        default=20,
        ge=1,
        description="Wrong passwords from one client address, whatever the phone numbers, "
        "before that address is locked (same backoff).",
    )
    password_forget_after_seconds: int = Field(
        default=86400,
        ge=1,
        description="Failures and past locks are forgotten after this long without an attempt.",
    )
    session_ttl_days: int = 30
    default_payment_window_minutes: int = 30
    default_auto_confirm_days: int = 10
    max_upload_bytes: int = 5 * 1024 * 1024
    # A product's detail video (MP4); the multipart body limit is the larger of the two.
    max_video_bytes: int = 20 * 1024 * 1024
    log_level: str = "INFO"
    access_log: bool = Field(
        default=False,
        description="Log every request (uvicorn's access log). Off by default: under load a log "
        "line per request costs more than most requests; a reverse proxy logs them anyway.",
    )
    response_cache_seconds: float = Field(
        default=10,
        ge=0,
        description="Storefront pages are served again, without SQL or rendering, while nothing "
        "they read in the database has changed (a change shows on the next request, from any "
        "process sharing data_dir) and for at most this many seconds, which bounds what only "
        "the clock changes (a promotion starting). 0 turns the page cache off; turn it off when "
        "processes on several hosts share one database.",
    )
    record_visits: bool = Field(
        default=True,
        description="Count views of the shop's store and product pages (visitors, page views, "
        "browsing history) in memory and write them in batches every few seconds.",
    )
    response_cache_entries: int = Field(
        default=2000, ge=1, description="Rendered pages each process keeps, least recent dropped."
    )
    database_pool_size: int = Field(
        default=20, ge=1, description="Database connections each process keeps open."
    )
    database_max_overflow: int = Field(
        default=20, ge=0, description="Connections a process may open beyond the pool at a peak."
    )
    database_pool_recycle_seconds: int = Field(
        default=1800,
        ge=1,
        description="A pooled connection older than this is replaced before use, instead of "
        "being pinged on every checkout (PostgreSQL).",
    )
    log_json: bool = False
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses (IPs or CIDR networks, as a JSON list) of the reverse proxies in "
        "front of WeShop; only from these is X-Forwarded-For believed. Empty: trust none.",
    )
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Host names WeShop answers to (JSON list; '*.example.com' allowed); any "
        "other Host header gets 400. ['*'] accepts any host.",
    )

    sandbox_payments: bool = Field(
        default=False,
        description="Enables the sandbox payment provider and its cashier (/sandbox-pay), "
        "for demos and tests only: it pays without money.",
    )
    default_payment_provider: Literal["sandbox", "wechatpay"] | None = Field(
        default=None,
        description="The provider a payment uses when none is named (the storefront's); "
        "unset: the one configured provider. It must name a configured provider.",
    )

    # WeChat Pay APIv3. The provider is registered only when wechatpay_mchid is set; the
    # sandbox only when sandbox_payments is. `weshop paysim` prints values for these.
    wechatpay_mode: Literal["direct", "partner"] = Field(
        default="direct",
        description="'direct' (a merchant of its own) or 'partner' (a platform paying each "
        "store's sub-merchant, orders made with profit sharing).",
    )
    wechatpay_mchid: str | None = Field(
        default=None,
        description="The merchant number that signs requests: the direct merchant's mchid, or "
        "the platform's sp_mchid in partner mode.",
    )
    wechatpay_appid: str = Field(
        default="", description="The appid bound to that merchant (sp_appid in partner mode)."
    )
    wechatpay_private_key_path: Path | None = Field(
        default=None, description="The merchant API private key (apiclient_key.pem)."
    )
    wechatpay_cert_serial: str = Field(
        default="", description="The serial number of the merchant API certificate."
    )
    wechatpay_apiv3_key: SecretStr | None = Field(
        default=None, description="The 32-character APIv3 key (or use wechatpay_apiv3_key_path)."
    )
    wechatpay_apiv3_key_path: Path | None = Field(
        default=None, description="A file holding the APIv3 key."
    )
    wechatpay_platform_public_key_path: Path | None = Field(
        default=None,
        description="WeChat Pay's public key (PEM) that signs answers and callbacks; its ID "
        "goes in wechatpay_platform_serial.",
    )
    wechatpay_platform_serial: str = Field(
        default="", description="The ID (serial) of that public key, as in Wechatpay-Serial."
    )
    wechatpay_platform_cert_paths: list[Path] = Field(
        default_factory=list,
        description="WeChat Pay platform certificates (PEM files, as a JSON list), instead of "
        "or besides the public key; their serials are read from them.",
    )
    wechatpay_merchant_name: str = Field(
        default="",
        description="The platform's full registered merchant name (商户全称): WeChat Pay needs "
        "it, encrypted, to add the platform as the receiver of its fee (partner mode).",
    )
    wechatpay_api_base_url: str = Field(
        default="https://api.mch.weixin.qq.com",
        description="Where the APIv3 lives; the local simulator's URL in a demo or tests.",
    )
    wechatpay_trade_type: Literal["h5", "native"] = Field(
        default="h5",
        description="How shoppers pay: 'h5' (a payment page, needs the payer's IP) or "
        "'native' (a code_url to show as a QR code).",
    )
    wechatpay_timeout_seconds: float = 10.0
    wechatpay_max_attempts: int = Field(
        default=3, ge=1, description="Tries per call on network errors and 5xx answers."
    )

    # Parcel tracking through Kuaidi100 (快递100): on when kuaidi100_key is set. The carrier
    # simulator (`weshop carriersim`) speaks the same protocol for demos and tests.
    kuaidi100_customer: str = Field(
        default="", description="Kuaidi100's customer id, which signs real-time queries."
    )
    kuaidi100_key: SecretStr | None = Field(
        default=None,
        description="Kuaidi100's authorisation key; set, shipped parcels are followed "
        "(subscription, signed pushes, query fallback). Unset: parcels are not tracked.",
    )
    kuaidi100_api_base_url: str = Field(
        default="https://poll.kuaidi100.com",
        description="Where Kuaidi100's API lives; the carrier simulator's URL in a demo or tests.",
    )
    kuaidi100_timeout_seconds: float = Field(default=10.0, gt=0)
    parcel_recheck_hours: float = Field(
        default=6,
        gt=0,
        description="A followed parcel not heard of for this long is queried at its carrier.",
    )

    # WeChat platform APIs (公众号 and mini-program): sign-in, JS-SDK, codes, messages. An app
    # exists only when its appid is set. `weshop wxsim` prints values for these.
    wechat_api_base_url: str = Field(
        default="https://api.weixin.qq.com",
        description="Where WeChat's server APIs live (tokens, OAuth, jscode2session, messages, "
        "codes); wxsim's URL in a demo or tests.",
    )
    wechat_open_base_url: str = Field(
        default="https://open.weixin.qq.com",
        description="Where WeChat's OAuth authorise page lives; wxsim's URL offline.",
    )
    wechat_jssdk_script_url: str = Field(
        default="https://res.wx.qq.com/open/js/jweixin-1.6.0.js",
        description="The JS-SDK script that pages opened in WeChat load; wxsim serves one offline.",
    )
    wechat_official_appid: str = Field(
        default="",
        description="The platform's official account (公众号): pages opened in WeChat sign in "
        "through its web authorisation and pay by JSAPI under it.",
    )
    wechat_official_secret: SecretStr | None = Field(
        default=None, description="The official account's AppSecret."
    )
    wechat_miniprogram_appid: str = Field(
        default="", description="The platform's mini-program (小程序)."
    )
    wechat_miniprogram_secret: SecretStr | None = Field(
        default=None, description="The mini-program's AppSecret."
    )
    wechat_store_apps: list[WechatStoreApp] = Field(
        default_factory=list,
        description="Stores' own apps, as a JSON list of {store_id, kind: official|miniprogram, "
        "appid, secret}: their shoppers pay the store's sub-merchant as sub_openid (partner "
        "mode).",
    )
    wechat_subscribe_templates: dict[str, str] = Field(
        default_factory=dict,
        description="Subscription-message template ids by app kind and event (JSON keys "
        "like 'miniprogram.order_shipped' or 'official.order_shipped'; events: order_paid, "
        "order_shipped, order_delivered, refund_succeeded, group_completed, group_failed, "
        "bargain_floor_reached); an event without one sends nothing.",
    )
    wechat_staff_templates: dict[str, str] = Field(
        default_factory=dict,
        description="Official-account template-message ids for staff by event (JSON: "
        "new_order, aftersales_requested, low_stock); an event without one sends nothing.",
    )
    wechat_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Timeout of each call to WeChat's APIs."
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, proxies: list[str]) -> list[str]:
        """Each an IP address or a network, written the way the proxy-header middleware reads."""
        normalized = []
        for proxy in proxies:
            try:
                if "/" in proxy:
                    normalized.append(str(ipaddress.ip_network(proxy.strip(), strict=False)))
                else:
                    normalized.append(str(ipaddress.ip_address(proxy.strip())))
            except ValueError:
                raise ValueError(f"{proxy!r} is not an IP address or CIDR network") from None
        return normalized

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolved_secret(self) -> bytes:
        """The master secret; generated once into the data dir on the embedded default."""
        if self.secret_key:
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()

    def secret_values(self) -> list[str]:
        """Every secret these settings hold, as text: the log redacts each wherever it appears."""
        found: list[str] = []
        key_file = self.data_dir / "secret.key"
        if self.secret_key:
            found.append(self.secret_key.get_secret_value())
        elif key_file.exists():
            found.append(key_file.read_text().strip())
        if self.wechatpay_apiv3_key:
            found.append(self.wechatpay_apiv3_key.get_secret_value())
        if self.kuaidi100_key:
            found.append(self.kuaidi100_key.get_secret_value())
        for wechat_secret in (self.wechat_official_secret, self.wechat_miniprogram_secret):
            if wechat_secret:
                found.append(wechat_secret.get_secret_value())
        found += [app.secret.get_secret_value() for app in self.wechat_store_apps]
        if self.wechatpay_apiv3_key_path and self.wechatpay_apiv3_key_path.exists():
            found.append(self.wechatpay_apiv3_key_path.read_text().strip())
        for url in (self.database_url, self.redis_url):
            password = urlsplit(url).password if url else None
            if password:
                # As written in the URL (percent-encoded) and as the driver sees it.
                found += [password, unquote(password)]
        return found


@lru_cache
def get_settings() -> Settings:
    return Settings()
