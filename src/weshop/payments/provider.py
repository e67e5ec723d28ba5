"""What WeShop needs from a payment provider. The sandbox and WeChat Pay implement it.

``sub_mchid`` is the store's sub-merchant number at a provider that pays each store directly
(WeChat Pay's platform / partner mode); ``payer_ip`` is the shopper's IP address, which some
payment methods (WeChat Pay H5) require. Providers that need neither ignore them.

A provider says which channels (:class:`~weshop.payments.models.PaymentChannel`) it can take;
a payment in WeChat (JSAPI, mini-program) names its :class:`InAppPayer` and answers a prepay
id, which :meth:`PaymentProvider.pay_params` signs for the payer's client.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from weshop.core.errors import Conflict, ProviderError
from weshop.payments.models import PaymentChannel

CHANNEL_UNSUPPORTED = "payment_channel_unsupported"


class InvalidNotification(Exception):
    """A notification that fails verification: bad signature, stale, malformed."""


class SplitCapExceeded(ProviderError):
    """The provider refused a settlement's split: it would send receivers more of the
    payment than the merchant authorised (WeChat Pay's maximum split ratio). Repeating it
    cannot help; the money stays with the provider until a person settles it."""

    code = "split_cap_exceeded"


class ProviderRefundStatus(enum.StrEnum):
    SUCCEEDED = "succeeded"
    PROCESSING = "processing"
    FAILED = "failed"


class ChannelUnsupported(Conflict):
    """The provider has no notion of this channel (the sandbox cannot pay inside WeChat)."""

    code = CHANNEL_UNSUPPORTED


@dataclass(frozen=True)
class InAppPayer:
    """Who pays inside WeChat: their openid under the app the payment is made in.
    ``store_app``: the store's own app, which partner mode pays as the sub-merchant's
    (``sub_appid`` + ``sub_openid``) rather than the platform's (``sp_appid`` + ``sp_openid``)."""

    appid: str
    openid: str
    store_app: bool

    def __repr__(self) -> str:  # an openid is personal data: never in a log or traceback
        return f"InAppPayer(appid={self.appid!r}, store_app={self.store_app!r})"


@dataclass(frozen=True)
class CreatedPayment:
    """Where the payer pays: a cashier URL (H5, Native), or a prepay id for the payer's
    WeChat client (in-app channels) and when it stops being usable."""

    cashier_url: str = ""
    prepay_id: str | None = None
    prepay_expires_at: datetime | None = None


@dataclass(frozen=True)
class SubPayment:
    """One order's part of a combined payment: its own payment number, amount and
    description, paid to its store's sub-merchant (partner mode)."""

    out_trade_no: str
    amount_fen: int
    description: str
    attach: str
    sub_mchid: str | None = None


@dataclass(frozen=True)
class ProviderRefund:
    refund_id: str
    status: ProviderRefundStatus
    failure_reason: str = ""


@dataclass(frozen=True)
class RefundUpdate:
    """A verified word from the provider on a refund (its callback): its status now."""

    out_refund_no: str
    amount_fen: int
    refund: ProviderRefund


@dataclass(frozen=True)
class PaymentNotice:
    """A verified notification that a payment succeeded."""

    notification_id: str
    out_trade_no: str
    transaction_id: str
    amount_fen: int
    paid_at: datetime
    raw: dict


@dataclass(frozen=True)
class PromoterPayout:
    """A promoter's commission, split at settlement to their payout account (a WeChat openid
    under the platform's appid)."""

    openid: str
    amount_fen: int


def strict_fen(value: object) -> int:
    """An amount read from a provider's payload (a callback or an answer): a JSON integer of
    fen and nothing else. ``3300.5``, ``3300.0``, ``"3300"`` and ``true`` raise ValueError
    rather than be read as something close: a signed payload that says so is wrong, not
    roughly right."""
    if type(value) is not int:
        raise ValueError(f"the amount {value!r} is not an integer number of fen")
    return value


def query_notification_id(transaction_id: str) -> str:
    """The id under which a payment found by querying is stored: one per transaction, so
    asking again (or querying twice) stores it once."""
    return f"query:{transaction_id}"


class PaymentProvider(Protocol):
    name: str
    # True when every payment belongs to a store's sub-merchant (WeChat Pay partner mode).
    partner: bool
    # The channels it can take, and the one a payment takes when none is asked for.
    channels: frozenset[PaymentChannel]
    default_channel: PaymentChannel
    # True when it takes one payment for the orders of several stores (combined payment).
    combines: bool

    async def create_payment(
        self,
        *,
        out_trade_no: str,
        amount_fen: int,
        description: str,
        expires_at: datetime,
        sub_mchid: str | None = None,
        payer_ip: str | None = None,
        channel: PaymentChannel | None = None,
        payer: InAppPayer | None = None,
    ) -> CreatedPayment:
        """Open a payment at the provider in ``channel`` (its default when None; ``payer``
        for an in-app channel); idempotent by ``out_trade_no``: asked again with the same
        parameters it answers the same payment (a fresh prepay id once the old expired).
        A channel it cannot take raises :class:`ChannelUnsupported`."""

    async def create_combined_payment(
        self,
        *,
        combine_out_trade_no: str,
        parts: Sequence[SubPayment],
        description: str,
        expires_at: datetime,
        payer_ip: str | None = None,
        channel: PaymentChannel | None = None,
        payer: InAppPayer | None = None,
    ) -> CreatedPayment:
        """Open one payment of several orders (``parts``, each paid to its own store),
        answered as :meth:`create_payment` answers; idempotent by
        ``combine_out_trade_no``. The parts are paid together or not at all."""

    async def close_combined_payment(
        self, combine_out_trade_no: str, parts: Sequence[SubPayment]
    ) -> None:
        """Stop a still-open combined payment (all its parts) from being paid."""

    async def query_combined_payment(self, combine_out_trade_no: str) -> list[PaymentNotice]:
        """Ask whether a combined payment succeeded: a notice per part (ids derived from
        each part's transaction), or none while it is unpaid."""

    def verify_combined_notification(
        self, headers: Mapping[str, str], body: bytes
    ) -> list[PaymentNotice]:
        """Check a combined payment's callback as :meth:`verify_notification` does; one
        notice per part, each with its own id (so each is stored and applied once)."""

    def pay_params(self, appid: str, prepay_id: str) -> dict[str, str]:
        """The parameters the payer's WeChat client needs to pay a prepay id (JSAPI's
        ``getBrandWCPayRequest``, ``wx.chooseWXPay``, ``wx.requestPayment``), signed now."""

    async def close_payment(self, out_trade_no: str, *, sub_mchid: str | None = None) -> None:
        """Stop a still-open payment from being paid."""

    async def query_payment(
        self, out_trade_no: str, *, sub_mchid: str | None = None
    ) -> PaymentNotice | None:
        """Ask whether a payment succeeded (for when its callback never came): a notice
        whose id derives from the transaction id, or None while it is unpaid."""

    async def refund(
        self,
        *,
        out_trade_no: str,
        out_refund_no: str,
        amount_fen: int,
        total_fen: int,
        reason: str,
        sub_mchid: str | None = None,
    ) -> ProviderRefund:
        """Give money back; idempotent by ``out_refund_no``."""

    async def query_refund(
        self, out_refund_no: str, *, sub_mchid: str | None = None
    ) -> ProviderRefund:
        """Ask how a refund stands (for one the provider is still processing)."""

    async def return_fee(
        self,
        *,
        out_order_no: str,
        out_return_no: str,
        amount_fen: int,
        sub_mchid: str | None = None,
    ) -> None:
        """Before a refund of a settled order: the platform gives the store back the part of
        its fee that the refund takes away (a split return); idempotent by ``out_return_no``."""

    async def settle(
        self,
        *,
        transaction_id: str,
        out_order_no: str,
        platform_fee_fen: int,
        platform_subsidy_fen: int = 0,
        promoter_payouts: Sequence[PromoterPayout] = (),
        sub_mchid: str | None = None,
    ) -> None:
        """The order's after-sales window closed: pay in the discounts the platform funded,
        give the platform its fee, each promoter their commission and the store the rest, as
        instructions to the provider; idempotent by ``out_order_no``. Raises
        :class:`SplitCapExceeded` when the provider refuses the split's total."""

    async def return_subsidy(
        self,
        *,
        out_order_no: str,
        transaction_id: str,
        refund_id: str,
        amount_fen: int,
        sub_mchid: str | None = None,
    ) -> None:
        """After a refund of a settled order: the platform takes back the part of its subsidy
        the refund took away; idempotent by ``out_order_no``."""

    def verify_notification(self, headers: Mapping[str, str], body: bytes) -> PaymentNotice:
        """Check the signature and freshness of a callback; raise InvalidNotification if not."""

    def verify_refund_notification(self, headers: Mapping[str, str], body: bytes) -> RefundUpdate:
        """The same checks for a refund's callback; raise InvalidNotification if not."""
