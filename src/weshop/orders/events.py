"""What orders announce in the transaction of their cause (:mod:`weshop.core.events`): the
life of a campaign order, for the campaign domains above (group buying, bargaining, flash
sales) to keep their groups, bargains and campaign stock in step with their orders. Only
orders placed in a campaign (``Order.campaign_kind``) announce."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from weshop.orders.models import CampaignKind, Order


@dataclass(frozen=True)
class CampaignOrderPaid:
    """A campaign order was paid (inside the payment's transaction, before its stock is sold).
    A subscriber that must give the money back does so after commit, through the outbox
    (``orders.service.cancel``), never inside this transaction."""

    order_id: int
    user_id: int
    store_id: int
    kind: CampaignKind
    campaign_id: int
    entry_id: int | None
    paid_at: datetime

    @classmethod
    def of(cls, order: Order, paid_at: datetime) -> CampaignOrderPaid:
        assert order.campaign_kind is not None and order.campaign_id is not None
        return cls(
            order_id=order.id,
            user_id=order.user_id,
            store_id=order.store_id,
            kind=order.campaign_kind,
            campaign_id=order.campaign_id,
            entry_id=order.campaign_entry_id,
            paid_at=paid_at,
        )


@dataclass(frozen=True)
class CampaignOrderClosed:
    """A campaign order was cancelled or expired unpaid (``was_paid`` False: its place or
    unit is free again), or cancelled after payment (``was_paid`` True: its money is on its
    way back). ``reason`` is the order's action: ``cancel``, ``expire``,
    ``cancel_with_refund``."""

    order_id: int
    user_id: int
    store_id: int
    kind: CampaignKind
    campaign_id: int
    entry_id: int | None
    was_paid: bool
    reason: str

    @classmethod
    def of(cls, order: Order, *, was_paid: bool, reason: str) -> CampaignOrderClosed:
        assert order.campaign_kind is not None and order.campaign_id is not None
        return cls(
            order_id=order.id,
            user_id=order.user_id,
            store_id=order.store_id,
            kind=order.campaign_kind,
            campaign_id=order.campaign_id,
            entry_id=order.campaign_entry_id,
            was_paid=was_paid,
            reason=reason,
        )
