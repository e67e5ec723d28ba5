"""The terms a bargain campaign must meet, each refusal with its own error code (422).

They run before anything is written, so refused terms leave no trace.
"""

from __future__ import annotations

from typing import Any

from weshop.bargain.cuts import check_cut_room
from weshop.bargain.schemas import CampaignIn
from weshop.core.errors import InvalidInput

MAX_HELPS = 100
MAX_WINDOW_HOURS = 720
MAX_STOCK = 1_000_000
MAX_PER_SHOPPER = 100
MAX_DAILY_CAP = 100
MAX_SHARED_HELPS = 1000


def _refuse(message: str, code: str, **details: Any) -> InvalidInput:
    return InvalidInput(message, code=code, details=details or None)


def helps_range(data: CampaignIn) -> tuple[int, int]:
    """K fixed (``helps_needed``) or a range (``helps_min``..``helps_max``), never both."""
    ranged = data.helps_min is not None or data.helps_max is not None
    if data.helps_needed is not None:
        if ranged:
            raise _refuse("give helps_needed or helps_min/helps_max, not both", "ambiguous_helps")
        least = most = data.helps_needed
    elif data.helps_min is not None and data.helps_max is not None:
        least, most = data.helps_min, data.helps_max
    else:
        raise _refuse("give helps_needed, or helps_min and helps_max", "invalid_helps")
    if not 1 <= least <= most <= MAX_HELPS:
        raise _refuse(
            f"helps needed must be 1 to {MAX_HELPS} (and min ≤ max)",
            "invalid_helps",
            helps_min=least,
            helps_max=most,
        )
    return least, most


def check_terms(data: CampaignIn, sku_price_fen: int) -> tuple[int, int]:
    """Refuse terms no campaign should have; returns the range of K."""
    if data.floor_price_fen >= data.start_price_fen:
        raise _refuse(
            "the floor price must be below the start price",
            "floor_not_below_start",
            start_price_fen=data.start_price_fen,
            floor_price_fen=data.floor_price_fen,
        )
    if data.start_price_fen > sku_price_fen:
        raise _refuse(
            "the start price may not be above the SKU's price",
            "start_above_price",
            start_price_fen=data.start_price_fen,
            sku_price_fen=sku_price_fen,
        )
    least, most = helps_range(data)
    if not check_cut_room(data.start_price_fen, data.floor_price_fen, most):
        raise _refuse(
            "start minus floor must leave at least 1 fen for each help",
            "cut_room_too_small",
            room_fen=data.start_price_fen - data.floor_price_fen,
            helps_max=most,
        )
    if not 1 <= data.window_hours <= MAX_WINDOW_HOURS:
        raise _refuse(f"window_hours must be 1 to {MAX_WINDOW_HOURS}", "invalid_window_hours")
    if data.ends_at <= data.starts_at:
        raise _refuse("the campaign must end after it starts", "invalid_window")
    if not 1 <= data.stock <= MAX_STOCK:
        raise _refuse(f"stock must be 1 to {MAX_STOCK}", "invalid_stock")
    if not 1 <= data.per_shopper_limit <= MAX_PER_SHOPPER:
        raise _refuse(f"per_shopper_limit must be 1 to {MAX_PER_SHOPPER}", "invalid_limit")
    if not 1 <= data.helper_daily_cap <= MAX_DAILY_CAP:
        raise _refuse(f"helper_daily_cap must be 1 to {MAX_DAILY_CAP}", "invalid_daily_cap")
    if not 0 <= data.max_shared_helps <= MAX_SHARED_HELPS:
        raise _refuse(
            f"max_shared_helps must be 0 to {MAX_SHARED_HELPS}", "invalid_max_shared_helps"
        )
    return least, most
