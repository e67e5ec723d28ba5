"""Schema migrations with Alembic; the scripts ship inside the package (weshop/migrations)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from weshop.core.db import Database

SCRIPT_LOCATION = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to ``revision``; creates the SQLite file's folder if needed."""
    if database_url.startswith("sqlite") and ":///" in database_url:
        path = database_url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, database_url, revision)


async def pending_migrations(db: Database) -> str | None:
    """None when the schema is at head; otherwise a sentence saying what to do."""
    current = await db.current_revision()
    head = head_revision()
    if current == head:
        return None
    if current is None:
        return "the database has no WeShop schema yet: run `weshop migrate` (or `weshop demo`)"
    return f"the database schema is at {current}, the code needs {head}: run `weshop migrate`"
