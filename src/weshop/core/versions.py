"""Row versions: the rows a computation read and when each last changed (``updated_at``).

Read once before the computation and once more later, in one statement each, they tell
whether any of those rows changed, appeared or went away in between: a checkout prices in a
read transaction and, in its short write transaction, only compares versions. A row's
``updated_at`` moves on every ORM or Core update (``TimestampMixin``'s ``onupdate``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

RowVersion = tuple[str, int, datetime]


def versions_of(kind: str, key: Any, updated_at: Any, *where: ColumnElement[bool]) -> Select:
    """(kind, id, updated_at) of the rows ``where`` selects; ``kind`` names their table."""
    return select(literal_column(f"'{kind}'"), key, updated_at).where(*where)


async def read_versions(
    session: AsyncSession, query: CompoundSelect | Select, **parameters: Any
) -> frozenset[RowVersion]:
    """The versions of every row ``query`` (a union of ``versions_of``) selects."""
    rows = await session.execute(query, parameters)
    return frozenset((kind, row_id, changed) for kind, row_id, changed in rows)
