"""Money is an integer number of fen. Every split goes through :func:`allocate`.

Amounts and quantities a client sends are strict integers: ``100.0``, ``"100"`` and ``true``
are refused, not read as 100 or 1 (a form's typed text is parsed by the form itself)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import Field, StrictInt

CURRENCY = "CNY"
# One unit price may not exceed 100 million yuan; keeps every total far inside BigInteger.
MAX_UNIT_PRICE_FEN = 10_000_000_000
MAX_LINE_QUANTITY = 9_999

Fen = Annotated[
    StrictInt, Field(ge=0, le=MAX_UNIT_PRICE_FEN, description="Amount in fen (1/100 yuan).")
]
Quantity = Annotated[
    StrictInt, Field(ge=1, le=MAX_LINE_QUANTITY, description="Units of one SKU on one line.")
]


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` fen across ``weights`` by the largest-remainder method.

    The parts always sum to ``total``; each part is proportional to its weight, rounded down,
    and the fen left over go one each to the largest remainders (ties to the earlier weight).
    Zero weights get nothing unless every weight is zero, then the split is even.
    """
    if not isinstance(total, int) or not all(isinstance(w, int) for w in weights):
        raise TypeError("money is allocated in whole fen: give int total and weights")
    if total < 0:
        raise ValueError("total must not be negative")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    if not weights:
        if total:
            raise ValueError("cannot allocate a non-zero total over no weights")
        return []
    weight_sum = sum(weights)
    if weight_sum == 0:
        weights = [1] * len(weights)
        weight_sum = len(weights)
    parts = []
    remainders = []
    for index, weight in enumerate(weights):
        share, remainder = divmod(total * weight, weight_sum)
        parts.append(share)
        remainders.append((-remainder, index))
    leftover = total - sum(parts)
    for _, index in sorted(remainders)[:leftover]:
        parts[index] += 1
    return parts


def format_yuan(fen: int) -> str:
    """``1234`` -> ``'¥12.34'``."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}¥{yuan}.{cents:02d}"
