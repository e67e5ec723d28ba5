"""A quote's worksheet: the working state of one quote, shared by the steps.

Mutable on purpose: the steps run in a fixed order over one list of lines whose payable
shrinks step by step, and ``quote.py`` freezes the result into the output models once at the
end (building frozen models after every step would cost most of a quote's time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from weshop.core.money import allocate
from weshop.pricing.inputs import CartLine, Funder

AdjustmentKind = Literal["member_price", "campaign_price", "full_reduction", "coupon", "points"]
PromotionKind = Literal["full_reduction", "coupon", "points"]


class Entry(NamedTuple):
    """One adjustment of one line; ``amount_fen`` is a discount, so never positive.

    A named tuple: there is one per line and step, and it is the cheapest record to build."""

    kind: AdjustmentKind
    source_id: str
    label: str
    amount_fen: int
    funded_by: Funder


@dataclass(slots=True)
class WorkLine:
    cart: CartLine
    unit_fen: int
    payable_fen: int
    entries: list[Entry]
    # The kind of campaign whose price the line carries (``CampaignPrice.kind``), if any.
    campaign_kind: str | None = None


@dataclass(frozen=True, slots=True)
class Applied:
    """An order-level discount (full reduction, coupon, points) and the fen each line gave."""

    kind: PromotionKind
    source_id: str
    label: str
    store_id: int | None
    funded_by: Funder
    shares: tuple[tuple[int, int], ...]  # (sku_id, fen taken), one per covered line

    @property
    def amount_fen(self) -> int:
        return sum(share for _, share in self.shares)


def apportion(
    lines: Sequence[WorkLine],
    total_fen: int,
    *,
    kind: PromotionKind,
    source_id: str,
    label: str,
    store_id: int | None,
    funded_by: Funder,
) -> Applied:
    """Take ``total_fen`` off ``lines`` in proportion to what each still costs.

    Weighting by the current payable means no line gives more than it has left, as long as
    ``total_fen`` does not exceed the lines' payable sum, which every caller guarantees.
    """
    shares = allocate(total_fen, [line.payable_fen for line in lines])
    for line, share in zip(lines, shares, strict=True):
        if share:
            line.payable_fen -= share
            line.entries.append(Entry(kind, source_id, label, -share, funded_by))
    return Applied(
        kind=kind,
        source_id=source_id,
        label=label,
        store_id=store_id,
        funded_by=funded_by,
        shares=tuple((line.cart.sku_id, share) for line, share in zip(lines, shares, strict=True)),
    )
