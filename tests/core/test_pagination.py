"""Cursor pagination: opaque cursors that round-trip, and garbage cursors that answer 422."""

from __future__ import annotations

import base64
import contextlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from weshop.core.clock import utcnow
from weshop.core.errors import InvalidInput
from weshop.core.outbox import OutboxMessage, emit
from weshop.core.pagination import decode_cursor, encode_cursor, page_of, paginate


def _raw_cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@settings(max_examples=200, deadline=None)
@given(
    created=st.datetimes(timezones=st.just(UTC)),
    row_id=st.integers(min_value=0, max_value=2**63 - 1),
)
def test_round_trip(created: datetime, row_id: int) -> None:
    cursor = encode_cursor(created, row_id)
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor
    assert decode_cursor(cursor) == (created, row_id)
    assert decode_cursor(cursor)[0].tzinfo is not None


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "abc",
        "a",
        "====",
        "é",
        _raw_cursor({"a": 1}),
        _raw_cursor([1, 2, 3]),
        _raw_cursor(["not a date", 1]),
        _raw_cursor([None, 1]),
        _raw_cursor(["2024-01-01T00:00:00+00:00", "x"]),
        _raw_cursor(["2024-01-01T00:00:00+00:00", None]),
        _raw_cursor(["2024-01-01T00:00:00", 1]),
        # Not made by WeShop (cursors are UTC), and would overflow when turned into UTC.
        _raw_cursor(["0001-01-01T00:00:00+05:00", 1]),
        _raw_cursor(["9999-12-31T23:59:59-05:00", 1]),
        base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
    ],
)
def test_a_garbage_cursor_is_invalid_input(cursor: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        decode_cursor(cursor)
    assert raised.value.code == "invalid_cursor"
    assert raised.value.status_code == 422


@pytest.mark.parametrize(
    "cursor",
    [
        _raw_cursor(["2024-01-01T00:00:00+00:00", 1e400]),  # json: Infinity
        base64.urlsafe_b64encode(b'["2024-01-01T00:00:00+00:00", -Infinity]').decode(),
        base64.urlsafe_b64encode(b"[" * 2000 + b"]" * 2000).decode(),
    ],
    ids=["infinity", "minus-infinity", "deeply-nested"],
)
def test_a_hostile_cursor_is_invalid_input_not_a_crash(cursor: str) -> None:
    with pytest.raises(InvalidInput):
        decode_cursor(cursor)


def test_a_cursor_without_a_time_zone_is_refused_or_read_as_utc() -> None:
    """Columns hold aware UTC times; a naive time in a forged cursor must not reach a query."""
    try:
        created, row_id = decode_cursor(_raw_cursor(["2024-01-01T08:00:00", 5]))
    except InvalidInput:
        return
    assert created == datetime(2024, 1, 1, 8, tzinfo=UTC)
    assert row_id == 5


@settings(max_examples=200, deadline=None)
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(),
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
        ),
        max_leaves=6,
    )
)
def test_any_json_cursor_decodes_or_is_invalid_input(value: object) -> None:
    try:
        created, row_id = decode_cursor(_raw_cursor(value))
    except InvalidInput:
        return
    assert isinstance(created, datetime) and created.tzinfo is not None
    assert isinstance(row_id, int)


@settings(max_examples=200, deadline=None)
@given(cursor=st.text(max_size=60))
def test_any_text_cursor_decodes_or_is_invalid_input(cursor: str) -> None:
    with contextlib.suppress(InvalidInput):
        decode_cursor(cursor)


async def test_paging_through_rows_sees_each_row_once_newest_first(runtime) -> None:
    base = utcnow().replace(microsecond=0)
    async with runtime.db.transaction() as session:
        messages = []
        for i in range(25):
            # Groups of five share one created_at, so ties are broken by id.
            message = emit(session, "test.page", {"i": i})
            message.created_at = base + timedelta(seconds=i // 5)
            messages.append(message)
        await session.flush()
    expected = [m.id for m in sorted(messages, key=lambda m: (m.created_at, m.id), reverse=True)]

    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        async with runtime.db.session(write=False) as session:
            rows = list(
                (
                    await session.scalars(paginate(select(OutboxMessage), OutboxMessage, cursor, 7))
                ).all()
            )
        page = page_of(rows, 7, lambda row: row.id)
        seen.extend(page.items)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected
    assert pages == 4


async def test_a_forged_cursor_gives_invalid_input_not_a_database_error(runtime) -> None:
    forged = _raw_cursor(["2024-01-01T08:00:00", 5])
    try:
        query = paginate(select(OutboxMessage), OutboxMessage, forged, 10)
    except InvalidInput:
        return
    async with runtime.db.session(write=False) as session:
        assert list((await session.scalars(query)).all()) == []
