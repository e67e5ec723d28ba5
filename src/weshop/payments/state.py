"""Payment and refund state machines."""

from __future__ import annotations

from weshop.core.state import StateMachine
from weshop.payments.models import PaymentStatus as P
from weshop.payments.models import RefundStatus as R

PAYMENT_MACHINE: StateMachine[P] = StateMachine(
    "payment",
    {
        (P.PENDING, "succeed"): P.SUCCEEDED,
        (P.PENDING, "close"): P.CLOSED,
        # The provider had already taken the money when we closed: its word wins.
        (P.CLOSED, "succeed"): P.SUCCEEDED,
    },
)

REFUND_MACHINE: StateMachine[R] = StateMachine(
    "refund",
    {
        (R.PENDING, "succeed"): R.SUCCEEDED,
        (R.PENDING, "fail"): R.FAILED,
    },
)
