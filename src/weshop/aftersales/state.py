"""The after-sales request's state machine.

Waiting states and who they wait for: ``requested`` (the store), ``proposed`` and
``rejected`` (the shopper), ``awaiting_return`` (the shopper's parcel), ``return_shipped``
(the store's receipt), ``awaiting_exchange`` (the store's new parcel), ``disputed`` (the
platform), ``refunding`` (the payment provider). The rest are final.
"""

from __future__ import annotations

from weshop.aftersales.models import RequestStatus as S
from weshop.core.state import StateMachine

REQUEST_MACHINE: StateMachine[S] = StateMachine(
    "after-sales request",
    {
        # The store answers (or its time runs out: the same approval, by the system).
        (S.REQUESTED, "approve_refund"): S.REFUNDING,
        (S.REQUESTED, "approve_return"): S.AWAITING_RETURN,
        (S.REQUESTED, "reject"): S.REJECTED,
        (S.REQUESTED, "propose"): S.PROPOSED,
        (S.PROPOSED, "propose"): S.PROPOSED,
        # The shopper answers.
        (S.REQUESTED, "edit"): S.REQUESTED,
        (S.PROPOSED, "edit"): S.REQUESTED,
        (S.REJECTED, "edit"): S.REQUESTED,
        (S.PROPOSED, "accept_refund"): S.REFUNDING,
        (S.PROPOSED, "accept_return"): S.AWAITING_RETURN,
        (S.REQUESTED, "withdraw"): S.WITHDRAWN,
        (S.PROPOSED, "withdraw"): S.WITHDRAWN,
        (S.REJECTED, "withdraw"): S.WITHDRAWN,
        (S.AWAITING_RETURN, "withdraw"): S.WITHDRAWN,
        (S.PROPOSED, "expire"): S.CLOSED,
        (S.REJECTED, "expire"): S.CLOSED,
        # Either side takes it to the platform.
        (S.REQUESTED, "escalate"): S.DISPUTED,
        (S.PROPOSED, "escalate"): S.DISPUTED,
        (S.REJECTED, "escalate"): S.DISPUTED,
        (S.RETURN_SHIPPED, "escalate"): S.DISPUTED,
        (S.DISPUTED, "decide_refund"): S.REFUNDING,
        (S.DISPUTED, "decide_reject"): S.CLOSED,
        # The return.
        (S.AWAITING_RETURN, "ship_return"): S.RETURN_SHIPPED,
        (S.AWAITING_RETURN, "expire"): S.CLOSED,
        (S.RETURN_SHIPPED, "receive_refund"): S.REFUNDING,
        (S.RETURN_SHIPPED, "receive_exchange"): S.AWAITING_EXCHANGE,
        (S.AWAITING_EXCHANGE, "ship_exchange"): S.EXCHANGED,
        # A deadline finds nothing left to refund (a staff refund took it meanwhile).
        (S.REQUESTED, "close_nothing_left"): S.CLOSED,
        (S.RETURN_SHIPPED, "close_nothing_left"): S.CLOSED,
        # The provider paid the refund.
        (S.REFUNDING, "refund_succeeded"): S.REFUNDED,
    },
)

# Requests still under way: one per order line at a time, and they hold the settlement.
OPEN_STATUSES = frozenset(
    {
        S.REQUESTED,
        S.PROPOSED,
        S.REJECTED,
        S.AWAITING_RETURN,
        S.RETURN_SHIPPED,
        S.AWAITING_EXCHANGE,
        S.DISPUTED,
        S.REFUNDING,
    }
)
FINAL_STATUSES = frozenset(set(S) - OPEN_STATUSES)
