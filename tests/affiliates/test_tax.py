"""The tax withheld on labour remuneration: worked examples, and Hypothesis properties against
an exact reading of the rates (Decimal yuan, rounded to the fen at the end)."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weshop.affiliates.tax import labour_remuneration

FEN = Decimal("0.01")
incomes = st.integers(min_value=0, max_value=10**10)


def reference_tax(income_fen: int) -> int:
    """The rule as the tax law states it, in yuan."""
    income = Decimal(income_fen) / 100
    if income <= 4000:
        taxable = max(Decimal(0), income - 800)
    else:
        taxable = (income * Decimal("0.8")).quantize(FEN, rounding=ROUND_DOWN)
    if taxable <= 20000:
        tax = taxable * Decimal("0.2")
    elif taxable <= 50000:
        tax = taxable * Decimal("0.3") - 2000
    else:
        tax = taxable * Decimal("0.4") - 7000
    return int(tax.quantize(FEN, rounding=ROUND_HALF_UP) * 100)


@pytest.mark.parametrize(
    ("income_yuan", "tax_yuan"),
    [
        (0, 0),
        (800, 0),
        (1000, 40),  # (1,000 − 800) × 20%
        (4000, 640),
        (5000, 800),  # 5,000 × 80% × 20%
        (30000, 5200),  # 24,000 × 30% − 2,000
        (100000, 25000),  # 80,000 × 40% − 7,000
    ],
)
def test_worked_examples(income_yuan: int, tax_yuan: int):
    assert labour_remuneration(income_yuan * 100).tax_fen == tax_yuan * 100


@given(incomes)
def test_the_tax_is_the_law_s_to_the_fen(income: int):
    withheld = labour_remuneration(income)
    assert withheld.tax_fen == reference_tax(income)
    assert withheld.taxable_fen == income - withheld.deduction_fen
    assert 0 <= withheld.tax_fen <= withheld.taxable_fen * 40 // 100 + 1
    assert withheld.net_fen == income - withheld.tax_fen


@given(incomes, st.integers(min_value=1, max_value=10**6))
def test_more_income_never_leaves_less_after_tax(income: int, more: int):
    lower, higher = labour_remuneration(income), labour_remuneration(income + more)
    assert lower.tax_fen <= higher.tax_fen
    assert lower.net_fen <= higher.net_fen


@given(st.sampled_from([400_000, 2_500_000, 6_250_000]), st.integers(min_value=-3, max_value=3))
def test_the_brackets_meet_without_a_jump(boundary: int, step: int):
    # One fen more of income never costs more than a fen of tax (40% of 80% at most).
    here, next_fen = labour_remuneration(boundary + step), labour_remuneration(boundary + step + 1)
    assert 0 <= next_fen.tax_fen - here.tax_fen <= 1


def test_a_negative_income_is_refused():
    with pytest.raises(ValueError):
        labour_remuneration(-1)
