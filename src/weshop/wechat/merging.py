"""Two accounts of one person become one: a WeChat account and the account of the phone it
proved (the shopper who first bought by phone code, then signed in inside WeChat).

The phone's account (the target) keeps its id. Every column that references ``users.id``,
found through the schema's foreign keys (so a table added later is covered without a change
here), is re-pointed from the WeChat account (the source) to it: identities, sessions,
orders, cart lines, addresses, memberships, coupons... A row that would then collide on a
unique key (or primary key) with a row the target already has — the same SKU in both carts,
a membership of the same store, a per-shopper counter of the same campaign — stays with the
source: the target's row wins and nothing is overwritten or summed. The source is
deactivated and remembers the target (``merged_into_id``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import structlog
from sqlalchemy import Column, Table, UniqueConstraint, and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.core.db import Base, lock_row

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class UserReference:
    table: Table
    column: Column
    # The other columns of each unique key (or primary key) the column is part of.
    unique_with: tuple[tuple[Column, ...], ...]


def user_references() -> Iterator[UserReference]:
    users = User.__table__
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is not users or fk.parent is users.c.merged_into_id:
                continue
            column = fk.parent
            keys = [
                table.primary_key,
                *(c for c in table.constraints if isinstance(c, UniqueConstraint)),
                *(index for index in table.indexes if index.unique),
            ]
            unique_with = [
                tuple(other for other in key.columns if other is not column)
                for key in keys
                if column in list(key.columns)
            ]
            yield UserReference(table, column, tuple(dict.fromkeys(unique_with)))


async def _repoint(
    session: AsyncSession, reference: UserReference, source: int, target: int
) -> int:
    table, column = reference.table, reference.column
    conditions = [column == source]
    for others in reference.unique_with:
        theirs = table.alias("theirs")
        clash = [theirs.c[column.name] == target] + [
            theirs.c[other.name] == other for other in others
        ]
        conditions.append(~exists(select(1).select_from(theirs).where(and_(*clash))))
    result = await session.execute(update(table).where(*conditions).values({column.name: target}))
    return result.rowcount or 0


async def merge_accounts(session: AsyncSession, *, source: User, target: User) -> dict[str, int]:
    """Move everything of ``source`` to ``target``; answers the rows moved per column."""
    # Both rows held, in id order, so that two merges of the same accounts take turns.
    for user_id in sorted((source.id, target.id)):
        await lock_row(session, User, user_id)
    moved: dict[str, int] = {}
    for reference in user_references():
        count = await _repoint(session, reference, source.id, target.id)
        if count:
            moved[f"{reference.table.name}.{reference.column.name}"] = count
    source.is_active = False
    source.merged_into_id = target.id
    if not target.display_name and source.display_name:
        target.display_name = source.display_name
    await session.flush()
    log.info("wechat.accounts_merged", source=source.id, target=target.id, moved=moved)
    return moved
