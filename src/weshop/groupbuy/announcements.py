"""What group buying announces to the domains above it, in the transaction of the change
(:mod:`weshop.core.events`): a group completed (its members' orders may ship) or failed (its
paid members are being refunded), for WeChat messages to tell the members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class GroupCompleted:
    """The group filled (or completed by the campaign's simulated fill) at ``completed_at``."""

    group_id: int
    store_id: int
    completed_at: datetime


@dataclass(frozen=True)
class GroupFailed:
    """The group ended unfilled (or its campaign stopped); ``reason`` is what its members'
    refunds say."""

    group_id: int
    store_id: int
    failed_at: datetime
    reason: str
