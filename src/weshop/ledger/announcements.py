"""What the ledger asks of and announces to the domains above it at settlement
(:mod:`weshop.core.events`): the commissions an order's promoters have earned, which the
settlement cuts from the store's share (the alliance pool answers), and the settlement
itself, in its transaction; and whether after-sales still holds the order open (after-sales
answers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from weshop.core.events import Question


@dataclass(frozen=True)
class AftersalesUnderWay(Question[bool]):
    """Whether an after-sales request of the order is still under way: its settlement waits
    for the last one to finish (which asks for the settlement again), so that the money a
    request may give back is still the store's to give."""

    order_id: int


@dataclass(frozen=True)
class CommissionDue:
    """One promoter's commission on one line of the order, due at its settlement.
    ``payout_openid``: where the provider sends it; None keeps it owed by the store."""

    promoter_id: int
    order_line_id: int
    amount_fen: int
    payout_openid: str | None


@dataclass(frozen=True)
class OrderCommissions(Question[list[CommissionDue]]):
    """The commissions due on the order now that its after-sales window closed."""

    order_id: int


@dataclass(frozen=True)
class CommissionPaid:
    """What became of one commission at settlement: sent to the promoter, and set against
    their claw-backs owed to the store (carried from earlier refunds after settlement)."""

    promoter_id: int
    order_line_id: int
    paid_out_fen: int
    carried_fen: int


@dataclass(frozen=True)
class OwedCommissionPaid:
    """What the settlement of another order of the store did with the commission it owed the
    promoter from earlier settlements (no payout account then): set against their claw-backs
    owed to the store (netted), and sent to them by the provider."""

    promoter_id: int
    store_id: int
    carried_fen: int
    paid_out_fen: int


@dataclass(frozen=True)
class OrderSettled:
    """The ledger settled the order (its commissions included, and the commission owed from
    earlier settlements of the store that it netted or paid)."""

    order_id: int
    settled_at: datetime
    commissions: tuple[CommissionPaid, ...] = ()
    owed_paid: tuple[OwedCommissionPaid, ...] = ()


@dataclass(frozen=True)
class PayoutAccounts(Question[dict[int, str]]):
    """The payout openid of each of these promoters who has one now: the settlement pays
    owed commission to them, reconciliation names the ledger's commissions as the provider
    does."""

    promoter_ids: frozenset[int]


@dataclass(frozen=True)
class CommissionClawedBack:
    """What refunds after settlement took back of one promoter's commission on one line."""

    promoter_id: int
    order_line_id: int
    amount_fen: int


@dataclass(frozen=True)
class OrderClawBacks(Question[list[CommissionClawedBack]]):
    """After a refund of a settled order (the refund counted): each commission's claw-back."""

    order_id: int


@dataclass(frozen=True)
class CommissionsUnderReview(Question[bool]):
    """Whether a commission of the order waits for the platform's review (a fraud hold): the
    settlement waits too, and the alliance pool asks for it again once the review is done."""

    order_id: int
