"""State machines as declared transition tables, applied by compare-and-set.

An action that the table does not allow from the current state is an ``IllegalTransition``
(HTTP 409) and changes nothing; so is losing a race to another request that moved first.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.errors import IllegalTransition

S = TypeVar("S", bound=enum.StrEnum)


class StateMachine(Generic[S]):
    def __init__(self, name: str, transitions: Mapping[tuple[S, str], S]) -> None:
        self.name = name
        self.transitions = dict(transitions)

    def target(self, current: S, action: str) -> S:
        try:
            return self.transitions[(current, action)]
        except KeyError:
            verb, state = action.replace("_", " "), current.replace("_", " ")
            raise IllegalTransition(
                f"cannot {verb} a {self.name} that is {state}",
                details={"state": str(current), "action": action},
            ) from None

    def allowed_actions(self, current: S) -> list[str]:
        return [action for (state, action) in self.transitions if state == current]

    async def apply(self, session: AsyncSession, row: Any, action: str, **values: Any) -> S:
        """Move ``row`` on by ``action``; other columns in ``values`` change in the same UPDATE."""
        current = row.status
        target = self.target(current, action)
        model = type(row)
        result = await session.execute(
            update(model)
            .where(model.id == row.id, model.status == current)
            .values(status=target, **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            await session.refresh(row)
            raise IllegalTransition(
                f"the {self.name} changed meanwhile; it is now {row.status}",
                details={"state": str(row.status), "action": action},
            )
        await session.refresh(row)
        return target
