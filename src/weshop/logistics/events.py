"""What logistics announces to the domains above it, in the transaction that learnt it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ParcelDelivered:
    """A store's parcel was signed for (已签收) at ``delivered_at``; announced once."""

    store_id: int
    carrier: str
    tracking_no: str
    delivered_at: datetime
