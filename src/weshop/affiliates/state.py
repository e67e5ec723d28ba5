"""The state machines of promoters, pool listings, commissions and commission holds, as
transition tables."""

from __future__ import annotations

from weshop.affiliates.models import CommissionStatus as C
from weshop.affiliates.models import HoldStatus as H
from weshop.affiliates.models import ListingStatus as L
from weshop.affiliates.models import PromoterStatus as P
from weshop.core.state import StateMachine

PROMOTER_MACHINE: StateMachine[P] = StateMachine(
    "promoter",
    {
        (P.PENDING, "approve"): P.APPROVED,
        (P.PENDING, "reject"): P.REJECTED,
    },
)

LISTING_MACHINE: StateMachine[L] = StateMachine(
    "pool listing",
    {
        (L.PENDING, "approve"): L.APPROVED,
        (L.PENDING, "reject"): L.REJECTED,
        (L.APPROVED, "take_down"): L.TAKEN_DOWN,
        # The store unlists it.
        (L.PENDING, "end"): L.ENDED,
        (L.APPROVED, "end"): L.ENDED,
        # A new plan version; the listing keeps its state (a changed rate needs no new review).
        (L.PENDING, "revise"): L.PENDING,
        (L.APPROVED, "revise"): L.APPROVED,
    },
)

# A held commission is decided once, for good.
HOLD_MACHINE: StateMachine[H] = StateMachine(
    "commission hold",
    {
        (H.HELD, "release"): H.RELEASED,
        (H.HELD, "void"): H.VOIDED,
    },
)

COMMISSION_MACHINE: StateMachine[C] = StateMachine(
    "commission",
    {
        (C.ESTIMATED, "freeze"): C.FROZEN,  # the order was paid
        (C.ESTIMATED, "cancel"): C.CANCELLED,  # closed unpaid
        (C.FROZEN, "cancel"): C.CANCELLED,  # refunded in full before settlement
        (C.FROZEN, "settle"): C.SETTLED,  # the after-sales window closed
    },
)
