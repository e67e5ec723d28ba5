"""In-transaction events: announcing where nothing is wired raises, never skips the work."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.db import Database
from weshop.core.events import EventsNotWired, Question, Subscribers, announce, ask, wire


@dataclass(frozen=True)
class Happened:
    what: str


@dataclass(frozen=True)
class Unheard:
    pass


@dataclass(frozen=True)
class HowMany(Question[int]):
    what: str


@pytest.fixture
async def db(tmp_path) -> Database:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'events.db'}")
    yield database
    await database.dispose()


async def test_announcing_on_a_session_without_wiring_raises(db: Database) -> None:
    async with db.transaction() as session:
        with pytest.raises(EventsNotWired):
            await announce(session, Happened("paid"))
        with pytest.raises(EventsNotWired):
            await ask(session, HowMany("paid"))


async def test_subscribers_run_in_order_and_an_unheard_event_raises(db: Database) -> None:
    heard: list[str] = []
    first, second = Subscribers(), Subscribers()

    @first.on(Happened)
    async def note(session: AsyncSession, event: Happened) -> None:
        heard.append(f"first {event.what}")

    @second.on(Happened)
    async def note_too(session: AsyncSession, event: Happened) -> None:
        heard.append(f"second {event.what}")

    @second.answers(HowMany)
    async def count(session: AsyncSession, question: HowMany) -> int:
        return len(heard)

    wired = Subscribers()
    wired.merge(first)
    wired.merge(second)
    wire(db, wired)
    async with db.transaction() as session:
        await announce(session, Happened("paid"))
        assert heard == ["first paid", "second paid"]
        assert await ask(session, HowMany("paid")) == 2
        with pytest.raises(EventsNotWired):
            await announce(session, Unheard())
    with pytest.raises(ValueError):
        wired.merge(second)  # a question has one answer
