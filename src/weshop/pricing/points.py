"""Step 4, points per store (the first ``PointsOffer`` of a store counts).

Value: ``min(requested, balance) * fen_per_point``, capped at
``floor(store goods payable * max_share_percent / 100)``; only whole points are spent, so the
value is then rounded down to a multiple of ``fen_per_point``. Apportioned over the store's
lines by what each still costs; funded by the merchant whose points they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from weshop.pricing.inputs import Funder, PointsOffer
from weshop.pricing.worksheet import Applied, WorkLine, apportion


@dataclass(frozen=True, slots=True)
class PointsSpent:
    points: int
    applied: Applied


def points_value_fen(offer: PointsOffer, goods_payable_fen: int) -> tuple[int, int]:
    """(points used, their value in fen) for a store whose goods cost ``goods_payable_fen``."""
    wanted = min(offer.requested, offer.balance) * offer.fen_per_point
    value = min(wanted, goods_payable_fen * offer.max_share_percent // 100)
    used = value // offer.fen_per_point
    return used, used * offer.fen_per_point


def apply_points(
    stores: Mapping[int, Sequence[WorkLine]], offers: Sequence[PointsOffer]
) -> dict[int, PointsSpent]:
    spent: dict[int, PointsSpent] = {}
    seen: set[int] = set()
    for offer in offers:
        lines = stores.get(offer.store_id)
        if offer.store_id in seen or not lines:
            continue
        seen.add(offer.store_id)
        used, value = points_value_fen(offer, sum(line.payable_fen for line in lines))
        if used == 0:
            continue
        spent[offer.store_id] = PointsSpent(
            used,
            apportion(
                lines,
                value,
                kind="points",
                source_id=str(offer.store_id),
                label=f"{used} points",
                store_id=offer.store_id,
                funded_by=Funder.MERCHANT,
            ),
        )
    return spent
