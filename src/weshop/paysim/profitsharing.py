"""Profit sharing: receivers, split orders, unfreezing the rest, returns, unsplit amounts.

Every order is idempotent by its out number (out_order_no, out_return_no); the money rules
live in ``funds``. Splits complete at once (state FINISHED, each receiver SUCCESS).

What the receivers of a transaction's split orders get together never exceeds the merchant's
maximum split ratio of the transaction's amount (商户设置的最大分账比例, 30% unless the
sub-merchant authorised otherwise): beyond it WeChat Pay answers 400 INVALID_REQUEST
"分账金额超出最大分账比例". Releasing the rest to the merchant itself is not a split to a
receiver and is not counted.

A personal receiver (PERSONAL_OPENID) is an openid of the appid it was added under: a split
to it names that appid. Returns take money back from merchant receivers only: WeChat Pay
does not return a split made to a person (分账回退 "不支持分账给个人的分账单").
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from weshop.payments.wechatpay.transactions import rfc3339
from weshop.paysim import funds
from weshop.paysim.context import SimContext
from weshop.paysim.errors import ApiError, invalid_request, param_error
from weshop.paysim.refunds import OUT_NUMBER, scope_of
from weshop.paysim.security import Caller
from weshop.paysim.store import Row
from weshop.paysim.transactions import PAID_STATES, Trading, moment

ReceiverType = Literal["MERCHANT_ID", "PERSONAL_OPENID", "PERSONAL_SUB_OPENID"]
RelationType = Literal[
    "SERVICE_PROVIDER",
    "STORE",
    "STAFF",
    "STORE_OWNER",
    "PARTNER",
    "HEADQUARTER",
    "BRAND",
    "DISTRIBUTOR",
    "USER",
    "SUPPLIER",
    "CUSTOM",
]
OutNumber = Annotated[str, Field(pattern=OUT_NUMBER)]
# An openid as WeChat issues them: 28 characters of letters, digits, '-' and '_'.
OPENID = re.compile(r"[A-Za-z0-9_-]{28}")
PERSONAL_TYPES = frozenset({"PERSONAL_OPENID", "PERSONAL_SUB_OPENID"})
# Basis points (万分比) of a transaction that its split orders may send to receivers.
DEFAULT_MAX_SPLIT_RATIO = 3000
MAX_SPLIT_RATIO = 10000
RATIO_EXCEEDED = "分账金额超出最大分账比例"


class ReceiverIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sub_mchid: str | None = None
    appid: str = Field(min_length=1, max_length=32)
    sub_appid: str | None = None
    type: ReceiverType
    account: str = Field(min_length=1, max_length=64)
    name: str | None = Field(default=None, max_length=1024)
    relation_type: RelationType
    custom_relation: str | None = Field(default=None, max_length=10)


class SplitTo(BaseModel):
    type: ReceiverType
    account: str = Field(min_length=1, max_length=64)
    name: str | None = Field(default=None, max_length=1024)
    amount: StrictInt = Field(ge=1)
    description: str = Field(min_length=1, max_length=80)


class SplitOrder(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sub_mchid: str | None = None
    appid: str | None = None
    sub_appid: str | None = None
    transaction_id: str = Field(min_length=1, max_length=32)
    out_order_no: OutNumber
    receivers: list[SplitTo] = Field(min_length=1, max_length=50)
    unfreeze_unsplit: bool


class UnfreezeOrder(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sub_mchid: str | None = None
    transaction_id: str = Field(min_length=1, max_length=32)
    out_order_no: OutNumber
    description: str = Field(min_length=1, max_length=80)


class ReturnOrder(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sub_mchid: str | None = None
    order_id: str | None = None
    out_order_no: str | None = None
    out_return_no: OutNumber
    return_mchid: str = Field(min_length=1, max_length=32)
    amount: StrictInt = Field(ge=1)
    description: str = Field(min_length=1, max_length=80)


def _digest(model: BaseModel) -> str:
    return hashlib.sha256(
        model.model_dump_json(exclude={"receivers": {"__all__": {"name"}}}).encode()
    ).hexdigest()


class Sharing:
    def __init__(self, sim: SimContext, trading: Trading) -> None:
        self.sim = sim
        self.trading = trading

    def add_receiver(self, caller: Caller, receiver: ReceiverIn) -> dict[str, Any]:
        mchid, sub_mchid = scope_of(self.sim, caller, receiver.sub_mchid)
        if receiver.appid != caller.appid:
            raise ApiError(400, "APPID_MCHID_NOT_MATCH", "appid和mchid不匹配")
        if receiver.relation_type == "CUSTOM" and not receiver.custom_relation:
            raise param_error("custom_relation", "relation_type为CUSTOM时必填")
        if receiver.type == "MERCHANT_ID" and not receiver.name:
            raise param_error("name", "分账接收方类型为MERCHANT_ID时，商户全称必填")
        if receiver.type in PERSONAL_TYPES and not OPENID.fullmatch(receiver.account):
            raise param_error("account", "分账接收方账号不是有效的openid")
        with self.sim.store.transaction():
            self.sim.store.run(
                "INSERT INTO receivers (mchid, sub_mchid, type, account, relation_type, "
                "custom_relation, appid) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                "relation_type = excluded.relation_type, "
                "custom_relation = excluded.custom_relation, appid = excluded.appid",
                (
                    mchid,
                    sub_mchid,
                    receiver.type,
                    receiver.account,
                    receiver.relation_type,
                    receiver.custom_relation or "",
                    receiver.appid,
                ),
            )
        data: dict[str, Any] = {
            "type": receiver.type,
            "account": receiver.account,
            "relation_type": receiver.relation_type,
        }
        if sub_mchid:
            data["sub_mchid"] = sub_mchid
        if receiver.custom_relation:
            data["custom_relation"] = receiver.custom_relation
        return data

    def _paid_transaction(self, mchid: str, sub_mchid: str, transaction_id: str) -> Row:
        transaction = self.trading.by_id(transaction_id)
        if (
            transaction is None
            or transaction["mchid"] != mchid
            or transaction["sub_mchid"] != sub_mchid
        ):
            raise ApiError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        if self.trading.state(transaction) not in PAID_STATES:
            raise invalid_request("订单未支付成功，不能分账")
        return transaction

    def _order(self, mchid: str, sub_mchid: str, out_order_no: str) -> Row | None:
        return self.sim.store.one(
            "SELECT * FROM sharing_orders WHERE mchid = ? AND sub_mchid = ? AND out_order_no = ?",
            (mchid, sub_mchid, out_order_no),
        )

    def _repeat(self, existing: Row | None, digest: str) -> dict[str, Any] | None:
        if existing is None:
            return None
        if existing["request_digest"] != digest:
            raise invalid_request("商户分账单号重复，且请求参数与之前不一致")
        return self.order_resource(existing)

    def split(self, caller: Caller, order: SplitOrder) -> dict[str, Any]:
        mchid, sub_mchid = scope_of(self.sim, caller, order.sub_mchid)
        store, digest = self.sim.store, _digest(order)
        with store.transaction():
            repeated = self._repeat(self._order(mchid, sub_mchid, order.out_order_no), digest)
            if repeated is not None:
                return repeated
            transaction = self._paid_transaction(mchid, sub_mchid, order.transaction_id)
            payee = funds.payee_of(transaction)
            parts = []
            for receiver in order.receivers:
                known = store.one(
                    "SELECT appid FROM receivers WHERE mchid = ? AND sub_mchid = ? AND type = ? "
                    "AND account = ?",
                    (mchid, sub_mchid, receiver.type, receiver.account),
                )
                if receiver.type in PERSONAL_TYPES and not order.appid:
                    raise param_error("appid", "分账接收方类型为个人时，appid必填")
                if known is None or (
                    receiver.type in PERSONAL_TYPES and known["appid"] != order.appid
                ):
                    raise invalid_request("分账接收方关系不存在，请检查参数中每个接收方的关系")
                owner = funds.receiver_owner(receiver.type, receiver.account)
                if owner == payee:
                    raise invalid_request("分账接收方不能是分账方自己")
                parts.append((owner, receiver.amount))
            funds.split(store, transaction, parts)
            self._check_ratio(transaction, sum(receiver.amount for receiver in order.receivers))
            order_id = self._record(
                mchid, sub_mchid, order.out_order_no, transaction, "SPLIT", digest
            )
            for receiver in order.receivers:
                self._receiver_line(
                    order_id, receiver.type, receiver.account, receiver.amount, receiver.description
                )
            if order.unfreeze_unsplit:
                self._unfreeze_line(order_id, transaction)
            recorded = store.one("SELECT * FROM sharing_orders WHERE order_id = ?", (order_id,))
        assert recorded is not None
        return self.order_resource(recorded)

    def max_ratio(self, mchid: str) -> int:
        row = self.sim.store.one("SELECT max_split_ratio FROM merchants WHERE mchid = ?", (mchid,))
        return int(row["max_split_ratio"]) if row else DEFAULT_MAX_SPLIT_RATIO

    def _check_ratio(self, transaction: Row, amount: int) -> None:
        """Receivers' money of every split order of the transaction, this one included,
        against the payee's ratio of the transaction's amount (unfreezing lines, the
        payee's own money, are not receivers')."""
        payee = transaction["sub_mchid"] or transaction["mchid"]
        earlier = self.sim.store.one(
            "SELECT COALESCE(SUM(r.amount), 0) AS total FROM sharing_receivers r "
            "JOIN sharing_orders o ON o.order_id = r.order_id "
            "WHERE o.transaction_id = ? AND NOT (r.type = 'MERCHANT_ID' AND r.account = ?)",
            (transaction["transaction_id"], payee),
        )
        split_before = int(earlier["total"]) if earlier else 0
        if (split_before + amount) * 10000 > int(transaction["total"]) * self.max_ratio(payee):
            raise invalid_request(RATIO_EXCEEDED)

    def merchant_config(self, caller: Caller, sub_mchid: str) -> dict[str, Any]:
        """查询最大分账比例: a service provider asks about one of its sub-merchants."""
        _, sub = scope_of(self.sim, caller, sub_mchid)
        return {"sub_mchid": sub, "max_ratio": self.max_ratio(sub)}

    def unfreeze(self, caller: Caller, order: UnfreezeOrder) -> dict[str, Any]:
        mchid, sub_mchid = scope_of(self.sim, caller, order.sub_mchid)
        store, digest = self.sim.store, _digest(order)
        with store.transaction():
            repeated = self._repeat(self._order(mchid, sub_mchid, order.out_order_no), digest)
            if repeated is not None:
                return repeated
            transaction = self._paid_transaction(mchid, sub_mchid, order.transaction_id)
            funds.check_splittable(transaction)
            order_id = self._record(
                mchid, sub_mchid, order.out_order_no, transaction, "UNFREEZE", digest
            )
            self._unfreeze_line(order_id, transaction, order.description)
            recorded = store.one("SELECT * FROM sharing_orders WHERE order_id = ?", (order_id,))
        assert recorded is not None
        return self.order_resource(recorded)

    def _record(
        self,
        mchid: str,
        sub_mchid: str,
        out_order_no: str,
        transaction: Row,
        kind: str,
        digest: str,
    ) -> str:
        order_id = self.sim.ids.sharing_order_id()
        self.sim.store.insert(
            "sharing_orders",
            {
                "order_id": order_id,
                "out_order_no": out_order_no,
                "mchid": mchid,
                "sub_mchid": sub_mchid,
                "transaction_id": transaction["transaction_id"],
                "kind": kind,
                "request_digest": digest,
                "created_at": self.sim.now().timestamp(),
            },
        )
        return order_id

    def _receiver_line(
        self, order_id: str, receiver_type: str, account: str, amount: int, description: str
    ) -> None:
        position = self.sim.store.one(
            "SELECT COUNT(*) AS n FROM sharing_receivers WHERE order_id = ?", (order_id,)
        )
        self.sim.store.insert(
            "sharing_receivers",
            {
                "detail_id": self.sim.ids.detail_id(),
                "order_id": order_id,
                "position": int(position["n"]) if position else 0,
                "type": receiver_type,
                "account": account,
                "amount": amount,
                "description": description,
                "created_at": self.sim.now().timestamp(),
            },
        )

    def _unfreeze_line(
        self, order_id: str, transaction: Row, description: str = "解冻给分账方"
    ) -> None:
        current = self.trading.by_id(transaction["transaction_id"])
        assert current is not None
        amount = funds.unfreeze(self.sim.store, current)
        payee = current["sub_mchid"] or current["mchid"]
        self._receiver_line(order_id, "MERCHANT_ID", payee, amount, description)

    def order_resource(self, order: Row) -> dict[str, Any]:
        lines = self.sim.store.all(
            "SELECT * FROM sharing_receivers WHERE order_id = ? ORDER BY position",
            (order["order_id"],),
        )
        data: dict[str, Any] = {
            "transaction_id": order["transaction_id"],
            "out_order_no": order["out_order_no"],
            "order_id": order["order_id"],
            "state": "FINISHED",
            "receivers": [
                {
                    "amount": line["amount"],
                    "description": line["description"],
                    "type": line["type"],
                    "account": line["account"],
                    "result": "SUCCESS",
                    "detail_id": line["detail_id"],
                    "create_time": rfc3339(moment(line["created_at"])),
                    "finish_time": rfc3339(moment(line["created_at"])),
                }
                for line in lines
            ],
        }
        if order["sub_mchid"]:
            data["sub_mchid"] = order["sub_mchid"]
        return data

    def query(
        self, caller: Caller, out_order_no: str, transaction_id: str, sub_mchid: str | None
    ) -> dict[str, Any]:
        mchid, sub = scope_of(self.sim, caller, sub_mchid)
        order = self._order(mchid, sub, out_order_no)
        if order is None or order["transaction_id"] != transaction_id:
            raise ApiError(404, "RESOURCE_NOT_EXISTS", "记录不存在")
        return self.order_resource(order)

    def unsplit_amount(self, caller: Caller, transaction_id: str) -> dict[str, Any]:
        transaction = self.trading.by_id(transaction_id)
        if transaction is None or transaction["mchid"] != caller.mchid:
            raise ApiError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        return {"transaction_id": transaction_id, "unsplit_amount": transaction["unsplit"]}

    def return_split(self, caller: Caller, request: ReturnOrder) -> dict[str, Any]:
        mchid, sub_mchid = scope_of(self.sim, caller, request.sub_mchid)
        if bool(request.order_id) == bool(request.out_order_no):
            raise param_error("out_order_no", "order_id和out_order_no须且只须传一个")
        store = self.sim.store
        with store.transaction():
            existing = store.one(
                "SELECT * FROM sharing_returns WHERE mchid = ? AND sub_mchid = ? "
                "AND out_return_no = ?",
                (mchid, sub_mchid, request.out_return_no),
            )
            if existing is not None:
                return self.return_resource(existing)
            order = (
                self._order(mchid, sub_mchid, request.out_order_no)
                if request.out_order_no
                else store.one(
                    "SELECT * FROM sharing_orders WHERE order_id = ? AND mchid = ? "
                    "AND sub_mchid = ?",
                    (request.order_id, mchid, sub_mchid),
                )
            )
            if order is None:
                raise ApiError(404, "RESOURCE_NOT_EXISTS", "分账单不存在")
            lines = store.all(
                "SELECT * FROM sharing_receivers WHERE order_id = ? AND type = 'MERCHANT_ID' "
                "AND account = ? ORDER BY position",
                (order["order_id"], request.return_mchid),
            )
            transaction = self.trading.by_id(order["transaction_id"])
            assert transaction is not None
            payee = funds.payee_of(transaction)
            if order["kind"] != "SPLIT" or not lines or f"mch:{request.return_mchid}" == payee:
                raise invalid_request("回退商户号不是该分账单的分账接收方")
            returnable = sum(int(line["amount"]) - int(line["returned"]) for line in lines)
            if request.amount > returnable:
                raise invalid_request(f"回退金额超过可回退金额{returnable}分")
            returned = funds.give_back(store, f"mch:{request.return_mchid}", payee, request.amount)
            if returned:
                self._mark_returned(lines, request.amount)
            return_id = self.sim.ids.sharing_order_id()
            store.insert(
                "sharing_returns",
                {
                    "return_id": return_id,
                    "out_return_no": request.out_return_no,
                    "mchid": mchid,
                    "sub_mchid": sub_mchid,
                    "order_id": order["order_id"],
                    "return_mchid": request.return_mchid,
                    "amount": request.amount,
                    "description": request.description,
                    "result": "SUCCESS" if returned else "FAILED",
                    "fail_reason": "" if returned else "BALANCE_NOT_ENOUGH",
                    "created_at": self.sim.now().timestamp(),
                },
            )
            recorded = store.one("SELECT * FROM sharing_returns WHERE return_id = ?", (return_id,))
        assert recorded is not None
        return self.return_resource(recorded)

    def _mark_returned(self, lines: list[Row], amount: int) -> None:
        left = amount
        for line in lines:
            part = min(left, int(line["amount"]) - int(line["returned"]))
            if part:
                self.sim.store.run(
                    "UPDATE sharing_receivers SET returned = returned + ? WHERE detail_id = ?",
                    (part, line["detail_id"]),
                )
                left -= part

    def return_resource(self, returned: Row) -> dict[str, Any]:
        order = self.sim.store.one(
            "SELECT out_order_no FROM sharing_orders WHERE order_id = ?", (returned["order_id"],)
        )
        data: dict[str, Any] = {
            "order_id": returned["order_id"],
            "out_order_no": order["out_order_no"] if order else "",
            "out_return_no": returned["out_return_no"],
            "return_id": returned["return_id"],
            "return_mchid": returned["return_mchid"],
            "amount": returned["amount"],
            "description": returned["description"],
            "result": returned["result"],
            "create_time": rfc3339(moment(returned["created_at"])),
            "finish_time": rfc3339(moment(returned["created_at"])),
        }
        if returned["fail_reason"]:
            data["fail_reason"] = returned["fail_reason"]
        if returned["sub_mchid"]:
            data["sub_mchid"] = returned["sub_mchid"]
        return data

    def query_return(
        self, caller: Caller, out_return_no: str, out_order_no: str, sub_mchid: str | None
    ) -> dict[str, Any]:
        mchid, sub = scope_of(self.sim, caller, sub_mchid)
        returned = self.sim.store.one(
            "SELECT r.* FROM sharing_returns r JOIN sharing_orders o ON o.order_id = r.order_id "
            "WHERE r.mchid = ? AND r.sub_mchid = ? AND r.out_return_no = ? AND o.out_order_no = ?",
            (mchid, sub, out_return_no, out_order_no),
        )
        if returned is None:
            raise ApiError(404, "RESOURCE_NOT_EXISTS", "记录不存在")
        return self.return_resource(returned)
