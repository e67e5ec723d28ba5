"""Commission amounts (``affiliates.commission``): exact to the fen, never above the base
times the rate, lowered in proportion by refunds, two levels at most."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weshop.affiliates.commission import (
    Level,
    TooManyLevels,
    claw_back,
    commission_base,
    commissions,
)
from weshop.core.money import BPS_WHOLE

PROPERTY = settings(max_examples=400, deadline=None)
bases = st.integers(0, 10**10)
levels = st.lists(
    st.builds(Level, promoter_id=st.integers(1, 9), rate_bps=st.integers(0, 4500)),
    max_size=2,
)


def test_a_line_s_commission_by_example():
    assert commissions(2700, [Level(1, 1000)]) == [270]
    # ¥27.01 at 10% and 3%: 351.13 fen in all, rounded down, split 10:3 by the allocator.
    assert commissions(2701, [Level(1, 1000), Level(2, 300)]) == [270, 81]
    assert commissions(0, [Level(1, 9000)]) == [0]
    assert commissions(100, []) == []


def test_a_third_level_is_refused_by_design():
    with pytest.raises(TooManyLevels, match="pyramid"):
        commissions(1000, [Level(1, 100), Level(2, 100), Level(3, 100)])


@pytest.mark.parametrize("rates", [[-1], [9001], [5000, 4001]])
def test_rates_outside_0_to_90_percent_are_refused(rates):
    with pytest.raises(ValueError, match="basis points"):
        commissions(1000, [Level(i, rate) for i, rate in enumerate(rates, 1)])


@PROPERTY
@given(bases, levels)
def test_the_commission_is_exact_and_never_above_the_base_times_the_rate(base, chosen):
    parts = commissions(base, chosen)
    rate = sum(level.rate_bps for level in chosen)
    exact = Fraction(base * rate, BPS_WHOLE)
    assert sum(parts) <= exact < sum(parts) + 1
    for part, level in zip(parts, chosen, strict=True):
        share = Fraction(sum(parts) * level.rate_bps, rate) if rate else 0
        assert abs(part - share) < 1  # each level within a fen of its share of the total


@PROPERTY
@given(bases, st.integers(0, 10**10), st.integers(0, 10**10), levels)
def test_refunds_lower_the_commission_in_proportion_and_never_raise_it(
    paid, refunded, more, chosen
):
    before = sum(commissions(commission_base(paid, refunded), chosen))
    after = sum(commissions(commission_base(paid, refunded + more), chosen))
    assert after <= before
    assert claw_back(before, after) == after - before <= 0
    assert claw_back(after, before) == 0
