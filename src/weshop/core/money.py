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


BPS_WHOLE = 10_000  # basis points in 100 %


def bps_share(amount_fen: int, rate_bps: int) -> int:
    """``rate_bps`` basis points of ``amount_fen``, rounded down to the fen: what a rate
    promises on one amount (a commission per unit, say). Splitting a whole between parties
    goes through :func:`allocate` instead, so that the parts sum to it."""
    if not isinstance(amount_fen, int) or not isinstance(rate_bps, int):
        raise TypeError("a share is taken of whole fen at whole basis points: give ints")
    if amount_fen < 0 or not 0 <= rate_bps <= BPS_WHOLE:
        raise ValueError("the amount must not be negative and the rate must be 0-10000 bps")
    return amount_fen * rate_bps // BPS_WHOLE


def format_yuan(fen: int) -> str:
    """``1234`` -> ``'¥12.34'``."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}¥{yuan}.{cents:02d}"
