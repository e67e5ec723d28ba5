"""Properties of the one money allocator: parts are whole fen and always sum to the whole."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from weshop.core.money import BPS_WHOLE, MAX_UNIT_PRICE_FEN, allocate, bps_share, format_yuan

totals = st.integers(min_value=0, max_value=MAX_UNIT_PRICE_FEN * 10_000)
weight_lists = st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=40)
PROPERTY = settings(max_examples=200, deadline=None)


@PROPERTY
@given(total=totals, weights=weight_lists)
@example(total=1, weights=[1, 1, 1])
@example(total=100, weights=[1, 1, 1])
@example(total=10**14, weights=[10**12] * 3)
def test_parts_are_whole_fen_and_sum_exactly_to_the_total(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert all(type(part) is int for part in parts)
    assert all(part >= 0 for part in parts)
    assert sum(parts) == total


@PROPERTY
@given(total=totals, weights=weight_lists.filter(lambda ws: sum(ws) > 0))
def test_each_part_is_within_one_fen_of_its_exact_share(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, weight_sum)
        assert abs(part - exact) < 1
        # Largest remainder: the exact share rounded down, plus at most the one leftover fen.
        assert part - (total * weight // weight_sum) in (0, 1)


mixed_weights = st.tuples(
    st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=20),
    st.integers(min_value=1, max_value=20),
).flatmap(lambda pair: st.permutations(pair[0] + [0] * pair[1]))


@PROPERTY
@given(total=totals, weights=mixed_weights)
@example(total=1, weights=[0, 1, 0])
@example(total=999, weights=[0, 0, 0, 1])
def test_zero_weights_get_nothing_when_any_weight_is_positive(
    total: int, weights: list[int]
) -> None:
    parts = allocate(total, weights)
    for part, weight in zip(parts, weights, strict=True):
        if weight == 0:
            assert part == 0
    assert sum(parts) == total


@PROPERTY
@given(total=totals, size=st.integers(min_value=1, max_value=40))
def test_all_zero_weights_split_evenly(total: int, size: int) -> None:
    parts = allocate(total, [0] * size)
    assert sum(parts) == total
    assert max(parts) - min(parts) <= 1
    # The odd fen go to the earliest positions.
    assert parts == sorted(parts, reverse=True)


@PROPERTY
@given(total=totals, weights=weight_lists)
def test_deterministic(total: int, weights: list[int]) -> None:
    assert allocate(total, weights) == allocate(total, list(weights))
    assert allocate(total, tuple(weights)) == allocate(total, weights)


@PROPERTY
@given(
    total=st.integers(min_value=0, max_value=10**9),
    weight=st.integers(min_value=1, max_value=10**6),
    size=st.integers(min_value=1, max_value=40),
)
def test_equal_weights_give_the_odd_fen_to_the_earlier_index(
    total: int, weight: int, size: int
) -> None:
    parts = allocate(total, [weight] * size)
    base, extra = divmod(total, size)
    assert parts == [base + 1] * extra + [base] * (size - extra)


@PROPERTY
@given(total=totals, weights=weight_lists.filter(lambda ws: sum(ws) > 0))
def test_ties_in_remainder_go_to_the_earlier_index(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    weight_sum = sum(weights)
    remainders = [total * w % weight_sum for w in weights]
    bumped = [p - total * w // weight_sum for p, w in zip(parts, weights, strict=True)]
    # No fen skips over a larger remainder, nor over an equal remainder at an earlier index.
    for i, got_i in enumerate(bumped):
        for j, got_j in enumerate(bumped):
            if got_i == 0 and got_j == 1:
                assert remainders[i] < remainders[j] or (
                    remainders[i] == remainders[j] and i > j
                ), (i, j, remainders, bumped)


@PROPERTY
@given(
    total=totals,
    weights=weight_lists.filter(lambda ws: sum(ws) > 0),
    factor=st.integers(min_value=2, max_value=1000),
)
def test_scaling_every_weight_changes_nothing(total: int, weights: list[int], factor: int) -> None:
    assert allocate(total, [w * factor for w in weights]) == allocate(total, weights)


def test_known_splits() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(1, [1, 1]) == [1, 0]
    assert allocate(10, [0, 3, 0, 7]) == [0, 3, 0, 7]
    assert allocate(7, [0, 0]) == [4, 3]
    assert allocate(1000, [3333, 3333, 3334]) == [333, 333, 334]
    assert allocate(0, [5, 5]) == [0, 0]
    assert allocate(0, []) == []


@pytest.mark.parametrize(
    ("total", "weights"),
    [(-1, [1]), (100, [1, -1]), (0, [-5]), (5, [])],
)
def test_refuses_negatives_and_nothing_to_split_over(total: int, weights: list[int]) -> None:
    with pytest.raises(ValueError):
        allocate(total, weights)


@pytest.mark.parametrize(("total", "weights"), [(10.0, [1, 1]), (10, [0.5, 0.5]), (99.9, [1])])
def test_never_returns_floats(total: float, weights: list[float]) -> None:
    with pytest.raises(TypeError):
        allocate(total, weights)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "¥0.00"),
        (1, "¥0.01"),
        (10, "¥0.10"),
        (99, "¥0.99"),
        (100, "¥1.00"),
        (1234, "¥12.34"),
        (100_000_000, "¥1000000.00"),
        (-5, "-¥0.05"),
        (-1234, "-¥12.34"),
    ],
)
def test_format_yuan(fen: int, text: str) -> None:
    assert format_yuan(fen) == text


@PROPERTY
@given(fen=st.integers(min_value=-(10**15), max_value=10**15))
def test_format_yuan_reads_back_to_the_same_fen(fen: int) -> None:
    text = format_yuan(fen)
    match = re.fullmatch(r"(-?)¥(\d+)\.(\d{2})", text)
    assert match, text
    sign = -1 if match[1] else 1
    assert sign * (int(match[2]) * 100 + int(match[3])) == fen


@given(
    st.integers(min_value=0, max_value=MAX_UNIT_PRICE_FEN),
    st.integers(min_value=0, max_value=BPS_WHOLE),
)
def test_a_bps_share_is_the_exact_share_rounded_down(amount: int, rate: int) -> None:
    share = bps_share(amount, rate)
    exact = Fraction(amount * rate, BPS_WHOLE)
    assert isinstance(share, int) and share <= exact < share + 1


def test_known_bps_shares() -> None:
    assert bps_share(1999, 1234) == 246  # 246.6766
    assert bps_share(1999, 3333) == 666  # 666.2667
    assert bps_share(100, 10_000) == 100 and bps_share(100, 0) == 0


@pytest.mark.parametrize(("amount", "rate"), [(-1, 100), (100, -1), (100, 10_001)])
def test_a_bps_share_refuses_negatives_and_rates_over_100_percent(amount: int, rate: int) -> None:
    with pytest.raises(ValueError):
        bps_share(amount, rate)


def test_a_bps_share_refuses_floats() -> None:
    with pytest.raises(TypeError):
        bps_share(19.99, 1000)  # type: ignore[arg-type]
