"""``weshop carriersim``: its help, and the settings it prints point WeShop at it."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from weshop import cli


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    """Stands in for uvicorn: records the app instead of serving it."""
    apps: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **options: apps.append((app, options)))
    return apps


def test_help_explains_the_command() -> None:
    result = CliRunner().invoke(cli.app, ["carriersim", "--help"])
    assert result.exit_code == 0, result.output
    assert "simulator of Kuaidi100" in result.output
    for option in ("--host", "--port", "--customer", "--key", "--pace-seconds", "--public-url"):
        assert option in result.output
    assert "carriersim" in CliRunner().invoke(cli.app, ["--help"]).output


def test_prints_the_settings_and_serves_the_simulator(served) -> None:
    result = CliRunner().invoke(
        cli.app, ["carriersim", "--port", "8234", "--key", "k-9", "--pace-seconds", "5"]
    )
    assert result.exit_code == 0, result.output
    assert "WESHOP_KUAIDI100_API_BASE_URL=http://127.0.0.1:8234" in result.output
    assert "WESHOP_KUAIDI100_KEY=k-9" in result.output
    assert "WESHOP_KUAIDI100_CUSTOMER=CARRIERSIM" in result.output
    [(app, options)] = served
    assert options["port"] == 8234
    sim = app.state.carriersim
    assert (sim.key, sim.pace.total_seconds()) == ("k-9", 5)


def test_a_pace_under_a_second_is_refused(served) -> None:
    result = CliRunner().invoke(cli.app, ["carriersim", "--pace-seconds", "0"])
    assert result.exit_code == 2
    assert served == []
