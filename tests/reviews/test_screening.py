"""Screening: no mainland mobile number survives, whatever surrounds it or how it is grouped."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from weshop.reviews.screening import screen

# A mobile number as people write it: 11 digits from 13-19, maybe with single spaces or hyphens.
SURVIVING_MOBILE = re.compile(r"1[3-9](?:[ \-]?\d){9}")

mobiles = st.builds(
    lambda second, rest: f"1{second}{rest}",
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)
separators = st.sampled_from(["", " ", "-"])


@st.composite
def written(draw: st.DrawFn) -> str:
    """A mobile number with a separator or none between any two of its digits."""
    number = draw(mobiles)
    return "".join(digit + draw(separators) for digit in number[:-1]) + number[-1]


@given(st.text(max_size=40), written(), st.text(max_size=40), st.lists(written(), max_size=3))
def test_no_mobile_number_survives_screening(before, number, after, more):
    text = before + number + after + "".join(more)
    assert not SURVIVING_MOBILE.search(screen(text).text)


@given(st.text(alphabet="0123456789 -年月日元件个", max_size=80))
def test_no_mobile_number_survives_in_runs_of_digits(text):
    assert not SURVIVING_MOBILE.search(screen(text).text)


def test_masking_keeps_three_and_four():
    assert screen("电话 13800001234").text == "电话 138****1234"
    assert screen("138-0000-1234").text == "138****1234"
    assert screen("身份证 11010519491231002X").text == "身份证 110***********002X"


def test_short_numbers_are_kept():
    assert screen("买了 2 件，共 39.90 元，订单 12345").text == "买了 2 件，共 39.90 元，订单 12345"


def test_abuse_is_starred_and_flagged():
    screened = screen("客服是个傻逼，FUCK")
    assert screened.text == "客服是个**，**" and screened.flagged
    assert not screen("质量很好").flagged
