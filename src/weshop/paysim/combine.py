"""Combined payments (合单支付), as a platform (电商收付通 / partner mode) makes them.

``POST /v3/combine-transactions/{jsapi,h5,native}`` places 2 to 50 sub-orders under one
``combine_out_trade_no``; each sub-order names the platform (``mchid``) and the
sub-merchant it pays (``sub_mchid``). The payer pays once, for all of them: each sub-order is
an ordinary transaction of its sub-merchant (its own ``transaction_id``; its money lands in
that sub-merchant's funds), so refunds, profit sharing, subsidies and bills work on it as on
any other. A mini-program pays through the JSAPI form, with the mini-program as
``combine_appid`` (or a store's own app as a sub-order's ``sub_appid``).

As WeChat Pay: the sub-orders are paid or closed together, never some of them (closing
names every sub-order, or fails); placing again with the same parameters answers the same
prepay id (a fresh one after two hours), with others 403 OUT_TRADE_NO_USED; a paid
combined order answers ORDERPAID, a closed one ORDER_CLOSED. The payment's callback is one
TRANSACTION.SUCCESS whose resource lists every sub-order.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator

from weshop.payments.wechatpay.transactions import rfc3339
from weshop.paysim import funds
from weshop.paysim.context import SimContext
from weshop.paysim.errors import ApiError, invalid_request, no_auth, param_error
from weshop.paysim.security import Caller
from weshop.paysim.store import Row
from weshop.paysim.transactions import (
    DEFAULT_PAYMENT_WINDOW,
    PAID_STATES,
    PREPAY_LIFETIME,
    STATE_DESCRIPTIONS,
    Trading,
    _time,
    check_notify_url,
    moment,
)

# WeChat Pay takes 2 to 50 sub-orders in one combined payment.
MIN_SUB_ORDERS = 2
MAX_SUB_ORDERS = 50
# A description is at most 127 bytes (UTF-8: about 42 Chinese characters).
DESCRIPTION_MAX_BYTES = 127
TradeNo = Annotated[str, Field(pattern=r"^[0-9A-Za-z_\-|*@]{2,32}$")]


class SubAmount(BaseModel):
    total_amount: StrictInt = Field(ge=1)
    currency: str = Field(default="CNY", pattern="^CNY$")


class SubSettle(BaseModel):
    profit_sharing: StrictBool = False
    subsidy_amount: StrictInt | None = Field(default=None, ge=0)


class SubOrder(BaseModel):
    model_config = ConfigDict(extra="ignore")
    mchid: str = Field(min_length=1, max_length=32)
    sub_mchid: str = Field(min_length=1, max_length=32)
    sub_appid: str | None = Field(default=None, max_length=32)
    attach: str = Field(min_length=1, max_length=128)
    amount: SubAmount
    out_trade_no: TradeNo
    detail: str | None = Field(default=None, max_length=6000)
    goods_tag: str | None = Field(default=None, max_length=32)
    description: str = Field(min_length=1)
    settle_info: SubSettle | None = None

    @field_validator("description")
    @classmethod
    def _bytes(cls, value: str) -> str:
        if len(value.encode()) > DESCRIPTION_MAX_BYTES:
            raise ValueError(f"超过{DESCRIPTION_MAX_BYTES}字节")
        return value


class H5Info(BaseModel):
    type: str = Field(min_length=1, max_length=32)


class CombineScene(BaseModel):
    device_id: str | None = Field(default=None, max_length=32)
    payer_client_ip: str = Field(min_length=1, max_length=45)
    h5_info: H5Info | None = None


class CombinePayer(BaseModel):
    openid: str | None = Field(default=None, max_length=128)
    sub_openid: str | None = Field(default=None, max_length=128)


class CombineOrder(BaseModel):
    model_config = ConfigDict(extra="ignore")
    combine_appid: str = Field(min_length=1, max_length=32)
    combine_mchid: str = Field(min_length=1, max_length=32)
    combine_out_trade_no: TradeNo
    scene_info: CombineScene | None = None
    sub_orders: list[SubOrder] = Field(min_length=MIN_SUB_ORDERS, max_length=MAX_SUB_ORDERS)
    combine_payer_info: CombinePayer | None = None
    time_start: str | None = None
    time_expire: str | None = None
    notify_url: str = Field(min_length=1, max_length=256)


class CloseSubOrder(BaseModel):
    model_config = ConfigDict(extra="ignore")
    mchid: str = Field(min_length=1, max_length=32)
    out_trade_no: TradeNo
    sub_mchid: str = Field(min_length=1, max_length=32)
    sub_appid: str | None = Field(default=None, max_length=32)


class CombineClose(BaseModel):
    combine_appid: str = Field(min_length=1, max_length=32)
    sub_orders: list[CloseSubOrder] = Field(min_length=1, max_length=MAX_SUB_ORDERS)


class Combining:
    def __init__(self, sim: SimContext, trading: Trading) -> None:
        self.sim = sim
        self.trading = trading

    # Placing

    def check(self, caller: Caller, trade_type: str, order: CombineOrder) -> None:
        """The request as WeChat Pay checks it before taking it: the platform's own call,
        its sub-merchants, apps bound to them, and what each trade type needs."""
        if caller.role != "platform":
            raise no_auth("合单支付(电商收付通)须由平台商户调用")
        if order.combine_mchid != caller.mchid:
            raise param_error(
                "combine_mchid", "与请求头Authorization中的商户号不一致", value=order.combine_mchid
            )
        if not self.sim.appid_bound(order.combine_mchid, order.combine_appid):
            raise ApiError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配，请检查后再试")
        seen: set[str] = set()
        for index, sub in enumerate(order.sub_orders):
            if sub.mchid != caller.mchid:
                raise param_error(
                    f"sub_orders/{index}/mchid", "须为合单发起方(平台)商户号", value=sub.mchid
                )
            merchant = self.sim.merchant(sub.sub_mchid)
            if merchant is None or merchant["role"] != "sub":
                raise ApiError(400, "MCH_NOT_EXISTS", "商户号不存在")
            if merchant["parent_mchid"] != caller.mchid:
                raise invalid_request("受理关系不存在")
            if sub.sub_appid and not self.sim.appid_bound(sub.sub_mchid, sub.sub_appid):
                raise ApiError(
                    400, "APPID_MCHID_NOT_MATCH", "sub_appid和sub_mchid不匹配，请检查后再试"
                )
            key = f"{sub.sub_mchid}/{sub.out_trade_no}"
            if key in seen:
                raise param_error(
                    f"sub_orders/{index}/out_trade_no", "子单商户订单号重复", value=sub.out_trade_no
                )
            seen.add(key)
        check_notify_url(order.notify_url)
        scene = order.scene_info
        if trade_type == "MWEB" and (scene is None or scene.h5_info is None):
            raise param_error("scene_info/h5_info", "H5合单下单须传h5_info")
        if trade_type == "JSAPI":
            payer = order.combine_payer_info
            if payer is None or not (payer.openid or payer.sub_openid):
                raise param_error("combine_payer_info/openid", "JSAPI合单下单须传用户标识")
            if payer.sub_openid and not all(sub.sub_appid for sub in order.sub_orders):
                raise param_error("sub_orders/sub_appid", "传sub_openid时子单的sub_appid必填")

    def payers(self, trade_type: str, order: CombineOrder) -> list[tuple[str, str, str]]:
        """A JSAPI combined order's payer as (appid, openid, WeChat Pay's word on a
        mismatch) for each app it is named under."""
        payer = order.combine_payer_info
        if trade_type != "JSAPI" or payer is None:
            return []
        named = []
        if payer.openid:
            named.append((order.combine_appid, payer.openid, "appid与openid不匹配"))
        if payer.sub_openid:
            for sub_appid in {sub.sub_appid for sub in order.sub_orders if sub.sub_appid}:
                named.append((sub_appid, payer.sub_openid, "sub_appid与sub_openid不匹配"))
        return named

    def create(self, caller: Caller, trade_type: str, order: CombineOrder) -> dict[str, str]:
        """Place (or place again) a combined order that passed ``check`` and whose payer
        was checked."""
        now = self.sim.now()
        expire = _time(order.time_expire, "time_expire") if order.time_expire else None
        if order.time_start:
            _time(order.time_start, "time_start")
        payer = order.combine_payer_info or CombinePayer()
        scene = order.scene_info
        request = order.model_dump(mode="json", exclude={"time_start", "scene_info"})
        request["trade_type"] = trade_type
        digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
        store = self.sim.store
        with store.transaction():
            existing = self.find(order.combine_mchid, order.combine_out_trade_no)
            if existing is not None:
                return self._again(existing, digest, now.timestamp())
            for sub in order.sub_orders:
                if self.trading.find(caller.mchid, sub.sub_mchid, sub.out_trade_no) is not None:
                    raise ApiError(403, "OUT_TRADE_NO_USED", "商户订单号重复")
            time_expire = (expire or now + DEFAULT_PAYMENT_WINDOW).timestamp()
            store.insert(
                "combine_orders",
                {
                    "combine_mchid": order.combine_mchid,
                    "combine_out_trade_no": order.combine_out_trade_no,
                    "combine_appid": order.combine_appid,
                    "trade_type": trade_type,
                    "notify_url": order.notify_url,
                    "payer_openid": payer.openid or "",
                    "payer_client_ip": scene.payer_client_ip if scene else "",
                    "device_id": (scene.device_id or "") if scene else "",
                    "request_digest": digest,
                    "prepay_id": self.sim.ids.prepay_id(),
                    "prepay_expires_at": (now + PREPAY_LIFETIME).timestamp(),
                    "code_token": self.sim.ids.token(),
                    "time_expire": time_expire,
                    "created_at": now.timestamp(),
                },
            )
            for position, sub in enumerate(order.sub_orders):
                transaction_id = self.sim.ids.transaction_id()
                settle = sub.settle_info
                store.insert(
                    "transactions",
                    {
                        "transaction_id": transaction_id,
                        "mchid": caller.mchid,
                        "sub_mchid": sub.sub_mchid,
                        "appid": order.combine_appid,
                        "sub_appid": sub.sub_appid or "",
                        "out_trade_no": sub.out_trade_no,
                        "trade_type": trade_type,
                        "description": sub.description,
                        "attach": sub.attach,
                        "notify_url": order.notify_url,
                        "total": sub.amount.total_amount,
                        "currency": sub.amount.currency,
                        "profit_sharing": int(bool(settle and settle.profit_sharing)),
                        "payer_openid": payer.openid or "",
                        "payer_sub_openid": payer.sub_openid if sub.sub_appid else "",
                        "payer_client_ip": scene.payer_client_ip if scene else "",
                        "request_digest": digest,
                        "state": "NOTPAY",
                        # A sub-order is paid through its combined order only.
                        "prepay_id": self.sim.ids.prepay_id(),
                        "prepay_expires_at": now.timestamp(),
                        "code_token": self.sim.ids.token(),
                        "time_expire": time_expire,
                        "created_at": now.timestamp(),
                    },
                )
                store.insert(
                    "combine_sub_orders",
                    {
                        "combine_mchid": order.combine_mchid,
                        "combine_out_trade_no": order.combine_out_trade_no,
                        "position": position,
                        "transaction_id": transaction_id,
                    },
                )
            created = self.find(order.combine_mchid, order.combine_out_trade_no)
        assert created is not None
        return self.prepay_answer(created)

    def _again(self, existing: Row, digest: str, now: float) -> dict[str, str]:
        state = self.state(existing)
        if state in PAID_STATES:
            raise ApiError(400, "ORDERPAID", "该订单已支付")
        if state == "CLOSED":
            raise ApiError(400, "ORDER_CLOSED", "订单已关闭")
        if existing["request_digest"] != digest:
            raise ApiError(403, "OUT_TRADE_NO_USED", "商户订单号重复")
        if now >= existing["prepay_expires_at"]:
            self.sim.store.run(
                "UPDATE combine_orders SET prepay_id = ?, prepay_expires_at = ? "
                "WHERE combine_mchid = ? AND combine_out_trade_no = ?",
                (
                    self.sim.ids.prepay_id(),
                    now + PREPAY_LIFETIME.total_seconds(),
                    existing["combine_mchid"],
                    existing["combine_out_trade_no"],
                ),
            )
            existing = self.find(existing["combine_mchid"], existing["combine_out_trade_no"])
            assert existing is not None
        return self.prepay_answer(existing)

    def prepay_answer(self, combined: Row) -> dict[str, str]:
        if combined["trade_type"] == "JSAPI":
            return {"prepay_id": combined["prepay_id"]}
        if combined["trade_type"] == "MWEB":
            return {"h5_url": f"{self.sim.base_url}/cashier/h5?prepay_id={combined['prepay_id']}"}
        return {"code_url": f"weixin://wxpay/bizpayurl?pr={combined['code_token']}"}

    # Reading

    def find(self, combine_mchid: str, combine_out_trade_no: str) -> Row | None:
        return self.sim.store.one(
            "SELECT * FROM combine_orders WHERE combine_mchid = ? AND combine_out_trade_no = ?",
            (combine_mchid, combine_out_trade_no),
        )

    def by_token(self, *, prepay_id: str = "", code_token: str = "") -> Row | None:
        """The combined order a cashier link points to, if it is one."""
        return self.sim.store.one(
            "SELECT * FROM combine_orders WHERE (prepay_id = ? AND ? != '') "
            "OR (code_token = ? AND ? != '')",
            (prepay_id, prepay_id, code_token, code_token),
        )

    def owned(self, caller: Caller, combine_out_trade_no: str) -> Row:
        combined = self.find(caller.mchid, combine_out_trade_no)
        if combined is None:
            raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
        return combined

    def sub_transactions(self, combined: Row) -> list[Row]:
        return self.sim.store.all(
            "SELECT t.* FROM combine_sub_orders c JOIN transactions t "
            "ON t.transaction_id = c.transaction_id "
            "WHERE c.combine_mchid = ? AND c.combine_out_trade_no = ? ORDER BY c.position",
            (combined["combine_mchid"], combined["combine_out_trade_no"]),
        )

    def state(self, combined: Row) -> str:
        """Its sub-orders' state: they are paid and closed together. A refund of one of
        them changes that one's state (REFUND) only: the combined order stays paid."""
        states = {self.trading.state(sub) for sub in self.sub_transactions(combined)}
        if states & set(PAID_STATES):
            return "SUCCESS"
        return "CLOSED" if "CLOSED" in states else "NOTPAY"

    def resource(self, combined: Row) -> dict[str, Any]:
        """The combined order as its query answers and its callback carries it."""
        sub_orders = []
        for sub in self.sub_transactions(combined):
            state = self.trading.state(sub)
            part: dict[str, Any] = {
                "mchid": sub["mchid"],
                "sub_mchid": sub["sub_mchid"],
                "trade_type": sub["trade_type"],
                "trade_state": state,
                "trade_state_desc": STATE_DESCRIPTIONS[state],
                "attach": sub["attach"],
                "out_trade_no": sub["out_trade_no"],
                "amount": {"total_amount": sub["total"], "currency": sub["currency"]},
            }
            if sub["sub_appid"]:
                part["sub_appid"] = sub["sub_appid"]
            if state in PAID_STATES:
                part.update(
                    transaction_id=sub["transaction_id"],
                    bank_type="OTHERS",
                    success_time=rfc3339(moment(sub["success_time"])),
                )
                part["amount"].update(payer_amount=sub["total"], payer_currency="CNY")
                if sub["payer_sub_openid"]:
                    part["sub_openid"] = sub["payer_sub_openid"]
            sub_orders.append(part)
        data: dict[str, Any] = {
            "combine_appid": combined["combine_appid"],
            "combine_mchid": combined["combine_mchid"],
            "combine_out_trade_no": combined["combine_out_trade_no"],
            "sub_orders": sub_orders,
        }
        if combined["device_id"]:
            data["scene_info"] = {"device_id": combined["device_id"]}
        openid = next((sub["payer_openid"] for sub in self.sub_transactions(combined)), "")
        if openid:
            data["combine_payer_info"] = {"openid": openid}
        return data

    # Closing and paying

    def close(self, combined: Row, body: CombineClose) -> None:
        """Close every sub-order; the request must name exactly the combined order's
        sub-orders (WeChat Pay closes all or none)."""
        if body.combine_appid != combined["combine_appid"]:
            raise invalid_request("combine_appid与下单时不一致")
        subs = self.sub_transactions(combined)
        named = {(sub.mchid, sub.sub_mchid, sub.out_trade_no) for sub in body.sub_orders}
        placed = {(sub["mchid"], sub["sub_mchid"], sub["out_trade_no"]) for sub in subs}
        if named != placed or len(body.sub_orders) != len(subs):
            raise invalid_request("子单信息与下单时不一致，须传入全部子单")
        if self.state(combined) in PAID_STATES:
            raise ApiError(400, "ORDERPAID", "订单已支付")
        with self.sim.store.transaction():
            for sub in subs:
                self.sim.store.run(
                    "UPDATE transactions SET state = 'CLOSED' "
                    "WHERE transaction_id = ? AND state = 'NOTPAY'",
                    (sub["transaction_id"],),
                )

    def pay(self, combined: Row) -> Row:
        """The payer confirms once: every sub-order is paid, each sub-merchant credited,
        and one callback listing them all is queued."""
        store, now = self.sim.store, self.sim.now()
        with store.transaction():
            state = self.state(combined)
            if state in PAID_STATES:
                raise ApiError(400, "ORDERPAID", "该订单已支付")
            if state == "CLOSED":
                raise ApiError(400, "ORDER_CLOSED", "订单已关闭")
            if (
                combined["trade_type"] != "NATIVE"
                and now.timestamp() >= combined["prepay_expires_at"]
            ):
                raise invalid_request("prepay_id已过期，请商户重新下单")
            openid = combined["payer_openid"] or self.sim.ids.openid()
            for sub in self.sub_transactions(combined):
                store.run(
                    "UPDATE transactions SET state = 'SUCCESS', success_time = ?, "
                    "payer_openid = ? WHERE transaction_id = ? AND state = 'NOTPAY'",
                    (now.timestamp(), openid, sub["transaction_id"]),
                )
                paid = self.trading.by_id(sub["transaction_id"])
                assert paid is not None
                funds.collect(store, paid)
            self.sim.notifier.enqueue(
                mchid=combined["combine_mchid"],
                url=combined["notify_url"],
                event_type="TRANSACTION.SUCCESS",
                summary="支付成功",
                original_type="transaction",
                resource=self.resource(combined),
            )
        return combined

    def total(self, combined: Row) -> int:
        return sum(int(sub["total"]) for sub in self.sub_transactions(combined))
