"""In-transaction events: what a domain announces that a domain above it must act on in the
same transaction, and what it asks of a domain above it.

The outbox (:mod:`weshop.core.outbox`) carries what may follow after the cause has
committed. Some work may not: a payment's journal entry commits with the payment or not at
all, so that the ledger always equals the provider. The announcing domain owns the event (a
frozen dataclass) and calls :func:`announce`; the domain above subscribes to it in a
:class:`Subscribers` of its own. A :class:`Question` works the same way with exactly one
answer (:func:`ask`).

The composition wires the subscribers into the database's sessions (:func:`wire`).
Announcing on a session that was not wired, or an event nobody subscribed to, raises:
forgotten wiring fails the transaction instead of silently leaving its work undone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.db import Database

E = TypeVar("E")
A = TypeVar("A")

Subscriber = Callable[[AsyncSession, Any], Awaitable[None]]
Answerer = Callable[[AsyncSession, Any], Awaitable[Any]]

# The key of the subscribers in each session's ``info``.
SUBSCRIBERS_KEY = "weshop.events"


class Question(Generic[A]):
    """An event that wants one answer of type ``A``; subclass it as a frozen dataclass."""


class EventsNotWired(RuntimeError):
    """An event was announced where nobody can act on it: a wiring mistake, never input."""


class Subscribers:
    """What one or more domains do on the events and questions of the domains below them."""

    def __init__(self) -> None:
        self.subscribers: dict[type, list[Subscriber]] = {}
        self.answerers: dict[type, Answerer] = {}

    def on(
        self, event_type: type[E]
    ) -> Callable[
        [Callable[[AsyncSession, E], Awaitable[None]]], Callable[[AsyncSession, E], Awaitable[None]]
    ]:
        def register(
            subscriber: Callable[[AsyncSession, E], Awaitable[None]],
        ) -> Callable[[AsyncSession, E], Awaitable[None]]:
            self.subscribers.setdefault(event_type, []).append(subscriber)
            return subscriber

        return register

    def answers(
        self, question_type: type[Question[A]]
    ) -> Callable[
        [Callable[[AsyncSession, Any], Awaitable[A]]], Callable[[AsyncSession, Any], Awaitable[A]]
    ]:
        def register(
            answerer: Callable[[AsyncSession, Any], Awaitable[A]],
        ) -> Callable[[AsyncSession, Any], Awaitable[A]]:
            if question_type in self.answerers:
                raise ValueError(f"{question_type.__name__} already has an answer")
            self.answerers[question_type] = answerer
            return answerer

        return register

    def merge(self, other: Subscribers) -> None:
        for event_type, subscribers in other.subscribers.items():
            self.subscribers.setdefault(event_type, []).extend(subscribers)
        for question_type, answerer in other.answerers.items():
            self.answers(question_type)(answerer)


def wire(db: Database, subscribers: Subscribers) -> None:
    """Every session ``db`` hands out from now on announces to ``subscribers``."""
    db.configure_sessions(info={SUBSCRIBERS_KEY: subscribers})


def _wired(session: AsyncSession) -> Subscribers:
    subscribers = session.info.get(SUBSCRIBERS_KEY)
    if not isinstance(subscribers, Subscribers):
        raise EventsNotWired(
            "this session's database has no event subscribers: the composition must call "
            "weshop.core.events.wire(db, subscribers)"
        )
    return subscribers


async def announce(session: AsyncSession, event: object) -> None:
    """Run every subscriber of ``event`` in this session's transaction, in the order they
    were registered."""
    subscribers = _wired(session).subscribers.get(type(event))
    if not subscribers:
        raise EventsNotWired(f"nobody subscribed to {type(event).__name__}")
    for subscriber in subscribers:
        await subscriber(session, event)


async def ask(session: AsyncSession, question: Question[A]) -> A:
    """The answer to ``question``, given in this session's transaction."""
    answerer = _wired(session).answerers.get(type(question))
    if answerer is None:
        raise EventsNotWired(f"nobody answers {type(question).__name__}")
    answer: A = await answerer(session, question)
    return answer
