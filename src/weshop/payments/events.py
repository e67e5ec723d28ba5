"""What payments announce in the transaction of their cause (:mod:`weshop.core.events`), and
what they ask of the books above them. The ledger subscribes: a payment's or a refund's
journal entry commits with it, or neither does."""

from __future__ import annotations

from dataclasses import dataclass

from weshop.core.events import Question
from weshop.orders.parts import Part
from weshop.payments.models import Payment, Refund


@dataclass(frozen=True)
class PaymentSucceeded:
    """The provider (or, for an order costing nothing, nobody) took the money. ``accepted``:
    the order took it as its payment; otherwise it goes back in full."""

    payment: Payment
    accepted: bool


@dataclass(frozen=True)
class RefundSucceeded:
    """The provider paid a refund back to the shopper."""

    refund: Refund


@dataclass(frozen=True)
class FreeOrderCancelled:
    """A paid order that cost nothing was cancelled: there is no money to give back."""

    order_id: int


@dataclass(frozen=True)
class IsOrderSettled(Question[bool]):
    """Whether the order's money was settled (and the settlement not reversed)."""

    order_id: int


@dataclass(frozen=True)
class PlatformSharesAfterRefunds(Question[tuple[int, int]]):
    """The order's platform fee and platform subsidy once ``refunded`` (by part) has gone back
    to the shopper: what the platform may keep of its split, and what the store may keep of
    the subsidy, at the provider."""

    order_id: int
    refunded: dict[Part, int]


@dataclass(frozen=True)
class PayerOpenid(Question[str | None]):
    """The shopper's openid under this WeChat appid (a JSAPI or mini-program payment's payer),
    or None when WeShop knows none: the shopper has not signed in through that app."""

    user_id: int
    appid: str
