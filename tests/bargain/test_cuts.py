"""The cut algorithm (bargain.cuts): K counted helps land exactly on the floor, each cuts at
least 1 fen, and no sequence of helps goes below the floor."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weshop.bargain.cuts import check_cut_room, cut_for, helps_needed

seeds = st.integers(min_value=0, max_value=2**62)


@st.composite
def campaigns(draw):
    helps = draw(st.integers(min_value=1, max_value=200))
    floor = draw(st.integers(min_value=0, max_value=10_000_000))
    room = draw(st.one_of(st.just(helps), st.integers(min_value=helps, max_value=5_000_000)))
    return floor + room, floor, helps


def run(start: int, floor: int, helps: int, seed: int, count: int | None = None) -> list[int]:
    """The cuts of ``count`` (default K) counted helps, as the service applies them."""
    price, cuts = start, []
    for index in range(helps if count is None else count):
        cut = cut_for(price - floor, helps - index, seed, index)
        cuts.append(cut)
        price -= cut
    return cuts


@settings(max_examples=400)
@given(campaigns(), seeds)
def test_k_counted_helps_cut_exactly_start_minus_floor(campaign, seed):
    start, floor, helps = campaign
    cuts = run(start, floor, helps, seed)
    assert len(cuts) == helps
    assert sum(cuts) == start - floor


@settings(max_examples=400)
@given(campaigns(), seeds)
def test_every_cut_is_at_least_one_fen_and_leaves_a_fen_per_help_to_come(campaign, seed):
    start, floor, helps = campaign
    price = start
    for index, cut in enumerate(run(start, floor, helps, seed)):
        assert cut >= 1
        price -= cut
        assert price - floor >= helps - index - 1


@settings(max_examples=300)
@given(campaigns(), seeds, st.integers(min_value=0, max_value=400))
def test_no_sequence_of_helps_goes_below_the_floor(campaign, seed, attempts):
    """Helps beyond K are refused by the service (counted_helps < K); any prefix of the
    counted helps leaves the price at or above the floor."""
    start, floor, helps = campaign
    counted = min(attempts, helps)
    price = start - sum(run(start, floor, helps, seed, counted))
    assert floor <= price <= start
    assert (price == floor) == (counted == helps)


@given(campaigns(), seeds)
def test_the_first_help_is_the_big_one(campaign, seed):
    start, floor, helps = campaign
    remaining = start - floor
    first = cut_for(remaining, helps, seed, 0)
    if helps > 1 and remaining * 30 // 100 <= remaining - (helps - 1):
        assert first >= max(1, remaining * 30 // 100)


@given(seeds, st.integers(min_value=1, max_value=50), st.integers(min_value=0, max_value=50))
def test_a_bargain_draws_its_k_inside_the_campaign_range(seed, least, extra):
    assert least <= helps_needed(seed, least, least + extra) <= least + extra
    assert helps_needed(seed, least, least) == least


def test_the_draw_is_fixed_by_seed_and_index():
    assert run(10_000, 1_000, 10, 42) == run(10_000, 1_000, 10, 42)
    assert run(10_000, 1_000, 10, 42) != run(10_000, 1_000, 10, 43)


def test_a_campaign_needs_a_fen_per_help():
    assert check_cut_room(1010, 1000, 10)
    assert not check_cut_room(1009, 1000, 10)
    with pytest.raises(ValueError):
        cut_for(9, 10, 1, 0)
    with pytest.raises(ValueError):
        cut_for(5, 0, 1, 0)
