"""What an order's platform fee and platform subsidy come to, from what was paid and refunded.

Pure functions: the posting service moves money to match them after every event, and the
check recomputes them to verify the ledger. An order's money comes in *parts*
(:mod:`weshop.orders.parts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from weshop.core.money import allocate
from weshop.orders.parts import Part

BASIS_POINTS = 10_000


@dataclass(frozen=True)
class OrderFacts:
    """What the ledger needs to know of an order, read once per posting or check."""

    payable: dict[Part, int]  # the price of each part, as the order records it
    # Fee rates fixed at payment; None while no payment was accepted: no fee, no subsidy.
    rates: dict[Part, int] | None
    subsidies: dict[int, int]  # platform-funded discount per line, in fen
    cancelled: bool = False  # the order was cancelled (its money, if any, goes back)


@dataclass(frozen=True)
class Targets:
    fee: dict[Part, int]
    subsidy: dict[int, int]


def fee_base(paid: int, refunded: int, payable: int) -> int:
    """The fen of one part the fee is charged on: paid and not refunded, capped at the part's
    price (a second payment waiting to be returned earns the platform nothing)."""
    return max(0, min(paid - refunded, payable))


def fee_split(bases: Mapping[Part, int], rates: Mapping[Part, int]) -> dict[Part, int]:
    """The order's fee, rounded half up to the fen once, then split over its parts."""
    parts = list(bases)
    weights = [bases[part] * rates[part] for part in parts]
    total = (sum(weights) + BASIS_POINTS // 2) // BASIS_POINTS
    return dict(zip(parts, allocate(total, weights), strict=True))


def subsidy_due(subsidy: int, base: int, payable: int, *, order_kept: bool) -> int:
    """What the platform still owes for one line's platform-funded discount: in proportion to
    what the shopper kept paid of the line. A line the shopper paid nothing for keeps its
    subsidy unless the order's money all went back, or the order, costing nothing, was
    cancelled."""
    if payable == 0:
        return subsidy if order_kept else 0
    return allocate(subsidy, [base, payable - base])[0]


def targets(facts: OrderFacts, paid: Mapping[Part, int], refunded: Mapping[Part, int]) -> Targets:
    if facts.rates is None:
        return Targets(fee={}, subsidy={})
    bases = {
        part: fee_base(paid.get(part, 0), refunded.get(part, 0), payable)
        for part, payable in facts.payable.items()
    }
    kept = any(bases.values()) or not (any(refunded.values()) or facts.cancelled)
    subsidy = {
        line: subsidy_due(amount, bases[line], facts.payable[line], order_kept=kept)
        for line, amount in facts.subsidies.items()
    }
    return Targets(fee=fee_split(bases, facts.rates), subsidy=subsidy)
