"""`weshop check-deploy`: every unsafe setting is named, a careful installation passes, and
WeChat Pay's direct mode with several selling stores is an error."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from weshop import cli
from weshop.core.config import Settings

STRONG_SECRET = "k8Jq2vX9pL4mN7rT1wY6zB3cF5hD0gS8aE2uI9oP"


def careful_env(database_url: str, data_dir: Path) -> dict[str, str | None]:
    """What a careful operator sets (WeChat Pay in partner mode), on the given database."""
    return {
        "WESHOP_DATABASE_URL": database_url,
        "WESHOP_DATA_DIR": str(data_dir),
        "WESHOP_SECRET_KEY": STRONG_SECRET,
        "WESHOP_PUBLIC_BASE_URL": "https://shop.example.com",
        "WESHOP_ALLOWED_HOSTS": '["shop.example.com"]',
        "WESHOP_TRUSTED_PROXIES": '["10.0.0.1"]',
        "WESHOP_OTP_SENDER": "weshop.accounts.senders:LogCodeSender",
        "WESHOP_REDIS_URL": "redis://127.0.0.1:6379/0",
        "WESHOP_WECHATPAY_MCHID": "1900000001",
        "WESHOP_WECHATPAY_MODE": "partner",
        "WESHOP_SANDBOX_PAYMENTS": None,
        "WESHOP_DEMO_MODE": None,
        "WESHOP_LOG_LEVEL": None,
        "WESHOP_DEFAULT_PAYMENT_PROVIDER": None,
    }


async def check_deploy(env: dict[str, str | None], *args: str) -> Result:
    # In a thread: the command calls asyncio.run, which cannot nest in the test's loop.
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, cli.app, ["check-deploy", *args], env=env)


async def test_a_careful_installation_has_no_error(tmp_path: Path) -> None:
    env = careful_env(f"sqlite+aiosqlite:///{tmp_path}/weshop.db", tmp_path)
    result = await check_deploy(env, "--no-database")
    assert result.exit_code == 0, result.output
    assert "ERROR" not in result.output
    # SQLite is still the one thing to look at; at the warning level it fails.
    assert "WARNING database.sqlite" in result.output
    strict = await check_deploy(env, "--no-database", "--fail-level", "warning")
    assert strict.exit_code == 1, strict.output
    assert STRONG_SECRET not in result.output + strict.output


@pytest.mark.parametrize(
    ("variable", "value", "finding"),
    [
        ("WESHOP_SANDBOX_PAYMENTS", "true", "ERROR payments.sandbox"),
        ("WESHOP_DEMO_MODE", "true", "ERROR demo_mode"),
        ("WESHOP_SECRET_KEY", "test-secret-not-for-production", "ERROR secret_key.weak"),
        ("WESHOP_SECRET_KEY", "short-and-guessable", "ERROR secret_key.weak"),
        ("WESHOP_SECRET_KEY", None, "WARNING secret_key.generated"),
        ("WESHOP_WECHATPAY_MCHID", None, "ERROR payments.none"),
        ("WESHOP_WECHATPAY_API_BASE_URL", "http://127.0.0.1:8100", "WARNING payments.wechatpay"),
        ("WESHOP_LOG_LEVEL", "DEBUG", "WARNING log_level.debug"),
        ("WESHOP_ALLOWED_HOSTS", '["*"]', "WARNING allowed_hosts.any"),
        ("WESHOP_TRUSTED_PROXIES", "[]", "WARNING trusted_proxies.none"),
        ("WESHOP_PUBLIC_BASE_URL", "http://shop.example.com", "WARNING public_base_url.http"),
        ("WESHOP_OTP_SENDER", "log", "WARNING otp_sender.log"),
        ("WESHOP_REDIS_URL", None, "WARNING redis.unset"),
    ],
)
async def test_each_unsafe_setting_is_named(
    tmp_path: Path, variable: str, value: str | None, finding: str
) -> None:
    env = careful_env(f"sqlite+aiosqlite:///{tmp_path}/weshop.db", tmp_path)
    env[variable] = value
    result = await check_deploy(env, "--no-database")
    assert finding in result.output, result.output
    is_error = finding.startswith("ERROR")
    assert result.exit_code == (1 if is_error else 0), result.output
    warned = await check_deploy(env, "--no-database", "--fail-level", "warning")
    assert warned.exit_code == 1, warned.output


async def test_direct_mode_with_two_selling_stores_is_an_error(
    api, settings: Settings, tmp_path: Path
) -> None:
    env = careful_env(settings.database_url, settings.data_dir)
    # The suite's key: the personal-data cipher is process-wide and the suite's rows use it.
    env["WESHOP_SECRET_KEY"] = settings.secret_key.get_secret_value()
    env["WESHOP_WECHATPAY_MODE"] = "direct"
    operator = await api.operator()
    await api.create_store(operator, "一号店")
    alone = await check_deploy(env)
    assert "payments.direct_mode_stores" not in alone.output, alone.output

    await api.create_store(operator, "二号店")
    result = await check_deploy(env)
    assert result.exit_code == 1, result.output
    assert "ERROR payments.direct_mode_stores" in result.output
    assert "二清" in result.output

    env["WESHOP_WECHATPAY_MODE"] = "partner"
    partner = await check_deploy(env)
    assert "payments.direct_mode_stores" not in partner.output, partner.output
