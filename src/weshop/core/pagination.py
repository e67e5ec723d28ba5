"""Cursor pagination over ``(created_at, id)`` descending: stable under concurrent inserts."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, and_, or_

from weshop.core.errors import InvalidInput
from weshop.core.ids import MAX_ID

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_LENGTH = 200

# A list's page size; give it the default where it is used: `limit: Limit = DEFAULT_LIMIT`
# (FastAPI takes no default inside `Annotated`).
Limit = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"How many items a page holds, 1-{MAX_LIMIT}."),
]

# A cursor is the `next_cursor` a page gave, unpadded URL-safe base64; only the server makes
# them, so one it did not make (or made for another sort) answers 422 `invalid_cursor`.
CursorQuery = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR_LENGTH,
        # Documented, not checked here: any malformed cursor answers the one `invalid_cursor`.
        json_schema_extra={"pattern": "^[A-Za-z0-9_-]+$"},
        description="The `next_cursor` of the previous page, as given (with the same "
        "filters); any other value answers 422 `invalid_cursor`.",
    ),
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(created_at: datetime, row_id: int) -> str:
    raw = json.dumps([created_at.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidInput("the cursor is not valid", code="invalid_cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, row_id = json.loads(base64.urlsafe_b64decode(padded))
        created_at, row_id = datetime.fromisoformat(created), int(row_id)
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise InvalidInput("the cursor is not valid", code="invalid_cursor") from exc
    # Cursors are made in UTC; another offset could overflow when converted at year 1 or 9999.
    if created_at.utcoffset() != timedelta(0) or not 0 <= row_id <= MAX_ID:
        raise InvalidInput("the cursor is not valid", code="invalid_cursor")
    return created_at, row_id


def paginate(query: Select[Any], model: Any, cursor: str | None, limit: int) -> Select[Any]:
    """Order ``query`` newest first and start after ``cursor``; fetch one extra row."""
    if cursor:
        created, row_id = decode_cursor(cursor)
        query = query.where(
            or_(
                model.created_at < created,
                and_(model.created_at == created, model.id < row_id),
            )
        )
    return query.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)


def page_of(rows: list[Any], limit: int, convert: Any) -> Page[Any]:
    """Build a page from ``limit + 1`` fetched rows."""
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
    return Page(items=[convert(row) for row in rows], next_cursor=next_cursor)
