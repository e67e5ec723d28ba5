"""``weshop paysim``: first run makes the keys and prints settings that really work; a
restarted simulator keeps its orders (its state is a SQLite file)."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from tests.paysim.fixtures import NOTIFY_URL
from weshop import cli
from weshop.core.config import Settings
from weshop.payments.wechatpay.setup import build_wechatpay, build_wechatpay_provider
from weshop.payments.wechatpay.transactions import TradeType
from weshop.paysim.app import create_app, open_simulator
from weshop.paysim.identity import StateFiles

OPTIONS = ("--host", "--port", "--state-dir", "--state-file", "--platform-key", "--merchant-cert")


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Stands in for uvicorn: records the app instead of serving it."""
    apps: list[Any] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **_: apps.append(app))
    return apps


def test_help_explains_the_command() -> None:
    result = CliRunner().invoke(cli.app, ["paysim", "--help"])
    assert result.exit_code == 0, result.output
    assert "simulator of the WeChat Pay APIv3" in result.output
    for option in OPTIONS:
        assert option in result.output
    assert "paysim" in CliRunner().invoke(cli.app, ["--help"]).output


def printed_settings(output: str) -> dict[str, str]:
    settings: dict[str, str] = {}
    for line in output.splitlines():
        name, _, value = line.strip().partition("=")
        if name.startswith("WESHOP_WECHATPAY_") and name not in settings:
            settings[name] = value
    return settings


async def test_first_run_makes_keys_and_prints_working_settings(tmp_path: Path, served) -> None:
    state = tmp_path / "paysim"
    result = CliRunner().invoke(cli.app, ["paysim", "--state-dir", str(state), "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "made just now" in result.output
    assert "http://127.0.0.1:8123" in result.output
    for secret in ("platform_key.pem", "apiclient_key.pem", "apiv3.key"):
        assert stat.S_IMODE((state / secret).stat().st_mode) == 0o600
    assert len(served) == 1
    env = printed_settings(result.output)
    assert env["WESHOP_WECHATPAY_MCHID"] == "1900000109"
    assert "BEGIN" not in result.output  # paths are printed, never key material

    again = CliRunner().invoke(cli.app, ["paysim", "--state-dir", str(state)])
    assert "found" in again.output
    assert (
        printed_settings(again.output)["WESHOP_WECHATPAY_CERT_SERIAL"]
        == env["WESHOP_WECHATPAY_CERT_SERIAL"]
    )

    # The printed settings make a working WeShop provider against that very simulator.
    settings = Settings(
        **{name.removeprefix("WESHOP_").lower(): value for name, value in env.items()},
        wechatpay_trade_type="native",
    )
    transport = httpx.ASGITransport(app=served[0])
    provider = build_wechatpay_provider(settings, NOTIFY_URL, transport=transport)
    created = await provider.create_payment(
        out_trade_no="CLI000000001",
        amount_fen=100,
        description="from the printed settings",
        expires_at=datetime.now(UTC) + timedelta(minutes=30),
    )
    assert created.cashier_url.startswith("weixin://wxpay/bizpayurl?pr=")


async def test_a_restarted_simulator_keeps_its_orders(tmp_path: Path) -> None:
    files = StateFiles.in_directory(tmp_path)
    database = tmp_path / "paysim.db"
    sim, created = open_simulator(files, database, base_url="http://paysim.test")
    assert created
    settings = Settings(
        wechatpay_mchid="1900000109",
        wechatpay_appid="wxd678efh567hg6787",
        wechatpay_private_key_path=tmp_path / "apiclient_key.pem",
        wechatpay_cert_serial=sim.merchant("1900000109")["serial_no"],
        wechatpay_apiv3_key_path=tmp_path / "apiv3.key",
        wechatpay_platform_cert_paths=[tmp_path / "platform_cert.pem"],
        wechatpay_api_base_url="http://paysim.test",
    )
    pay = build_wechatpay(settings, transport=httpx.ASGITransport(app=create_app(sim)))
    await pay.transactions.create(
        TradeType.NATIVE, out_trade_no="KEEPME000001", description="x", total_fen=42,
        notify_url=NOTIFY_URL,
    )  # fmt: skip
    sim.store.close()

    restarted, created_again = open_simulator(files, database, base_url="http://paysim.test")
    assert not created_again
    pay = build_wechatpay(settings, transport=httpx.ASGITransport(app=create_app(restarted)))
    queried = await pay.transactions.query("KEEPME000001")
    assert (queried["trade_state"], queried["amount"]["total"]) == ("NOTPAY", 42)
    restarted.store.close()
