"""What a line's commission comes to, from what the shopper paid for it and what went back.

Pure functions, like the ledger's targets (:mod:`weshop.ledger.targets`): a later step moves
money to match them after every event (payment, refund, settlement), and a check recomputes
them. So a refund before settlement lowers the commission in proportion, and one after
settlement lowers it the same way: the difference from what was settled is carried, negative,
against the promoter's next settlement (a claw-back), never taken silently.

- The base is what the shopper paid for the line (after its share of the order's discounts;
  shipping is not part of a line) and did not get back.
- The commission is the levels' rates summed, of the base, rounded down to the fen once
  (:func:`weshop.core.money.bps_share`), so it never exceeds the base times the rate; the
  levels split it through the one allocator (:func:`weshop.core.money.allocate`), in
  proportion to their rates.
- Two levels at most: the promoter, and the promoter's inviter when the platform's policy
  allows a second level. A third is refused by design (multi-level distribution beyond two
  levels is illegal pyramid selling).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from weshop.core.money import allocate, bps_share

MAX_RATE_BPS = 9_000  # 90%
MAX_LEVELS = 2


class TooManyLevels(ValueError):
    """A commission for a third level (or more): refused by design."""


@dataclass(frozen=True)
class Level:
    """One promoter's place in a line's commission: level 1 is the promoter who brought the
    order, level 2 their inviter."""

    promoter_id: int
    rate_bps: int


def commission_base(paid_fen: int, refunded_fen: int) -> int:
    """The fen of a line that earn commission: paid and not refunded."""
    return max(0, paid_fen - refunded_fen)


def commissions(base_fen: int, levels: Sequence[Level]) -> list[int]:
    """Each level's commission on ``base_fen``, in the order of ``levels``."""
    if len(levels) > MAX_LEVELS:
        raise TooManyLevels(
            f"commission is paid to {MAX_LEVELS} levels at most: multi-level distribution "
            "beyond two levels is illegal pyramid selling"
        )
    if base_fen < 0:
        raise ValueError("a commission base is never negative")
    rates = [level.rate_bps for level in levels]
    if any(not 0 <= rate <= MAX_RATE_BPS for rate in rates) or sum(rates) > MAX_RATE_BPS:
        raise ValueError(f"commission rates are 0 to {MAX_RATE_BPS} basis points in all")
    total = bps_share(base_fen, sum(rates))
    return allocate(total, rates) if levels else []


def claw_back(settled_fen: int, due_fen: int) -> int:
    """What a settled commission carries against the promoter's next settlement once a
    refund has lowered what is due: 0 or negative, never positive (what is due beyond what
    was settled is a later settlement's, not a correction)."""
    return min(0, due_fen - settled_fen)
