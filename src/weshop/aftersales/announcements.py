"""What after-sales announces to the domains above it, in the transaction of the change
(:mod:`weshop.core.events`): a shopper asked, for the store's staff to be told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from weshop.aftersales.models import RequestKind


@dataclass(frozen=True)
class AftersalesRequested:
    """A shopper created an after-sales request (a fast refund too, approved at once)."""

    request_id: int
    store_id: int
    order_id: int
    kind: RequestKind
    amount_fen: int
    requested_at: datetime
