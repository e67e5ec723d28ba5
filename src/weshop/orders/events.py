"""What orders announce in the transaction of their cause (:mod:`weshop.core.events`): every
checkout's placed orders (:class:`OrdersPlaced`, for the alliance pool to attribute each
line to a promoter, or to nobody, as the orders are placed), every order's closing
(:class:`OrderClosed`, for its commissions), and the life of a campaign
order, for the campaign domains above (group buying, bargaining, flash sales) to keep their
groups, bargains and campaign stock in step with their orders. Only orders placed in a
campaign (``Order.campaign_kind``) announce the campaign events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from weshop.orders.models import CampaignKind, Order, OrderLine


@dataclass(frozen=True)
class PlacedLine:
    order_id: int
    order_line_id: int
    store_id: int
    product_id: int
    sku_id: int
    payable_fen: int


@dataclass(frozen=True)
class OrdersPlaced:
    """A checkout placed its orders (one per store), inside the checkout's transaction: every
    line of every order is announced, campaign orders included."""

    user_id: int
    placed_at: datetime
    lines: tuple[PlacedLine, ...]

    @classmethod
    def of(cls, user_id: int, placed_at: datetime, lines: list[OrderLine]) -> OrdersPlaced:
        return cls(
            user_id=user_id,
            placed_at=placed_at,
            lines=tuple(
                PlacedLine(
                    order_id=line.order_id,
                    order_line_id=line.id,
                    store_id=line.store_id,
                    product_id=line.product_id,
                    sku_id=line.sku_id,
                    payable_fen=line.payable_fen,
                )
                for line in lines
            ),
        )


@dataclass(frozen=True)
class OrderClosed:
    """Any order was cancelled or expired (inside that transaction): ``was_paid`` False when
    it closed unpaid, True when its money is on its way back (the refunds announce
    themselves)."""

    order_id: int
    was_paid: bool


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


@dataclass(frozen=True)
class OrderShipped:
    """Staff shipped packages of an order (inside that transaction): announced on every
    shipment, partial ones too, with the first package of this shipment; subscribers
    deduplicate what must happen once per order."""

    order_id: int
    user_id: int
    store_id: int
    carrier: str
    tracking_no: str
    shipped_at: datetime
