"""The flash sale's state machines."""

from __future__ import annotations

from weshop.core.state import StateMachine
from weshop.flashsale.models import AttemptState, SessionStatus

SESSION_MACHINE = StateMachine(
    "flash-sale session",
    {
        (SessionStatus.ACTIVE, "end"): SessionStatus.ENDED,  # its end passed
        (SessionStatus.ACTIVE, "stop"): SessionStatus.ENDED,  # staff stopped it
    },
)

# Applied by compare-and-set in the repository (an attempt is released at most once).
ATTEMPT_MACHINE = StateMachine(
    "flash-sale attempt",
    {
        (AttemptState.ACCEPTED, "order"): AttemptState.ORDERED,
        (AttemptState.ACCEPTED, "release"): AttemptState.RELEASED,
        (AttemptState.ORDERED, "release"): AttemptState.RELEASED,
    },
)
