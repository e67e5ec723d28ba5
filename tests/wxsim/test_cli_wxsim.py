"""``weshop wxsim``: its help, and the settings it prints point WeShop at it."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from weshop import cli
from weshop.core.config import Settings
from weshop.paysim.identity import PLATFORM_APPID
from weshop.wxsim.apps import PLATFORM_MINIPROGRAM_APPID, STORE_MINIPROGRAM_APPID
from weshop.wxsim.launch import weshop_settings


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    """Stands in for uvicorn: records the app instead of serving it."""
    apps: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **options: apps.append((app, options)))
    return apps


def printed_settings(output: str) -> dict[str, str]:
    settings = {}
    for line in output.splitlines():
        name, _, value = line.strip().partition("=")
        if name.startswith("WESHOP_WECHAT_"):
            settings[name] = value.split("  ")[0].strip("'")
    return settings


def test_help_explains_the_command() -> None:
    result = CliRunner().invoke(cli.app, ["wxsim", "--help"])
    assert result.exit_code == 0, result.output
    assert "simulator of the WeChat platform APIs" in result.output
    for option in (
        "--host",
        "--port",
        "--public-url",
        "--paysim-url",
        "--token-ttl-seconds",
        "--seed",
    ):
        assert option in result.output


def test_prints_settings_that_weshop_reads_and_serves_the_simulator(
    served, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = CliRunner().invoke(
        cli.app, ["wxsim", "--port", "8399", "--token-ttl-seconds", "600", "--seed", "s-1"]
    )
    assert result.exit_code == 0, result.output
    [(app, options)] = served
    assert options["port"] == 8399
    sim = app.state.wxsim
    assert sim.credentials.ttl.total_seconds() == 600
    printed = printed_settings(result.output)
    assert printed["WESHOP_WECHAT_API_BASE_URL"] == "http://127.0.0.1:8399"
    assert printed["WESHOP_WECHAT_OFFICIAL_APPID"] == PLATFORM_APPID
    assert printed["WESHOP_WECHAT_OFFICIAL_SECRET"] == sim.apps[PLATFORM_APPID].secret
    assert printed["WESHOP_WECHAT_MINIPROGRAM_APPID"] == PLATFORM_MINIPROGRAM_APPID
    assert "陈静" in result.output and "does not follow" in result.output

    # Every printed setting is one WeShop reads, with the values wxsim runs with.
    for name, value in printed.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.wechat_open_base_url == "http://127.0.0.1:8399"
    assert settings.wechat_jssdk_script_url == "http://127.0.0.1:8399/open/js/jweixin-1.6.0.js"
    assert settings.wechat_miniprogram_secret is not None
    assert (
        settings.wechat_miniprogram_secret.get_secret_value()
        == sim.apps[PLATFORM_MINIPROGRAM_APPID].secret
    )
    assert (
        settings.wechat_subscribe_templates["miniprogram.order_shipped"]
        == (sim.subscribe_templates(PLATFORM_MINIPROGRAM_APPID)["order_shipped"])
    )
    assert (
        settings.wechat_subscribe_templates["official.order_paid"]
        == (sim.subscribe_templates(PLATFORM_APPID)["order_paid"])
    )
    assert settings.wechat_staff_templates == sim.staff_templates(PLATFORM_APPID)
    [store_app] = settings.wechat_store_apps
    assert store_app.appid == STORE_MINIPROGRAM_APPID and store_app.kind == "miniprogram"
    assert store_app.secret.get_secret_value() == sim.apps[STORE_MINIPROGRAM_APPID].secret

    # The same settings, for a demo or a test to apply to its own.
    applied = Settings(secret_key="s").model_copy(update=weshop_settings(sim, store_id=7))
    assert applied.wechat_subscribe_templates == settings.wechat_subscribe_templates
    assert applied.wechat_official_secret.get_secret_value() == sim.apps[PLATFORM_APPID].secret
    assert applied.wechat_store_apps[0].store_id == 7


def test_a_token_life_within_the_overlap_is_refused(served) -> None:
    result = CliRunner().invoke(cli.app, ["wxsim", "--token-ttl-seconds", "300"])
    assert result.exit_code == 2
    assert served == []
