"""Settings, read from ``WESHOP_*`` environment variables (and an optional ``.env``)."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WESHOP_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///var/weshop.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    redis_url: str | None = Field(
        default=None, description="Optional Redis for rate limits and hot stock."
    )
    data_dir: Path = Field(default=Path("var"), description="Local data: media, secret key.")
    secret_key: str | None = Field(
        default=None,
        description="Master secret; personal-data and signing keys are derived from it. "
        "When unset, one is generated once into <data_dir>/secret.key.",
    )
    public_base_url: str = "http://127.0.0.1:8000"
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
    otp_per_phone_per_day: int = 10
    otp_per_client_per_hour: int = 30
    session_ttl_days: int = 30
    default_payment_window_minutes: int = 30
    default_auto_confirm_days: int = 10
    max_upload_bytes: int = 5 * 1024 * 1024
    log_level: str = "INFO"
    log_json: bool = False

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolved_secret(self) -> bytes:
        """The master secret; generated once into the data dir on the embedded default."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()


@lru_cache
def get_settings() -> Settings:
    return Settings()
