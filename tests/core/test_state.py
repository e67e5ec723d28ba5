"""Declared transition tables: an undeclared action is a 409, never a silent no-op."""

from __future__ import annotations

import enum

import pytest

from weshop.core.errors import Conflict, IllegalTransition
from weshop.core.outbox import OutboxMessage, OutboxStatus, emit
from weshop.core.state import StateMachine


class Door(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    LOCKED = "locked"


DOOR = StateMachine(
    "door",
    {
        (Door.OPEN, "close"): Door.CLOSED,
        (Door.CLOSED, "open"): Door.OPEN,
        (Door.CLOSED, "lock"): Door.LOCKED,
        (Door.LOCKED, "unlock"): Door.CLOSED,
    },
)


def test_declared_transitions() -> None:
    assert DOOR.target(Door.OPEN, "close") is Door.CLOSED
    assert DOOR.target(Door.CLOSED, "lock") is Door.LOCKED
    assert DOOR.target(Door.LOCKED, "unlock") is Door.CLOSED


@pytest.mark.parametrize(
    ("state", "action"),
    [(Door.OPEN, "lock"), (Door.LOCKED, "open"), (Door.OPEN, "open"), (Door.CLOSED, "smash")],
)
def test_an_undeclared_action_is_an_illegal_transition(state: Door, action: str) -> None:
    with pytest.raises(IllegalTransition) as raised:
        DOOR.target(state, action)
    error = raised.value
    assert isinstance(error, Conflict)
    assert error.status_code == 409
    assert error.code == "illegal_transition"
    assert error.details == {"state": str(state), "action": action}
    assert error.to_body()["error"]["code"] == "illegal_transition"
    assert action.replace("_", " ") in error.message and "door" in error.message


def test_allowed_actions() -> None:
    assert DOOR.allowed_actions(Door.OPEN) == ["close"]
    assert sorted(DOOR.allowed_actions(Door.CLOSED)) == ["lock", "open"]
    assert DOOR.allowed_actions(Door.LOCKED) == ["unlock"]
    for state in Door:
        for action in DOOR.allowed_actions(state):
            DOOR.target(state, action)  # every listed action is really allowed


# ``apply`` over a real table: the outbox row has an ``id`` and a ``status``.
OUTBOX = StateMachine(
    "message",
    {
        (OutboxStatus.PENDING, "finish"): OutboxStatus.DONE,
        (OutboxStatus.PENDING, "bury"): OutboxStatus.DEAD,
    },
)


async def _new_message(runtime) -> OutboxMessage:
    async with runtime.db.transaction() as session:
        message = emit(session, "test.state", {})
        await session.flush()
    return message


async def test_apply_moves_the_row_and_other_columns(runtime) -> None:
    message = await _new_message(runtime)
    async with runtime.db.transaction() as session:
        row = await session.get_one(OutboxMessage, message.id)
        assert await OUTBOX.apply(session, row, "finish", last_error="ok") == OutboxStatus.DONE
        assert row.status == OutboxStatus.DONE
    async with runtime.db.session() as session:
        stored = await session.get_one(OutboxMessage, message.id)
        assert (stored.status, stored.last_error) == (OutboxStatus.DONE, "ok")


async def test_apply_refuses_an_undeclared_action_and_changes_nothing(runtime) -> None:
    message = await _new_message(runtime)
    async with runtime.db.transaction() as session:
        row = await session.get_one(OutboxMessage, message.id)
        await OUTBOX.apply(session, row, "finish")
    with pytest.raises(IllegalTransition):
        async with runtime.db.transaction() as session:
            row = await session.get_one(OutboxMessage, message.id)
            await OUTBOX.apply(session, row, "bury", last_error="nope")
    async with runtime.db.session() as session:
        stored = await session.get_one(OutboxMessage, message.id)
        assert (stored.status, stored.last_error) == (OutboxStatus.DONE, None)


async def test_apply_loses_a_race_with_a_409_not_a_silent_overwrite(runtime) -> None:
    message = await _new_message(runtime)
    async with runtime.db.session() as stale_session:
        stale = await stale_session.get_one(OutboxMessage, message.id)
        await stale_session.commit()
        assert stale.status == OutboxStatus.PENDING
        # Another request moves the row first.
        async with runtime.db.transaction() as session:
            row = await session.get_one(OutboxMessage, message.id)
            await OUTBOX.apply(session, row, "finish")
        with pytest.raises(IllegalTransition) as raised:
            async with stale_session.begin():
                await OUTBOX.apply(stale_session, stale, "bury")
        assert raised.value.details == {"state": "done", "action": "bury"}
    async with runtime.db.session() as session:
        stored = await session.get_one(OutboxMessage, message.id)
        assert stored.status == OutboxStatus.DONE
