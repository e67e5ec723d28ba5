"""WeShop's adapter for the sandbox provider, implementing PaymentProvider."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from weshop.core.clock import utcnow
from weshop.core.errors import Conflict, NotFound
from weshop.core.security import hmac_verify
from weshop.payments.models import PaymentChannel
from weshop.payments.provider import (
    ChannelUnsupported,
    CreatedPayment,
    InAppPayer,
    InvalidNotification,
    PaymentNotice,
    PromoterPayout,
    ProviderRefund,
    ProviderRefundStatus,
    RefundUpdate,
    SubPayment,
    query_notification_id,
    strict_fen,
)
from weshop.payments.sandbox.combined import Part, SandboxCombinedPayments
from weshop.payments.sandbox.gateway import SandboxGateway, signed_message

MAX_CLOCK_SKEW_SECONDS = 300


class SandboxProvider:
    name = "sandbox"
    partner = False
    # Its cashier is a web page: it has no WeChat client to hand a prepay id to.
    channels = frozenset({PaymentChannel.H5})
    default_channel = PaymentChannel.H5
    # One sandbox payment may cover the orders of several stores.
    combines = True

    def __init__(self, gateway: SandboxGateway, signing_key: bytes, public_base_url: str) -> None:
        self.gateway = gateway
        self.combined = SandboxCombinedPayments(gateway)
        self.signing_key = signing_key
        self.public_base_url = public_base_url.rstrip("/")

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
        # The sandbox has no sub-merchants and no payment method that needs the payer's IP.
        if channel is not None and channel not in self.channels:
            raise _unsupported(channel)
        await self.gateway.open_transaction(
            out_trade_no=out_trade_no,
            amount_fen=amount_fen,
            description=description,
            expires_at=expires_at,
        )
        return CreatedPayment(
            cashier_url=f"{self.public_base_url}/sandbox-pay/cashier/{out_trade_no}"
        )

    def pay_params(self, appid: str, prepay_id: str) -> dict[str, str]:
        raise _unsupported(PaymentChannel.JSAPI)

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
        if channel is not None and channel not in self.channels:
            raise _unsupported(channel)
        await self.combined.open(
            combine_out_trade_no=combine_out_trade_no,
            parts=[Part(part.out_trade_no, part.amount_fen, part.description) for part in parts],
            description=description,
            expires_at=expires_at,
        )
        return CreatedPayment(
            cashier_url=f"{self.public_base_url}/sandbox-pay/combined/{combine_out_trade_no}"
        )

    async def close_combined_payment(
        self, combine_out_trade_no: str, parts: Sequence[SubPayment]
    ) -> None:
        await self.combined.close(combine_out_trade_no)

    async def query_combined_payment(self, combine_out_trade_no: str) -> list[PaymentNotice]:
        combined = await self.combined.combined(combine_out_trade_no, missing_ok=True)
        if combined is None or combined.status != "paid":
            return []
        return [
            notice
            for part in combined.out_trade_nos.split()
            if (notice := await self.query_payment(part)) is not None
        ]

    def verify_combined_notification(
        self, headers: Mapping[str, str], body: bytes
    ) -> list[PaymentNotice]:
        data = self._verified(headers, body)
        try:
            paid_at = datetime.fromisoformat(data["paid_at"])
            notices = [
                PaymentNotice(
                    notification_id=f"{data['id']}:{sub['out_trade_no']}",
                    out_trade_no=str(sub["out_trade_no"]),
                    transaction_id=str(sub["transaction_id"]),
                    amount_fen=strict_fen(sub["amount_fen"]),
                    paid_at=paid_at,
                    raw={**data, "sub_order": sub},
                )
                for sub in data["sub_orders"]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidNotification("malformed notification") from exc
        if (
            not notices
            or paid_at.tzinfo is None
            or any(notice.amount_fen <= 0 for notice in notices)
        ):
            raise InvalidNotification("malformed notification")
        return notices

    async def close_payment(self, out_trade_no: str, *, sub_mchid: str | None = None) -> None:
        await self.gateway.close(out_trade_no)

    async def query_payment(
        self, out_trade_no: str, *, sub_mchid: str | None = None
    ) -> PaymentNotice | None:
        try:
            transaction = await self.gateway.transaction(out_trade_no)
        except NotFound:
            return None
        if transaction.status != "paid" or transaction.paid_at is None:
            return None
        return PaymentNotice(
            notification_id=query_notification_id(transaction.transaction_id),
            out_trade_no=transaction.out_trade_no,
            transaction_id=transaction.transaction_id,
            amount_fen=transaction.amount_fen,
            paid_at=transaction.paid_at,
            raw={"queried": True, "transaction_id": transaction.transaction_id},
        )

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
        try:
            refund = await self.gateway.refund(
                out_trade_no=out_trade_no, out_refund_no=out_refund_no, amount_fen=amount_fen
            )
        except Conflict as exc:
            return ProviderRefund(
                refund_id="", status=ProviderRefundStatus.FAILED, failure_reason=exc.message
            )
        return ProviderRefund(refund_id=refund.refund_id, status=ProviderRefundStatus.SUCCEEDED)

    async def query_refund(
        self, out_refund_no: str, *, sub_mchid: str | None = None
    ) -> ProviderRefund:
        # Sandbox refunds succeed when asked for; one it does not know was never made.
        refund = await self.gateway.refund_by_number(out_refund_no)
        if refund is None:
            return ProviderRefund(
                refund_id="", status=ProviderRefundStatus.FAILED, failure_reason="unknown refund"
            )
        return ProviderRefund(refund_id=refund.refund_id, status=ProviderRefundStatus.SUCCEEDED)

    async def return_fee(
        self,
        *,
        out_order_no: str,
        out_return_no: str,
        amount_fen: int,
        sub_mchid: str | None = None,
    ) -> None:
        # The sandbox splits nothing at settlement, so there is nothing to return.
        return None

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
        # The sandbox holds no funds: there is nothing to split; the ledger's mirror is all.
        return None

    async def return_subsidy(
        self,
        *,
        out_order_no: str,
        transaction_id: str,
        refund_id: str,
        amount_fen: int,
        sub_mchid: str | None = None,
    ) -> None:
        return None

    def verify_refund_notification(self, headers: Mapping[str, str], body: bytes) -> RefundUpdate:
        raise InvalidNotification("the sandbox answers refunds at once and sends no callbacks")

    def verify_notification(self, headers: Mapping[str, str], body: bytes) -> PaymentNotice:
        data = self._verified(headers, body)
        try:
            notice = PaymentNotice(
                notification_id=str(data["id"]),
                out_trade_no=str(data["out_trade_no"]),
                transaction_id=str(data["transaction_id"]),
                amount_fen=strict_fen(data["amount_fen"]),
                paid_at=datetime.fromisoformat(data["paid_at"]),
                raw=data,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidNotification("malformed notification") from exc
        if notice.paid_at.tzinfo is None or notice.amount_fen <= 0:
            raise InvalidNotification("malformed notification")
        return notice

    def _verified(self, headers: Mapping[str, str], body: bytes) -> dict:
        """The callback's JSON object once its signature and freshness check out."""
        timestamp = headers.get("sandbox-timestamp", "")
        nonce = headers.get("sandbox-nonce", "")
        signature = headers.get("sandbox-signature", "")
        if not (timestamp.isdigit() and nonce and signature):
            raise InvalidNotification("missing signature headers")
        if abs(utcnow().timestamp() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
            raise InvalidNotification("stale timestamp")
        try:
            text = body.decode()
        except UnicodeDecodeError as exc:
            raise InvalidNotification("body is not UTF-8") from exc
        if not hmac_verify(self.signing_key, signed_message(timestamp, nonce, text), signature):
            raise InvalidNotification("bad signature")
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidNotification("malformed notification") from exc
        if not isinstance(data, dict):
            raise InvalidNotification("malformed notification")
        return data


def _unsupported(channel: PaymentChannel) -> ChannelUnsupported:
    return ChannelUnsupported(
        f"the sandbox provider cannot take {channel} payments: it pays at its own cashier "
        "page only (h5)",
        details={"channel": str(channel), "channels": ["h5"]},
    )
