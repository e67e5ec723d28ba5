"""The state machines of groups and of their members, as transition tables."""

from __future__ import annotations

from weshop.core.state import StateMachine
from weshop.groupbuy.models import CampaignStatus as C
from weshop.groupbuy.models import GroupState as G
from weshop.groupbuy.models import MemberState as M

GROUP_MACHINE: StateMachine[G] = StateMachine(
    "group",
    {
        (G.PENDING, "open"): G.OPEN,  # the leader paid
        (G.PENDING, "abandon"): G.ABANDONED,  # the leader's order closed unpaid
        (G.OPEN, "complete"): G.COMPLETED,  # the N-th paid member, or the simulated fill
        (G.OPEN, "fail"): G.FAILED,  # the window ended unfilled
        (G.FAILED, "refund"): G.REFUNDING,  # every member's own order is being refunded
        (G.REFUNDING, "finish_refunds"): G.REFUNDED,
    },
)

MEMBER_MACHINE: StateMachine[M] = StateMachine(
    "group member",
    {
        (M.PENDING, "join"): M.JOINED,
        (M.PENDING, "reject"): M.REJECTED,
        (M.PENDING, "leave"): M.LEFT,
        (M.JOINED, "leave"): M.LEFT,
        (M.JOINED, "refund"): M.REFUNDED,
        (M.REJECTED, "refund"): M.REFUNDED,
    },
)

CAMPAIGN_MACHINE: StateMachine[C] = StateMachine(
    "group-buy campaign",
    {(C.ACTIVE, "stop"): C.STOPPED},
)
