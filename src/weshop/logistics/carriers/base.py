"""What WeShop asks of a parcel-tracking provider, whichever it is.

A provider follows a parcel once subscribed and pushes its tracking to WeShop's callback; it
also answers a query for the tracking now. WeShop keeps one normalised form of what it says:
a :class:`TrackingReport` with the parcel's :class:`ParcelState` and its dated events.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


class ParcelState(enum.StrEnum):
    """Where a parcel is, in the words of the parcel's journey (Kuaidi100's state codes map
    onto these)."""

    PENDING = "pending"  # subscribed, nothing heard yet
    COLLECTED = "collected"  # 揽收
    IN_TRANSIT = "in_transit"  # 在途
    DELIVERING = "delivering"  # 派件
    DELIVERED = "delivered"  # 签收
    TROUBLE = "trouble"  # 疑难
    RETURNING = "returning"  # 退回
    RETURNED = "returned"  # 退签
    REJECTED = "rejected"  # 拒签
    CUSTOMS = "customs"  # 清关


# Where the journey ends: nothing more is asked about the parcel.
FINAL_STATES = frozenset({ParcelState.DELIVERED, ParcelState.RETURNED, ParcelState.REJECTED})


@dataclass(frozen=True)
class TrackingEvent:
    at: datetime
    text: str
    area: str = ""


@dataclass(frozen=True)
class TrackingReport:
    """A parcel's tracking as the provider knows it: its state and every event so far."""

    carrier: str
    tracking_no: str
    state: ParcelState
    events: tuple[TrackingEvent, ...]


class CarrierError(Exception):
    """The provider could not be reached, or refused: the caller retries later."""


class PushRejected(Exception):
    """A push that is not the provider's: its signature does not verify."""


class PushUnreadable(PushRejected):
    """A push (or an answer) whose content cannot be read as tracking."""


@dataclass(frozen=True)
class Push:
    """A verified push: the report it carries and the provider's answer to send back."""

    report: TrackingReport
    answer: dict[str, Any]


class ParcelTracker(Protocol):
    """One parcel-tracking provider."""

    name: str

    async def subscribe(self, carrier: str, tracking_no: str, callback_url: str) -> None:
        """Ask the provider to follow the parcel and push its tracking to ``callback_url``.
        A parcel already followed is not an error. Raises :class:`CarrierError`."""
        ...

    async def query(self, carrier: str, tracking_no: str) -> TrackingReport:
        """The parcel's tracking now. Raises :class:`CarrierError`."""
        ...

    def read_push(self, form: Mapping[str, str]) -> Push:
        """Verify and parse a push (its form fields). Raises :class:`PushRejected`."""
        ...

    async def aclose(self) -> None: ...
