"""The pure rules of group buying, as properties."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from weshop.groupbuy import rules
from weshop.groupbuy.models import GroupState, MemberRole, MemberState
from weshop.groupbuy.state import GROUP_MACHINE, MEMBER_MACHINE


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_the_success_rate_is_a_rounded_percent(completed: int, failed: int):
    ended = completed + failed
    rate = rules.success_rate_percent(completed, ended)
    if ended == 0:
        assert rate is None
        return
    assert rate is not None and 0 <= rate <= 100
    # Within half a percent of the exact ratio, rounded half up.
    assert abs(rate * ended - 100 * completed) * 2 <= ended
    assert rate == rules.success_rate_percent(completed * 3, ended * 3)


@given(st.integers(1, 10**9), st.one_of(st.none(), st.integers(1, 10**9)))
def test_only_a_leader_pays_the_leader_price(price: int, leader: int | None):
    assert rules.unit_price(MemberRole.JOINER, price, leader) == price
    expected = price if leader is None else leader
    assert rules.unit_price(MemberRole.LEADER, price, leader) == expected


@given(st.integers(2, 50), st.integers(0, 60))
def test_missing_places_never_go_below_zero(size: int, count: int):
    assert rules.missing(size, count) == max(size - count, 0)


def test_the_group_machine_only_moves_forward():
    assert GROUP_MACHINE.target(GroupState.OPEN, "complete") == GroupState.COMPLETED
    assert GROUP_MACHINE.target(GroupState.OPEN, "fail") == GroupState.FAILED
    assert GROUP_MACHINE.target(GroupState.FAILED, "refund") == GroupState.REFUNDING
    assert GROUP_MACHINE.target(GroupState.REFUNDING, "finish_refunds") == GroupState.REFUNDED
    for state in GroupState:
        for action in ("complete", "fail"):
            if state != GroupState.OPEN:
                assert action not in GROUP_MACHINE.allowed_actions(state)
    # A completed group is never failed, nor a failed one completed.
    assert GROUP_MACHINE.allowed_actions(GroupState.COMPLETED) == []
    assert "complete" not in GROUP_MACHINE.allowed_actions(GroupState.FAILED)
    assert MEMBER_MACHINE.allowed_actions(MemberState.REFUNDED) == []
    assert MEMBER_MACHINE.allowed_actions(MemberState.LEFT) == []
