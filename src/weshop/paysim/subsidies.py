"""E-commerce subsidies (补差): ``/v3/ecommerce/subsidies/create`` and ``.../return``.

The platform pays a subsidy into a paid profit-sharing order of one of its sub-merchants
before the order's funds are split, from its own available balance (its deposits and fees):
the subsidy then settles with the order. One subsidy per order; asking again for the same
amount answers the same subsidy. After a refund of the order, the platform may take
(part of) it back, once per ``out_order_no``, from the sub-merchant's available balance.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from weshop.payments.wechatpay.transactions import rfc3339
from weshop.paysim import funds
from weshop.paysim.context import SimContext
from weshop.paysim.errors import ApiError, invalid_request, no_auth
from weshop.paysim.refunds import OUT_NUMBER
from weshop.paysim.security import Caller
from weshop.paysim.store import Row
from weshop.paysim.transactions import PAID_STATES, Trading, check_partner, moment


class SubsidyRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sub_mchid: str = Field(min_length=1, max_length=32)
    transaction_id: str = Field(min_length=1, max_length=32)
    amount: StrictInt = Field(ge=1)
    description: str = Field(min_length=1, max_length=80)
    refund_id: str | None = Field(default=None, max_length=32)


class SubsidyReturnRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sub_mchid: str = Field(min_length=1, max_length=32)
    out_order_no: Annotated[str, Field(pattern=OUT_NUMBER)]
    transaction_id: str = Field(min_length=1, max_length=32)
    refund_id: str = Field(min_length=1, max_length=32)
    amount: StrictInt = Field(ge=1)
    description: str = Field(min_length=1, max_length=80)


class Subsidies:
    def __init__(self, sim: SimContext, trading: Trading) -> None:
        self.sim = sim
        self.trading = trading

    def _transaction(self, caller: Caller, sub_mchid: str, transaction_id: str) -> Row:
        if caller.role != "platform":
            raise no_auth("补差只适用于电商平台")
        check_partner(self.sim, caller, caller.mchid, sub_mchid)
        transaction = self.trading.by_id(transaction_id)
        if transaction is None or transaction["sub_mchid"] != sub_mchid:
            raise ApiError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        if self.trading.state(transaction) not in PAID_STATES:
            raise invalid_request("订单未支付，不能补差")
        return transaction

    def create(self, caller: Caller, request: SubsidyRequest) -> dict[str, Any]:
        store = self.sim.store
        with store.transaction():
            transaction = self._transaction(caller, request.sub_mchid, request.transaction_id)
            existing = store.one(
                "SELECT * FROM subsidies WHERE transaction_id = ?", (request.transaction_id,)
            )
            if existing is not None:
                if existing["amount"] != request.amount:
                    raise invalid_request("该订单已补差，且补差金额与之前不一致")
                return self.resource(existing)
            funds.subsidise(store, f"mch:{caller.mchid}", transaction, request.amount)
            subsidy_id = self.sim.ids.sharing_order_id()
            store.insert(
                "subsidies",
                {
                    "subsidy_id": subsidy_id,
                    "mchid": caller.mchid,
                    "sub_mchid": request.sub_mchid,
                    "transaction_id": request.transaction_id,
                    "amount": request.amount,
                    "description": request.description,
                    "created_at": self.sim.now().timestamp(),
                },
            )
            created = store.one("SELECT * FROM subsidies WHERE subsidy_id = ?", (subsidy_id,))
        assert created is not None
        return self.resource(created)

    def return_subsidy(self, caller: Caller, request: SubsidyReturnRequest) -> dict[str, Any]:
        store = self.sim.store
        with store.transaction():
            existing = store.one(
                "SELECT * FROM subsidy_returns WHERE mchid = ? AND sub_mchid = ? "
                "AND out_order_no = ?",
                (caller.mchid, request.sub_mchid, request.out_order_no),
            )
            if existing is not None:
                return self.return_resource(existing)
            transaction = self._transaction(caller, request.sub_mchid, request.transaction_id)
            subsidy = store.one(
                "SELECT * FROM subsidies WHERE transaction_id = ?", (request.transaction_id,)
            )
            refund = store.one(
                "SELECT 1 FROM refunds WHERE refund_id = ? AND transaction_id = ?",
                (request.refund_id, request.transaction_id),
            )
            if subsidy is None or refund is None:
                raise ApiError(404, "RESOURCE_NOT_EXISTS", "补差单或退款单不存在")
            if request.amount > subsidy["amount"] - subsidy["returned"]:
                raise invalid_request("补差回退金额超过可回退金额")
            returned = funds.return_subsidy(
                store, f"mch:{caller.mchid}", transaction, request.amount
            )
            if returned:
                store.run(
                    "UPDATE subsidies SET returned = returned + ? WHERE subsidy_id = ?",
                    (request.amount, subsidy["subsidy_id"]),
                )
            return_id = self.sim.ids.sharing_order_id()
            store.insert(
                "subsidy_returns",
                {
                    "subsidy_refund_id": return_id,
                    "mchid": caller.mchid,
                    "sub_mchid": request.sub_mchid,
                    "out_order_no": request.out_order_no,
                    "transaction_id": request.transaction_id,
                    "refund_id": request.refund_id,
                    "amount": request.amount,
                    "description": request.description,
                    "result": "SUCCESS" if returned else "FAIL",
                    "created_at": self.sim.now().timestamp(),
                },
            )
            recorded = store.one(
                "SELECT * FROM subsidy_returns WHERE subsidy_refund_id = ?", (return_id,)
            )
        assert recorded is not None
        return self.return_resource(recorded)

    def resource(self, subsidy: Row) -> dict[str, Any]:
        return {
            "sub_mchid": subsidy["sub_mchid"],
            "transaction_id": subsidy["transaction_id"],
            "subsidy_id": subsidy["subsidy_id"],
            "description": subsidy["description"],
            "amount": subsidy["amount"],
            "result": "SUCCESS",
            "success_time": rfc3339(moment(subsidy["created_at"])),
        }

    def return_resource(self, returned: Row) -> dict[str, Any]:
        return {
            "sub_mchid": returned["sub_mchid"],
            "transaction_id": returned["transaction_id"],
            "subsidy_refund_id": returned["subsidy_refund_id"],
            "refund_id": returned["refund_id"],
            "out_order_no": returned["out_order_no"],
            "amount": returned["amount"],
            "description": returned["description"],
            "result": returned["result"],
            "success_time": rfc3339(moment(returned["created_at"])),
        }
