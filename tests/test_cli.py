"""The ``weshop`` command, run in-process on a database of its own (a temporary SQLite file).

Commands run in a worker thread: each calls ``asyncio.run``, which cannot nest in the test's
event loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from typer.testing import CliRunner

from weshop import cli
from weshop.app import create_app
from weshop.core.config import Settings
from weshop.core.migrations import head_revision

# The suite's secret: the personal-data cipher is process-global and other tests rely on it.
SECRET = "test-secret-not-for-production"
# Each command's help opens with its purpose and lists its own options.
COMMANDS = {
    "serve": ("Run the web server", "--no-worker"),
    "migrate": ("Create or upgrade the database schema", "--revision"),
    "worker": ("Run the background worker", "--once"),
    "create-operator": ("Create a platform operator", "--password"),
    "demo": ("Try WeShop in one command", "--fresh"),
    "reconcile": ("Reconcile a day's payments, refunds and profit sharing", "--date"),
    "check-deploy": ("Check the installation's settings for production", "--fail-level"),
    "carriersim": ("Run carriersim, a local simulator of Kuaidi100", "--pace-seconds"),
    "wxsim": ("Run wxsim, a local simulator of the WeChat platform APIs", "--token-ttl-seconds"),
}


def cli_settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/cli.db",
        data_dir=tmp_path,
        secret_key=SECRET,
    )


def env_of(settings: Settings) -> dict[str, str | None]:
    return {
        "WESHOP_DATABASE_URL": settings.database_url,
        "WESHOP_DATA_DIR": str(settings.data_dir),
        "WESHOP_SECRET_KEY": SECRET,
        # `serve --no-worker` sets this one; listing it makes the runner restore it afterwards.
        "WESHOP_RUN_WORKER_IN_PROCESS": None,
    }


async def invoke(settings: Settings, *args: str) -> Result:
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, cli.app, list(args), env=env_of(settings))


@pytest.fixture(autouse=True)
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may leave a server running."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a test started uvicorn")

    monkeypatch.setattr(cli.uvicorn, "run", refuse)


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli.app, ["--help"])
    assert result.exit_code == 0, result.output
    for command in COMMANDS:
        assert command in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself(command: str) -> None:
    result = CliRunner().invoke(cli.app, [command, "--help"])
    assert result.exit_code == 0, result.output
    purpose, option = COMMANDS[command]
    assert purpose in result.output
    assert option in result.output


async def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    settings = cli_settings(tmp_path)
    result = await invoke(settings, "migrate")
    assert result.exit_code == 0, result.output
    assert f"at revision {head_revision()} (head)" in result.output
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert {"users", "stores", "products", "orders", "outbox"} <= tables
    assert revision == head_revision()

    again = await invoke(settings, "migrate")
    assert again.exit_code == 0, again.output


async def test_an_operator_created_on_the_command_line_can_sign_in(tmp_path: Path) -> None:
    settings = cli_settings(tmp_path)
    assert (await invoke(settings, "migrate")).exit_code == 0
    result = await invoke(
        settings,
        "create-operator",
        "--phone",
        "+86 139-1111-2222",
        "--password",
        "a-long-password",
        "--name",
        "值班运营",
    )
    assert result.exit_code == 0, result.output
    assert "139****2222 created" in result.output

    app = create_app(settings, check_schema=False)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answer = await client.post(
                "/api/v1/auth/sessions",
                json={"phone": "13911112222", "password": "a-long-password"},
            )
    finally:
        await app.state.runtime.components["payments"].close()
        await app.state.runtime.close()
    assert answer.status_code == 201, answer.text
    assert answer.json()["user"]["is_operator"] is True
    assert answer.json()["user"]["display_name"] == "值班运营"

    updated = await invoke(
        settings, "create-operator", "--phone", "13911112222", "--password", "another-password"
    )
    assert updated.exit_code == 0, updated.output
    assert "updated" in updated.output


async def test_create_operator_refuses_a_weak_password_and_a_bad_phone(tmp_path: Path) -> None:
    settings = cli_settings(tmp_path)
    assert (await invoke(settings, "migrate")).exit_code == 0
    weak = await invoke(
        settings, "create-operator", "--phone", "13911113333", "--password", "short"
    )
    assert weak.exit_code == 1
    assert "at least 8 characters" in weak.output
    assert "Traceback" not in weak.output

    bad = await invoke(settings, "create-operator", "--phone", "12345", "--password", "long-enough")
    assert bad.exit_code == 1
    assert "mobile number" in bad.output


async def test_serve_refuses_a_database_without_schema(tmp_path: Path) -> None:
    settings = cli_settings(tmp_path)
    missing = await invoke(settings, "serve", "--port", "0")
    assert missing.exit_code == 1
    assert "no database file" in missing.output
    assert "weshop migrate" in missing.output

    sqlite3.connect(tmp_path / "cli.db").close()  # a database, but not WeShop's
    empty = await invoke(settings, "serve", "--port", "0", "--no-worker")
    assert empty.exit_code == 1
    assert "WeShop will not start: the database has no WeShop schema yet" in empty.output
    assert "Traceback" not in empty.output


async def test_the_app_itself_refuses_to_start_without_schema(tmp_path: Path) -> None:
    """The server's own start-up check, for processes started without the CLI."""
    settings = cli_settings(tmp_path)
    app = create_app(settings)
    try:
        with pytest.raises(RuntimeError, match="run `weshop migrate`"):
            async with app.router.lifespan_context(app):
                pass
    finally:
        await app.state.runtime.components["payments"].close()
        await app.state.runtime.close()


async def test_worker_once_drains_and_exits(tmp_path: Path) -> None:
    settings = cli_settings(tmp_path)
    assert (await invoke(settings, "worker", "--once")).exit_code == 1  # no schema yet
    assert (await invoke(settings, "migrate")).exit_code == 0
    result = await invoke(settings, "worker", "--once")
    assert result.exit_code == 0, result.output
    assert "Handled 0 due messages" in result.output


async def test_demo_fresh_refuses_a_server_database_without_yes_really(tmp_path: Path) -> None:
    settings = cli_settings(tmp_path).model_copy(
        update={"database_url": "postgresql+asyncpg://shop:secret@127.0.0.1:1/shop"}
    )
    result = await invoke(settings, "demo", "--fresh")
    assert result.exit_code == 1
    assert "--yes-really" in result.output
    assert "secret" not in result.output  # the password in the URL is never shown
