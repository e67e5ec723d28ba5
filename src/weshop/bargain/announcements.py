"""What bargaining announces to the domains above it, in the transaction of the change
(:mod:`weshop.core.events`): a bargain reached its floor, for WeChat messages to tell its
starter that it can be bought at the floor price."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class BargainFloorReached:
    """The counted help that made the bargain reach its floor price; announced once."""

    bargain_id: int
    store_id: int
    user_id: int
    sku_id: int
    floor_price_fen: int
    reached_at: datetime
