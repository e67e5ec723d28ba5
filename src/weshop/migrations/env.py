"""Alembic environment: runs migrations over the async engine of the configured URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.types import TypeDecorator

from weshop.models import metadata

config = context.config


def _render_item(type_: str, obj, autogen_context) -> str | bool:
    # Migrations store the column's plain SQL type, not the app's Python-side wrapper.
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


# The search index (migration 0001, "search"): an FTS5 table and its shadow tables on SQLite,
# a pg_trgm GIN index on PostgreSQL. SQLAlchemy cannot describe either, so autogenerate
# leaves them out instead of proposing to drop them.
_OUTSIDE_MODELS = ("product_search_fts", "ix_product_search_docs_doc_trgm")


def _include_name(name: str | None, type_: str, parent_names) -> bool:
    return not (name or "").startswith(_OUTSIDE_MODELS)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
        include_name=_include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_run_async())
    else:
        raise RuntimeError("run Alembic from a thread without an event loop (upgrade_async does)")
