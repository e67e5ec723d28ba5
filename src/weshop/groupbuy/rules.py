"""The rules of group-buy campaigns, as pure checks: each refusal is a 422 with its own code.

Also the money rule of a group order: which unit price a member pays.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from weshop.core.errors import InvalidInput
from weshop.groupbuy.models import MemberRole
from weshop.groupbuy.schemas import CampaignCreate, CampaignTerms

MIN_GROUP_SIZE = 2
MAX_GROUP_SIZE = 50
MIN_FILL_MINUTES = 5
MAX_FILL_MINUTES = 7 * 24 * 60
MAX_STOCK = 1_000_000
MAX_PER_SHOPPER = 9_999

# What the members of a group were promised when they joined: fixed once a group exists
# (the name, the end, the stock and the per-shopper limit hurt none of them).
PROMISED_TERMS = (
    "group_size",
    "fill_window_minutes",
    "prices",
    "starts_at",
    "simulated_fill",
    "new_customers_only",
    "full_group_policy",
)


def _refuse(message: str, code: str, **details: Any) -> InvalidInput:
    return InvalidInput(message, code=code, details=details or None)


def check_shape(data: CampaignCreate) -> None:
    """What only creation sets: the group size and the window to fill."""
    if not MIN_GROUP_SIZE <= data.group_size <= MAX_GROUP_SIZE:
        raise _refuse(
            f"a group has {MIN_GROUP_SIZE} to {MAX_GROUP_SIZE} members",
            "invalid_group_size",
            group_size=data.group_size,
        )
    if not MIN_FILL_MINUTES <= data.fill_window_minutes <= MAX_FILL_MINUTES:
        raise _refuse(
            f"the window to fill a group is {MIN_FILL_MINUTES} to {MAX_FILL_MINUTES} minutes",
            "invalid_fill_window",
            fill_window_minutes=data.fill_window_minutes,
        )


def check_terms(data: CampaignTerms, *, sold: int = 0) -> None:
    """Stock, limit and window; ``sold``: units live orders already hold (an edit may not
    take the stock below them)."""
    if not 1 <= data.stock <= MAX_STOCK:
        raise _refuse(f"stock must be 1 to {MAX_STOCK}", "invalid_stock", stock=data.stock)
    if data.stock < sold:
        raise _refuse(
            "stock may not go below the units live group orders hold",
            "stock_below_sold",
            sold=sold,
        )
    if not 1 <= data.per_shopper_limit <= MAX_PER_SHOPPER:
        raise _refuse(
            f"per_shopper_limit must be 1 to {MAX_PER_SHOPPER}",
            "invalid_limit",
            per_shopper_limit=data.per_shopper_limit,
        )
    if data.ends_at <= data.starts_at:
        raise _refuse("the campaign ends before it starts", "invalid_window")


def check_changes_with_groups(changed: Collection[str], ends_at: datetime, now: datetime) -> None:
    """An edit of a campaign whose groups exist: ``changed``, the terms it changes."""
    for name in PROMISED_TERMS:
        if name in changed:
            raise _refuse(
                f"{name} cannot change once a group has been opened", f"{name}_locked", field=name
            )
    if "ends_at" in changed and ends_at < now:
        raise _refuse(
            "once a group has been opened the end may not move before now",
            "ends_at_before_now",
            field="ends_at",
        )


def check_prices(data: CampaignTerms, sku_prices: Mapping[int, int]) -> list[dict[str, Any]]:
    """The prices as stored. ``sku_prices``: the product's SKUs and their prices; a SKU not
    among them (another product's, another store's) is refused."""
    seen: set[int] = set()
    rows = []
    for entry in data.prices:
        if entry.sku_id in seen:
            raise _refuse("each SKU is priced once", "duplicate_sku", sku_id=entry.sku_id)
        seen.add(entry.sku_id)
        if entry.sku_id not in sku_prices:
            raise _refuse(
                "a SKU is not one of the campaign product's", "unknown_sku", sku_id=entry.sku_id
            )
        sku_price = sku_prices[entry.sku_id]
        if entry.price_fen < 1:
            raise _refuse("a group price is at least 1 fen", "invalid_price", sku_id=entry.sku_id)
        if entry.price_fen > sku_price:
            raise _refuse(
                "a group price may not be above the SKU's price",
                "price_above_sku_price",
                sku_id=entry.sku_id,
                sku_price_fen=sku_price,
            )
        leader = entry.leader_price_fen
        if leader is not None and leader < 1:
            raise _refuse("a leader price is at least 1 fen", "invalid_price", sku_id=entry.sku_id)
        if leader is not None and leader > entry.price_fen:
            raise _refuse(
                "a leader price may not be above the group price",
                "leader_price_above_group_price",
                sku_id=entry.sku_id,
            )
        rows.append(
            {"sku_id": entry.sku_id, "price_fen": entry.price_fen, "leader_price_fen": leader}
        )
    return rows


def unit_price(role: MemberRole, price_fen: int, leader_price_fen: int | None) -> int:
    """What one unit costs a member: the leader's price for a leader when there is one."""
    if role == MemberRole.LEADER and leader_price_fen is not None:
        return leader_price_fen
    return price_fen


def live(status: str, starts_at: datetime, ends_at: datetime, now: datetime) -> bool:
    return status == "active" and starts_at <= now < ends_at


def missing(size: int, member_count: int) -> int:
    """还差 N 人: paid members still needed."""
    return max(size - member_count, 0)


def success_rate_percent(completed: int, ended: int) -> int | None:
    """Completed among ended groups, in whole percent rounded half up; None when none ended."""
    if ended == 0:
        return None
    return (completed * 200 + ended) // (ended * 2)
