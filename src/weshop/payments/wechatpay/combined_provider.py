"""The WeChat Pay provider's combined payments (合单支付, partner mode): one payment of the
orders of several stores, each order a sub-order paid to its store's sub-merchant. The
callback (to the notify URL's ``/combined``) lists every sub-order; each becomes a notice of
its own, applied once like a single payment's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from weshop.core.clock import utcnow
from weshop.payments.models import IN_APP_CHANNELS, PaymentChannel
from weshop.payments.provider import (
    CreatedPayment,
    InAppPayer,
    InvalidNotification,
    PaymentNotice,
    SubPayment,
    query_notification_id,
    strict_fen,
)
from weshop.payments.wechatpay.client import WechatPayClient
from weshop.payments.wechatpay.combine import CombineTransactions, SubOrder
from weshop.payments.wechatpay.errors import WechatPayApiError, WechatPayError
from weshop.payments.wechatpay.notifications import (
    PAYMENT_SUCCEEDED,
    parse_notification,
    parse_time,
)
from weshop.payments.wechatpay.transactions import TradeType

log = structlog.get_logger(__name__)

# WeChat Pay keeps a prepay id for two hours; it is handed out for a little less, so that a
# payer who starts just before its end is not refused by the WeChat client.
PREPAY_USABLE_FOR = timedelta(hours=2) - timedelta(minutes=10)
TRADE_TYPE_OF = {
    PaymentChannel.H5: TradeType.H5,
    PaymentChannel.NATIVE: TradeType.NATIVE,
    # A mini-program pays through the same JSAPI order, under the mini-program's appid.
    PaymentChannel.JSAPI: TradeType.JSAPI,
    PaymentChannel.MINIPROGRAM: TradeType.JSAPI,
}


class _CombinedApi(Protocol):
    """What the combined payments use of :class:`~weshop.payments.wechatpay.provider.WechatPay`."""

    @property
    def client(self) -> WechatPayClient: ...

    @property
    def combine_transactions(self) -> CombineTransactions: ...


class CombinedPayments:
    """The combined-payment part of the WeChat Pay provider (mixed into it)."""

    pay: _CombinedApi
    notify_url: str
    default_channel: PaymentChannel

    @property
    def combined_notify_url(self) -> str:
        return self.notify_url.rstrip("/") + "/combined"

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
        # WeChat Pay's combined order has no description of its own: each part has one.
        channel = channel or self.default_channel
        trade_type = TRADE_TYPE_OF[channel]
        if trade_type is TradeType.H5 and not payer_ip:
            raise WechatPayError(
                "WeChat Pay H5 needs the payer's IP address", code="wechatpay_payer_ip_required"
            )
        if channel in IN_APP_CHANNELS and payer is None:
            raise WechatPayError(
                f"a {channel} payment needs the payer's openid", code="wechatpay_payer_required"
            )
        answer = await self.pay.combine_transactions.create(
            trade_type,
            combine_out_trade_no=combine_out_trade_no,
            sub_orders=[_sub_order(part) for part in parts],
            notify_url=self.combined_notify_url,
            time_expire=expires_at,
            combine_appid=payer.appid if payer else None,
            payer_openid=payer.openid if payer else None,
            payer_client_ip=payer_ip,
        )
        return created_payment(trade_type, answer)

    async def close_combined_payment(
        self, combine_out_trade_no: str, parts: Sequence[SubPayment]
    ) -> None:
        try:
            await self.pay.combine_transactions.close(
                combine_out_trade_no, [_sub_order(part) for part in parts]
            )
        except WechatPayApiError as exc:
            if exc.wechat_code != "ORDERPAID":
                raise
            # Paid before we closed: its callback says so; orders no longer awaited are
            # refunded then.
            log.warning("wechatpay.close_after_payment", out_trade_no=combine_out_trade_no)

    async def query_combined_payment(self, combine_out_trade_no: str) -> list[PaymentNotice]:
        data = await self.pay.combine_transactions.query(combine_out_trade_no)
        try:
            return [
                notice
                for sub in data.get("sub_orders", [])
                if (notice := self._sub_notice(None, sub, {"queried": True})) is not None
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise WechatPayError("WeChat Pay answered a malformed combined transaction") from exc

    def verify_combined_notification(
        self, headers: Mapping[str, str], body: bytes
    ) -> list[PaymentNotice]:
        notification = parse_notification(
            self.pay.client.verifier, self.pay.client.credentials.apiv3_key, headers, body
        )
        if notification.event_type != PAYMENT_SUCCEEDED:
            raise InvalidNotification(f"not a payment notification: {notification.event_type}")
        data = notification.resource
        try:
            if str(data["combine_mchid"]) != self.pay.client.mchid:
                raise InvalidNotification("a notification for another merchant")
            notices = []
            for sub in data["sub_orders"]:
                if str(sub["mchid"]) != self.pay.client.mchid:
                    raise InvalidNotification("a sub-order of another merchant")
                notice = self._sub_notice(notification.id, sub, {"event_type": PAYMENT_SUCCEEDED})
                if notice is None:
                    raise InvalidNotification("a sub-order that did not succeed")
                notices.append(notice)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidNotification("malformed combined transaction") from exc
        if not notices:
            raise InvalidNotification("a combined transaction without sub-orders")
        return notices

    @staticmethod
    def _sub_notice(
        notification_id: str | None, sub: Mapping[str, object], raw: dict[str, object]
    ) -> PaymentNotice | None:
        """A paid sub-order as a notice; None while unpaid. Each is stored under its own
        id: the callback's id with the sub-order's number, or its transaction's."""
        # REFUND: paid, then (partly) refunded; the payment still happened.
        if sub.get("trade_state") not in ("SUCCESS", "REFUND"):
            return None
        transaction_id = str(sub["transaction_id"])
        out_trade_no = str(sub["out_trade_no"])
        amount = sub["amount"]
        if not isinstance(amount, Mapping):
            raise ValueError("amount is not an object")
        return PaymentNotice(
            notification_id=f"{notification_id}:{out_trade_no}"
            if notification_id
            else query_notification_id(transaction_id),
            out_trade_no=out_trade_no,
            transaction_id=transaction_id,
            amount_fen=strict_fen(amount["total_amount"]),
            paid_at=parse_time(str(sub["success_time"])),
            raw={**raw, "sub_order": dict(sub)},
        )


def created_payment(trade_type: TradeType, answer: Mapping[str, object]) -> CreatedPayment:
    if trade_type is TradeType.JSAPI:
        prepay_id = answer.get("prepay_id")
        if not prepay_id:
            raise WechatPayError("WeChat Pay answered no prepay_id")
        return CreatedPayment(
            prepay_id=str(prepay_id), prepay_expires_at=utcnow() + PREPAY_USABLE_FOR
        )
    url = answer.get("h5_url") if trade_type is TradeType.H5 else answer.get("code_url")
    if not url:
        raise WechatPayError("WeChat Pay answered no payment URL")
    return CreatedPayment(cashier_url=str(url))


def _sub_order(part: SubPayment) -> SubOrder:
    if not part.sub_mchid:
        raise WechatPayError(
            "in WeChat Pay partner mode every payment belongs to a store's sub-merchant",
            code="wechatpay_sub_mchid_required",
        )
    return SubOrder(
        sub_mchid=part.sub_mchid,
        out_trade_no=part.out_trade_no,
        total_fen=part.amount_fen,
        description=part.description,
        attach=part.attach,
    )
