"""WeShop's WeChat Pay provider: the PaymentProvider interface over the APIv3 client.

The cashier URL is the H5 payment page (``h5_url``) or, with the Native trade type, the
``code_url`` to show as a QR code. Against the local simulator both open its cashier page.
A payment inside WeChat (a 公众号 page or a mini-program) is a JSAPI order under the payer's
app: its ``prepay_id`` is signed with the merchant key for the payer's WeChat client.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import structlog

from weshop.payments.models import IN_APP_CHANNELS, PaymentChannel
from weshop.payments.provider import (
    CreatedPayment,
    InAppPayer,
    InvalidNotification,
    PaymentNotice,
    PromoterPayout,
    ProviderRefund,
    ProviderRefundStatus,
    RefundUpdate,
    SplitCapExceeded,
    query_notification_id,
    strict_fen,
)
from weshop.payments.wechatpay.applyments import Applyments
from weshop.payments.wechatpay.bills import Bills
from weshop.payments.wechatpay.client import WechatPayClient
from weshop.payments.wechatpay.combine import CombineTransactions
from weshop.payments.wechatpay.combined_provider import (
    TRADE_TYPE_OF,
    CombinedPayments,
    created_payment,
)
from weshop.payments.wechatpay.errors import WechatPayApiError, WechatPayError
from weshop.payments.wechatpay.notifications import (
    PAYMENT_SUCCEEDED,
    parse_notification,
    parse_time,
    refund_notice,
)
from weshop.payments.wechatpay.profitsharing import ProfitSharing, Split
from weshop.payments.wechatpay.refunds import Refunds
from weshop.payments.wechatpay.subsidies import Subsidies
from weshop.payments.wechatpay.transactions import (
    Direct,
    Merchant,
    Partner,
    TradeType,
    Transactions,
)

log = structlog.get_logger(__name__)

# Refusals that asking again cannot change: the refund is failed for good. Others (NOT_ENOUGH
# before a split is returned, FREQUENCY_LIMITED, SIGN_ERROR after a key change…) are raised,
# so the worker asks again later with the same out_refund_no.
FINAL_REFUND_REFUSALS = frozenset(
    {"PARAM_ERROR", "INVALID_REQUEST", "RESOURCE_NOT_EXISTS", "USER_ACCOUNT_ABNORMAL"}
)
PLATFORM_FEE_DESCRIPTION = "平台服务费"
COMMISSION_DESCRIPTION = "推客佣金"
# WeChat Pay's refusal of a split beyond the merchant's maximum split ratio: 400
# INVALID_REQUEST with this message (no code of its own).
RATIO_EXCEEDED = "分账金额超出最大分账比例"
SETTLEMENT_DESCRIPTION = "售后期结束，解冻结算"
FEE_RETURN_DESCRIPTION = "退款退回平台服务费"
SUBSIDY_DESCRIPTION = "平台优惠补贴"
SUBSIDY_RETURN_DESCRIPTION = "退款回退平台补贴"
REFUND_STATUS = {
    "SUCCESS": ProviderRefundStatus.SUCCEEDED,
    "PROCESSING": ProviderRefundStatus.PROCESSING,
    "CLOSED": ProviderRefundStatus.FAILED,
    "ABNORMAL": ProviderRefundStatus.FAILED,
}


@dataclass(frozen=True)
class WechatPay:
    """Every WeChat Pay API of one merchant (direct) or one platform (partner mode)."""

    client: WechatPayClient
    merchant: Merchant

    @property
    def appid(self) -> str:
        return self.merchant.sp_appid if isinstance(self.merchant, Partner) else self.merchant.appid

    @property
    def transactions(self) -> Transactions:
        return Transactions(self.client, self.merchant)

    @property
    def combine_transactions(self) -> CombineTransactions:
        if not isinstance(self.merchant, Partner):
            raise WechatPayError(
                "combined payments are made by a platform (partner mode)",
                code="wechatpay_not_partner",
            )
        return CombineTransactions(self.client, self.merchant)

    @property
    def refunds(self) -> Refunds:
        return Refunds(self.client)

    @property
    def profit_sharing(self) -> ProfitSharing:
        return ProfitSharing(self.client, self.appid)

    @property
    def subsidies(self) -> Subsidies:
        return Subsidies(self.client)

    @property
    def applyments(self) -> Applyments:
        return Applyments(self.client)

    @property
    def bills(self) -> Bills:
        return Bills(self.client)


class WechatPayProvider(CombinedPayments):
    name = "wechatpay"
    channels = frozenset(PaymentChannel)

    def __init__(
        self,
        pay: WechatPay,
        *,
        notify_url: str,
        trade_type: Literal["h5", "native"] = "h5",
        merchant_name: str = "",
    ) -> None:
        self.pay = pay
        self.notify_url = notify_url
        # The platform's full name, which WeChat Pay asks for when it becomes a receiver.
        self.merchant_name = merchant_name
        # Refund callbacks come to their own endpoint, beside the payments'.
        self.refund_notify_url = notify_url.rstrip("/") + "/refunds"
        self.default_channel = PaymentChannel(trade_type)

    @property
    def partner(self) -> bool:
        return isinstance(self.pay.merchant, Partner)

    @property
    def combines(self) -> bool:
        # Combined payments pay several sub-merchants: partner mode only (direct mode takes
        # no payment while several stores sell).
        return self.partner

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
        self._check_sub_mchid(sub_mchid)
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
        # The store's own app in partner mode pays as the sub-merchant's app (sub_appid);
        # otherwise the app is the merchant's (appid / sp_appid), one of those bound to it.
        as_sub_app = payer is not None and payer.store_app and self.partner
        answer = await self.pay.transactions.create(
            trade_type,
            out_trade_no=out_trade_no,
            description=description,
            total_fen=amount_fen,
            notify_url=self.notify_url,
            time_expire=expires_at,
            payer_client_ip=payer_ip,
            payer_openid=payer.openid if payer else None,
            sub_mchid=sub_mchid,
            sub_appid=payer.appid if payer and as_sub_app else None,
            appid=payer.appid if payer and not as_sub_app else None,
        )
        return created_payment(trade_type, answer)

    def pay_params(self, appid: str, prepay_id: str) -> dict[str, str]:
        return self.pay.client.jsapi_pay_params(appid, prepay_id)

    async def close_payment(self, out_trade_no: str, *, sub_mchid: str | None = None) -> None:
        self._check_sub_mchid(sub_mchid)
        try:
            await self.pay.transactions.close(out_trade_no, sub_mchid=sub_mchid)
        except WechatPayApiError as exc:
            if exc.wechat_code != "ORDERPAID":
                raise
            # Paid before we closed: the TRANSACTION.SUCCESS callback will say so, and a
            # payment of a closed order is refunded then.
            log.warning("wechatpay.close_after_payment", out_trade_no=out_trade_no)

    async def query_payment(
        self, out_trade_no: str, *, sub_mchid: str | None = None
    ) -> PaymentNotice | None:
        self._check_sub_mchid(sub_mchid)
        data = await self.pay.transactions.query(out_trade_no, sub_mchid=sub_mchid)
        # REFUND means it was paid, then (partly) refunded: the payment still happened.
        if data.get("trade_state") not in ("SUCCESS", "REFUND"):
            return None
        try:
            transaction_id = str(data["transaction_id"])
            return PaymentNotice(
                notification_id=query_notification_id(transaction_id),
                out_trade_no=str(data["out_trade_no"]),
                transaction_id=transaction_id,
                amount_fen=strict_fen(data["amount"]["total"]),
                paid_at=parse_time(str(data["success_time"])),
                raw={"queried": True, "resource": data},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise WechatPayError("WeChat Pay answered a malformed transaction") from exc

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
        self._check_sub_mchid(sub_mchid)
        try:
            answer = await self.pay.refunds.create(
                out_trade_no=out_trade_no,
                out_refund_no=out_refund_no,
                refund_fen=amount_fen,
                total_fen=total_fen,
                reason=reason,
                notify_url=self.refund_notify_url,
                sub_mchid=sub_mchid,
            )
        except WechatPayApiError as exc:
            if exc.wechat_code not in FINAL_REFUND_REFUSALS:
                raise
            return ProviderRefund(
                refund_id="",
                status=ProviderRefundStatus.FAILED,
                failure_reason=f"{exc.wechat_code}: {exc.wechat_message}",
            )
        return _refund_of(answer)

    async def query_refund(
        self, out_refund_no: str, *, sub_mchid: str | None = None
    ) -> ProviderRefund:
        self._check_sub_mchid(sub_mchid)
        try:
            answer = await self.pay.refunds.query(out_refund_no, sub_mchid=sub_mchid)
        except WechatPayApiError as exc:
            if exc.wechat_code != "RESOURCE_NOT_EXISTS":
                raise
            # Never made (the request was lost before WeChat Pay took it): failed for good.
            return ProviderRefund(
                refund_id="", status=ProviderRefundStatus.FAILED, failure_reason=exc.wechat_code
            )
        return _refund_of(answer)

    async def return_fee(
        self,
        *,
        out_order_no: str,
        out_return_no: str,
        amount_fen: int,
        sub_mchid: str | None = None,
    ) -> None:
        self._check_sub_mchid(sub_mchid)
        if not isinstance(self.pay.merchant, Partner) or amount_fen <= 0:
            return
        answer = await self.pay.profit_sharing.return_split(
            out_order_no=out_order_no,
            out_return_no=out_return_no,
            return_mchid=self.pay.merchant.sp_mchid,
            amount_fen=amount_fen,
            description=FEE_RETURN_DESCRIPTION,
            sub_mchid=sub_mchid,
        )
        if answer.get("result") == "FAILED":
            raise WechatPayError(
                f"WeChat Pay refused to return the split: {answer.get('fail_reason', '')}"
            )

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
        self._check_sub_mchid(sub_mchid)
        if not isinstance(self.pay.merchant, Partner):
            return  # a direct merchant's payments are its own and were never frozen
        assert sub_mchid is not None
        if platform_subsidy_fen > 0:
            # Before the split: the subsidy joins the order's frozen funds and is released
            # with them.
            await self.pay.subsidies.create(
                sub_mchid=sub_mchid,
                transaction_id=transaction_id,
                amount_fen=platform_subsidy_fen,
                description=SUBSIDY_DESCRIPTION,
            )
        sharing = self.pay.profit_sharing
        payouts = [payout for payout in promoter_payouts if payout.amount_fen > 0]
        if not platform_fee_fen and not payouts:
            await sharing.unfreeze(
                transaction_id=transaction_id,
                out_order_no=out_order_no,
                description=SETTLEMENT_DESCRIPTION,
                sub_mchid=sub_mchid,
            )
            return
        platform = self.pay.merchant.sp_mchid
        receivers = []
        # Adding a receiver again is harmless; the split needs it added for this sub-merchant.
        if platform_fee_fen:
            await sharing.add_receiver(
                type="MERCHANT_ID",
                account=platform,
                name=self.merchant_name,
                relation_type="SERVICE_PROVIDER",
                sub_mchid=sub_mchid,
            )
            receivers.append(
                Split("MERCHANT_ID", platform, platform_fee_fen, PLATFORM_FEE_DESCRIPTION)
            )
        for payout in payouts:
            # A promoter is a personal receiver under the platform's appid (分销商).
            await sharing.add_receiver(
                type="PERSONAL_OPENID",
                account=payout.openid,
                relation_type="DISTRIBUTOR",
                sub_mchid=sub_mchid,
            )
            receivers.append(
                Split("PERSONAL_OPENID", payout.openid, payout.amount_fen, COMMISSION_DESCRIPTION)
            )
        try:
            await sharing.split(
                transaction_id=transaction_id,
                out_order_no=out_order_no,
                receivers=receivers,
                unfreeze_unsplit=True,
                sub_mchid=sub_mchid,
            )
        except WechatPayApiError as exc:
            if exc.wechat_code == "INVALID_REQUEST" and RATIO_EXCEEDED in exc.wechat_message:
                raise SplitCapExceeded(
                    "WeChat Pay refused the settlement's split: more than the sub-merchant's "
                    "maximum split ratio",
                    details={"wechat_message": exc.wechat_message},
                ) from exc
            raise

    async def return_subsidy(
        self,
        *,
        out_order_no: str,
        transaction_id: str,
        refund_id: str,
        amount_fen: int,
        sub_mchid: str | None = None,
    ) -> None:
        self._check_sub_mchid(sub_mchid)
        if not isinstance(self.pay.merchant, Partner) or amount_fen <= 0:
            return
        assert sub_mchid is not None
        answer = await self.pay.subsidies.return_subsidy(
            sub_mchid=sub_mchid,
            out_order_no=out_order_no,
            transaction_id=transaction_id,
            refund_id=refund_id,
            amount_fen=amount_fen,
            description=SUBSIDY_RETURN_DESCRIPTION,
        )
        if answer.get("result") != "SUCCESS":
            raise WechatPayError("WeChat Pay did not take the subsidy back")

    def verify_notification(self, headers: Mapping[str, str], body: bytes) -> PaymentNotice:
        notification = parse_notification(
            self.pay.client.verifier, self.pay.client.credentials.apiv3_key, headers, body
        )
        if notification.event_type != PAYMENT_SUCCEEDED:
            raise InvalidNotification(f"not a payment notification: {notification.event_type}")
        data = notification.resource
        try:
            if data.get("trade_state") != "SUCCESS":
                raise InvalidNotification("the transaction did not succeed")
            if self._merchant_of(data) != self.pay.client.mchid:
                raise InvalidNotification("a notification for another merchant")
            return PaymentNotice(
                notification_id=notification.id,
                out_trade_no=str(data["out_trade_no"]),
                transaction_id=str(data["transaction_id"]),
                amount_fen=strict_fen(data["amount"]["total"]),
                paid_at=parse_time(str(data["success_time"])),
                raw={"event_type": notification.event_type, "resource": data},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidNotification("malformed transaction") from exc

    def verify_refund_notification(self, headers: Mapping[str, str], body: bytes) -> RefundUpdate:
        """A REFUND.* callback (sent because every refund is asked for with a notify URL)."""
        notification = parse_notification(
            self.pay.client.verifier, self.pay.client.credentials.apiv3_key, headers, body
        )
        notice = refund_notice(notification)
        if self._merchant_of(notice.raw) != self.pay.client.mchid:
            raise InvalidNotification("a notification for another merchant")
        status = REFUND_STATUS.get(notice.refund_status)
        if status is None:
            raise InvalidNotification(f"unknown refund status {notice.refund_status!r}")
        failed = status == ProviderRefundStatus.FAILED
        return RefundUpdate(
            out_refund_no=notice.out_refund_no,
            amount_fen=notice.refund_fen,
            refund=ProviderRefund(
                refund_id=notice.refund_id,
                status=status,
                failure_reason=notice.refund_status if failed else "",
            ),
        )

    def _merchant_of(self, data: Mapping[str, object]) -> str:
        return str(data.get("sp_mchid") if self.partner else data.get("mchid"))

    def _check_sub_mchid(self, sub_mchid: str | None) -> None:
        if self.partner and not sub_mchid:
            raise WechatPayError(
                "in WeChat Pay partner mode every payment belongs to a store's sub-merchant",
                code="wechatpay_sub_mchid_required",
            )
        if not self.partner and sub_mchid:
            raise WechatPayError(
                "a direct WeChat Pay merchant has no sub-merchants",
                code="wechatpay_not_partner",
            )


def _refund_of(answer: Mapping[str, object]) -> ProviderRefund:
    status = REFUND_STATUS.get(str(answer.get("status")), ProviderRefundStatus.PROCESSING)
    return ProviderRefund(
        refund_id=str(answer.get("refund_id", "")),
        status=status,
        failure_reason="" if status != ProviderRefundStatus.FAILED else str(answer["status"]),
    )


def direct_or_partner(mode: str, mchid: str, appid: str) -> Merchant:
    return Partner(sp_mchid=mchid, sp_appid=appid) if mode == "partner" else Direct(mchid, appid)
