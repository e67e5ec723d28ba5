"""Refunds: ``POST /v3/refund/domestic/refunds`` and the query by out_refund_no.

A refund is accepted as PROCESSING (its money leaves the payee at once) and becomes SUCCESS
when the simulator's background work reaches it; a REFUND.SUCCESS callback follows when the
request gave a notify_url. The same out_refund_no answers the same refund.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from weshop.payments.wechatpay.transactions import rfc3339
from weshop.paysim import funds
from weshop.paysim.context import SimContext
from weshop.paysim.errors import ApiError, invalid_request, no_auth, param_error
from weshop.paysim.security import Caller
from weshop.paysim.store import Row
from weshop.paysim.transactions import PAID_STATES, Trading, check_notify_url, check_partner, moment

OUT_NUMBER = r"^[0-9A-Za-z_\-|*@]{1,64}$"
USER_RECEIVED_ACCOUNT = "支付用户零钱"


class RefundAmount(BaseModel):
    refund: StrictInt = Field(ge=1)
    total: StrictInt = Field(ge=1)
    currency: Literal["CNY"]


class RefundRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sub_mchid: str | None = Field(default=None, max_length=32)
    transaction_id: str | None = Field(default=None, max_length=32)
    out_trade_no: str | None = Field(default=None, max_length=32)
    out_refund_no: Annotated[str, Field(pattern=OUT_NUMBER)]
    reason: str | None = Field(default=None, max_length=80)
    notify_url: str | None = Field(default=None, max_length=256)
    funds_account: Literal["AVAILABLE"] | None = None
    amount: RefundAmount


def scope_of(sim: SimContext, caller: Caller, sub_mchid: str | None) -> tuple[str, str]:
    """(mchid, sub_mchid) the call acts for: a platform always names its sub-merchant."""
    if caller.role == "platform":
        if not sub_mchid:
            raise param_error("sub_mchid", "服务商模式下sub_mchid必填")
        check_partner(sim, caller, caller.mchid, sub_mchid)
        return caller.mchid, sub_mchid
    if sub_mchid:
        raise no_auth("普通商户没有子商户")
    return caller.mchid, ""


class Refunding:
    def __init__(self, sim: SimContext, trading: Trading) -> None:
        self.sim = sim
        self.trading = trading

    def create(self, caller: Caller, request: RefundRequest) -> dict[str, Any]:
        mchid, sub_mchid = scope_of(self.sim, caller, request.sub_mchid)
        if bool(request.transaction_id) == bool(request.out_trade_no):
            raise param_error("out_trade_no", "transaction_id和out_trade_no须且只须传一个")
        notify_url = check_notify_url(request.notify_url) if request.notify_url else ""
        store = self.sim.store
        with store.transaction():
            transaction = self._transaction(mchid, sub_mchid, request)
            existing = store.one(
                "SELECT * FROM refunds WHERE mchid = ? AND sub_mchid = ? AND out_refund_no = ?",
                (mchid, sub_mchid, request.out_refund_no),
            )
            if existing is not None:
                if (
                    existing["transaction_id"] != transaction["transaction_id"]
                    or existing["amount"] != request.amount.refund
                ):
                    raise invalid_request("订单金额或退款金额与之前请求不一致，请核实后再试")
                return self.resource(existing)
            if self.trading.state(transaction) not in PAID_STATES:
                raise invalid_request("订单未支付，不能退款")
            if request.amount.total != transaction["total"]:
                raise param_error("amount/total", "与原订单金额不一致", value=request.amount.total)
            funds.refund(store, transaction, request.amount.refund)
            refund_id = self.sim.ids.refund_id()
            store.insert(
                "refunds",
                {
                    "refund_id": refund_id,
                    "out_refund_no": request.out_refund_no,
                    "mchid": mchid,
                    "sub_mchid": sub_mchid,
                    "transaction_id": transaction["transaction_id"],
                    "amount": request.amount.refund,
                    "reason": request.reason or "",
                    "notify_url": notify_url,
                    "status": "PROCESSING",
                    "created_at": self.sim.now().timestamp(),
                },
            )
            created = store.one("SELECT * FROM refunds WHERE refund_id = ?", (refund_id,))
        assert created is not None
        return self.resource(created)

    def _transaction(self, mchid: str, sub_mchid: str, request: RefundRequest) -> Row:
        if request.transaction_id:
            transaction = self.trading.by_id(request.transaction_id)
            if transaction is not None and (
                transaction["mchid"] != mchid or transaction["sub_mchid"] != sub_mchid
            ):
                transaction = None
        else:
            transaction = self.trading.find(mchid, sub_mchid, request.out_trade_no or "")
        if transaction is None:
            raise ApiError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        return transaction

    def query(self, caller: Caller, out_refund_no: str, sub_mchid: str | None) -> dict[str, Any]:
        mchid, sub = scope_of(self.sim, caller, sub_mchid)
        refund = self.sim.store.one(
            "SELECT * FROM refunds WHERE mchid = ? AND sub_mchid = ? AND out_refund_no = ?",
            (mchid, sub, out_refund_no),
        )
        if refund is None:
            raise ApiError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        return self.resource(refund)

    def settle_due(self) -> int:
        """Refunds accepted at least ``refund_delay`` ago succeed; returns how many."""
        store, now = self.sim.store, self.sim.now()
        cutoff = (now - self.sim.refund_delay).timestamp()
        settled = 0
        with store.transaction():
            for refund in store.all(
                "SELECT * FROM refunds WHERE status = 'PROCESSING' AND created_at <= ?", (cutoff,)
            ):
                store.run(
                    "UPDATE refunds SET status = 'SUCCESS', success_time = ? WHERE refund_id = ?",
                    (now.timestamp(), refund["refund_id"]),
                )
                settled += 1
                if refund["notify_url"]:
                    done = store.one(
                        "SELECT * FROM refunds WHERE refund_id = ?", (refund["refund_id"],)
                    )
                    assert done is not None
                    self.sim.notifier.enqueue(
                        mchid=done["mchid"],
                        url=done["notify_url"],
                        event_type="REFUND.SUCCESS",
                        summary="退款成功",
                        original_type="refund",
                        resource=self.notification_resource(done),
                    )
        return settled

    def _paid(self, refund: Row) -> Row:
        transaction = self.trading.by_id(refund["transaction_id"])
        assert transaction is not None
        return transaction

    def resource(self, refund: Row) -> dict[str, Any]:
        transaction = self._paid(refund)
        data: dict[str, Any] = {
            "refund_id": refund["refund_id"],
            "out_refund_no": refund["out_refund_no"],
            "transaction_id": transaction["transaction_id"],
            "out_trade_no": transaction["out_trade_no"],
            "channel": "ORIGINAL",
            "user_received_account": USER_RECEIVED_ACCOUNT,
            "create_time": rfc3339(moment(refund["created_at"])),
            "status": refund["status"],
            "funds_account": "AVAILABLE",
            "amount": {
                "total": transaction["total"],
                "refund": refund["amount"],
                "from": [],
                "payer_total": transaction["total"],
                "payer_refund": refund["amount"],
                "settlement_refund": refund["amount"],
                "settlement_total": transaction["total"],
                "discount_refund": 0,
                "currency": "CNY",
                "refund_fee": 0,
            },
            "promotion_detail": [],
        }
        if refund["success_time"] is not None:
            data["success_time"] = rfc3339(moment(refund["success_time"]))
        return data

    def notification_resource(self, refund: Row) -> dict[str, Any]:
        transaction = self._paid(refund)
        owner = (
            {"sp_mchid": refund["mchid"], "sub_mchid": refund["sub_mchid"]}
            if refund["sub_mchid"]
            else {"mchid": refund["mchid"]}
        )
        return {
            **owner,
            "transaction_id": transaction["transaction_id"],
            "out_trade_no": transaction["out_trade_no"],
            "refund_id": refund["refund_id"],
            "out_refund_no": refund["out_refund_no"],
            "refund_status": refund["status"],
            "success_time": rfc3339(moment(refund["success_time"])),
            "user_received_account": USER_RECEIVED_ACCOUNT,
            "amount": {
                "total": transaction["total"],
                "refund": refund["amount"],
                "payer_total": transaction["total"],
                "payer_refund": refund["amount"],
            },
        }
