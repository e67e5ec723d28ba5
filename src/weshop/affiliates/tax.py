"""The individual income tax withheld on a promoter's commission, paid as labour remuneration
(劳务报酬所得, withheld in advance by the payer), in fen.

Per payment (a month's commissions are one payment: continuous income of one kind counts
by the month):
- the deduction is 800 yuan when the income is at most 4,000 yuan, else 20% of it; the
  taxable income is what is left, never below 0 (20% off leaves 80%, rounded down to the
  fen, in the promoter's favour);
- the tax is the taxable income times 20% (up to 20,000 yuan), 30% less a 2,000 yuan quick
  deduction (over 20,000 up to 50,000), 40% less 7,000 yuan (over 50,000), rounded half up to
  the fen once.
The brackets meet: the tax never jumps at a boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

FLAT_DEDUCTION_LIMIT_FEN = 400_000  # 4,000 yuan
FLAT_DEDUCTION_FEN = 80_000  # 800 yuan
PERCENT_DEDUCTION = 20
# (taxable income up to, in fen; rate in percent; quick deduction in fen); the last is open.
BRACKETS: tuple[tuple[int | None, int, int], ...] = (
    (2_000_000, 20, 0),
    (5_000_000, 30, 200_000),
    (None, 40, 700_000),
)


@dataclass(frozen=True)
class Withholding:
    income_fen: int
    deduction_fen: int
    taxable_fen: int
    rate_percent: int
    quick_deduction_fen: int
    tax_fen: int

    @property
    def net_fen(self) -> int:
        return self.income_fen - self.tax_fen


def labour_remuneration(income_fen: int) -> Withholding:
    """The withholding on one payment of ``income_fen`` (0 or more)."""
    if income_fen < 0:
        raise ValueError("an income is never negative")
    if income_fen <= FLAT_DEDUCTION_LIMIT_FEN:
        deduction = min(income_fen, FLAT_DEDUCTION_FEN)
    else:
        deduction = income_fen - income_fen * (100 - PERCENT_DEDUCTION) // 100
    taxable = income_fen - deduction
    rate, quick = next(
        (rate, quick) for ceiling, rate, quick in BRACKETS if ceiling is None or taxable <= ceiling
    )
    tax = (taxable * rate + 50) // 100 - quick
    return Withholding(income_fen, deduction, taxable, rate, quick, tax)
