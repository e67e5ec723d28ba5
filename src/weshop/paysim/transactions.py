"""Orders: JSAPI / H5 / Native, direct and partner; query, close, and paying at the cashier.

An order's appid must be bound to its merchant (its own appid or one bound to it, as WeChat
Pay's AppID账号关联: the platform's official account and mini-program), a ``sub_appid`` to the
sub-merchant; a JSAPI payer's openid must be a user's of that app when the simulator has a
payer directory (``payers``), else PARAM_ERROR "appid和openid不匹配" as WeChat Pay answers.

An order is idempotent by out_trade_no: the same parameters again answer a prepay id (a
fresh one once the old is two hours old); other parameters under the same number answer
403 OUT_TRADE_NO_USED; a paid order answers ORDERPAID and a closed one ORDER_CLOSED. An
unpaid order past its time_expire is CLOSED.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from weshop.payments.wechatpay.transactions import rfc3339
from weshop.paysim import funds
from weshop.paysim.context import SimContext
from weshop.paysim.errors import ApiError, invalid_request, no_auth, param_error
from weshop.paysim.security import Caller
from weshop.paysim.store import Row

PREPAY_LIFETIME = timedelta(hours=2)
DEFAULT_PAYMENT_WINDOW = timedelta(days=7)
TRADE_TYPES = {"jsapi": "JSAPI", "h5": "MWEB", "native": "NATIVE"}
STATE_DESCRIPTIONS = {
    "SUCCESS": "支付成功",
    "NOTPAY": "订单未支付",
    "CLOSED": "订单已关闭",
    "REFUND": "订单发生过退款",
}
PAID_STATES = ("SUCCESS", "REFUND")


class Amount(BaseModel):
    total: StrictInt = Field(ge=1)
    currency: Literal["CNY"] = "CNY"


class H5Info(BaseModel):
    type: str = Field(min_length=1, max_length=32)


class SceneInfo(BaseModel):
    payer_client_ip: str | None = Field(default=None, max_length=45)
    device_id: str | None = Field(default=None, max_length=32)
    h5_info: H5Info | None = None


class SettleInfo(BaseModel):
    profit_sharing: bool = False


class OrderFields(BaseModel):
    model_config = ConfigDict(extra="ignore")
    description: str = Field(min_length=1, max_length=127)
    out_trade_no: Annotated[str, Field(pattern=r"^[0-9A-Za-z_\-|*]{6,32}$")]
    time_expire: str | None = None
    attach: str | None = Field(default=None, max_length=128)
    notify_url: str = Field(min_length=1, max_length=255)
    amount: Amount
    scene_info: SceneInfo | None = None
    settle_info: SettleInfo | None = None


class DirectPayer(BaseModel):
    openid: str = Field(min_length=1, max_length=128)


class PartnerPayer(BaseModel):
    sp_openid: str | None = Field(default=None, max_length=128)
    sub_openid: str | None = Field(default=None, max_length=128)


class DirectOrder(OrderFields):
    appid: str = Field(min_length=1, max_length=32)
    mchid: str = Field(min_length=1, max_length=32)
    payer: DirectPayer | None = None


class PartnerOrder(OrderFields):
    sp_appid: str = Field(min_length=1, max_length=32)
    sp_mchid: str = Field(min_length=1, max_length=32)
    sub_appid: str | None = Field(default=None, max_length=32)
    sub_mchid: str = Field(min_length=1, max_length=32)
    payer: PartnerPayer | None = None


class DirectClose(BaseModel):
    mchid: str = Field(min_length=1, max_length=32)


class PartnerClose(BaseModel):
    sp_mchid: str = Field(min_length=1, max_length=32)
    sub_mchid: str = Field(min_length=1, max_length=32)


def moment(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def check_direct(caller: Caller, mchid: str) -> None:
    if caller.role != "direct":
        raise no_auth("服务商/平台商户请调用服务商模式接口")
    if mchid != caller.mchid:
        raise param_error("mchid", "与请求头Authorization中的商户号不一致", value=mchid)


def check_partner(sim: SimContext, caller: Caller, sp_mchid: str, sub_mchid: str) -> None:
    if caller.role != "platform":
        raise no_auth("普通商户请调用直连模式接口")
    if sp_mchid != caller.mchid:
        raise param_error("sp_mchid", "与请求头Authorization中的商户号不一致", value=sp_mchid)
    sub = sim.merchant(sub_mchid)
    if sub is None or sub["role"] != "sub":
        raise ApiError(400, "MCH_NOT_EXISTS", "商户号不存在")
    if sub["parent_mchid"] != caller.mchid:
        raise invalid_request("受理关系不存在")


def check_notify_url(url: str, field: str = "notify_url") -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise param_error(field, "回调地址须为http(s)的完整URL，且不能携带参数", value=url)
    return url


def _time(text: str, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise param_error(field, "须为rfc3339格式", value=text) from exc
    if parsed.tzinfo is None:
        raise param_error(field, "须带时区", value=text)
    return parsed


class Trading:
    def __init__(self, sim: SimContext) -> None:
        self.sim = sim

    def find(self, mchid: str, sub_mchid: str, out_trade_no: str) -> Row | None:
        return self.sim.store.one(
            "SELECT * FROM transactions WHERE mchid = ? AND sub_mchid = ? AND out_trade_no = ?",
            (mchid, sub_mchid, out_trade_no),
        )

    def by_id(self, transaction_id: str) -> Row | None:
        return self.sim.store.one(
            "SELECT * FROM transactions WHERE transaction_id = ?", (transaction_id,)
        )

    def state(self, transaction: Row) -> str:
        expired = self.sim.now().timestamp() >= transaction["time_expire"]
        return "CLOSED" if transaction["state"] == "NOTPAY" and expired else transaction["state"]

    def check_apps(self, caller: Caller, order: DirectOrder | PartnerOrder) -> None:
        """The order's merchant may take it, under apps bound to it."""
        if isinstance(order, PartnerOrder):
            check_partner(self.sim, caller, order.sp_mchid, order.sub_mchid)
            if not self.sim.appid_bound(order.sp_mchid, order.sp_appid):
                raise ApiError(400, "APPID_MCHID_NOT_MATCH", "sp_appid和sp_mchid不匹配")
            if order.sub_appid and not self.sim.appid_bound(order.sub_mchid, order.sub_appid):
                raise ApiError(400, "APPID_MCHID_NOT_MATCH", "sub_appid和sub_mchid不匹配")
        else:
            check_direct(caller, order.mchid)
            if not self.sim.appid_bound(order.mchid, order.appid):
                raise ApiError(400, "APPID_MCHID_NOT_MATCH", "AppID和mch_id不匹配")

    def payers(
        self, trade_type: str, order: DirectOrder | PartnerOrder
    ) -> list[tuple[str, str, str]]:
        """A JSAPI order's payer as (appid, openid, what WeChat Pay calls the pair when they
        do not match), for each openid it names."""
        openid, sub_openid = self._payer(trade_type, order)
        if isinstance(order, DirectOrder):
            return [(order.appid, openid, "appid和openid不匹配")] if openid else []
        named = [(order.sp_appid, openid, "sp_appid和sp_openid不匹配")] if openid else []
        if sub_openid and order.sub_appid:
            named.append((order.sub_appid, sub_openid, "sub_appid和sub_openid不匹配"))
        return named

    def create(
        self, caller: Caller, trade_type: str, order: DirectOrder | PartnerOrder
    ) -> dict[str, str]:
        """Place (or place again) an order whose payer was checked (``PaySim.place_order``)."""
        self.check_apps(caller, order)
        if isinstance(order, PartnerOrder):
            mchid, sub_mchid, appid = order.sp_mchid, order.sub_mchid, order.sp_appid
            sub_appid = order.sub_appid or ""
        else:
            mchid, sub_mchid, appid, sub_appid = order.mchid, "", order.appid, ""
        openid, sub_openid = self._payer(trade_type, order)
        client_ip = self._scene(trade_type, order)
        now = self.sim.now()
        expire = _time(order.time_expire, "time_expire") if order.time_expire else None
        fields = {
            "trade_type": trade_type,
            "appid": appid,
            "sub_appid": sub_appid,
            "description": order.description,
            "attach": order.attach or "",
            "notify_url": check_notify_url(order.notify_url),
            "total": order.amount.total,
            "currency": order.amount.currency,
            "profit_sharing": int(bool(order.settle_info and order.settle_info.profit_sharing)),
            "payer_openid": openid,
            "payer_sub_openid": sub_openid,
        }
        digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
        store = self.sim.store
        with store.transaction():
            existing = self.find(mchid, sub_mchid, order.out_trade_no)
            if existing is not None:
                return self._again(existing, digest, now)
            transaction_id = self.sim.ids.transaction_id()
            store.insert(
                "transactions",
                {
                    **fields,
                    "transaction_id": transaction_id,
                    "mchid": mchid,
                    "sub_mchid": sub_mchid,
                    "out_trade_no": order.out_trade_no,
                    "payer_client_ip": client_ip,
                    "request_digest": digest,
                    "state": "NOTPAY",
                    "prepay_id": self.sim.ids.prepay_id(),
                    "prepay_expires_at": (now + PREPAY_LIFETIME).timestamp(),
                    "code_token": self.sim.ids.token(),
                    "time_expire": (expire or now + DEFAULT_PAYMENT_WINDOW).timestamp(),
                    "created_at": now.timestamp(),
                },
            )
            created = self.by_id(transaction_id)
        assert created is not None
        return self.prepay_answer(created)

    def _again(self, existing: Row, digest: str, now: datetime) -> dict[str, str]:
        state = self.state(existing)
        if state in PAID_STATES:
            raise ApiError(400, "ORDERPAID", "该订单已支付")
        if state == "CLOSED":
            raise ApiError(400, "ORDER_CLOSED", "订单已关闭")
        if existing["request_digest"] != digest:
            raise ApiError(403, "OUT_TRADE_NO_USED", "商户订单号重复")
        if now.timestamp() >= existing["prepay_expires_at"]:
            self.sim.store.run(
                "UPDATE transactions SET prepay_id = ?, prepay_expires_at = ? "
                "WHERE transaction_id = ?",
                (
                    self.sim.ids.prepay_id(),
                    (now + PREPAY_LIFETIME).timestamp(),
                    existing["transaction_id"],
                ),
            )
            refreshed = self.by_id(existing["transaction_id"])
            assert refreshed is not None
            existing = refreshed
        return self.prepay_answer(existing)

    def _payer(self, trade_type: str, order: DirectOrder | PartnerOrder) -> tuple[str, str]:
        if trade_type != "JSAPI":
            return "", ""
        if isinstance(order, DirectOrder):
            if order.payer is None:
                raise param_error("payer", "JSAPI下单须传payer.openid")
            return order.payer.openid, ""
        payer = order.payer
        if payer is None or not (payer.sp_openid or payer.sub_openid):
            raise param_error("payer", "JSAPI下单须传payer.sp_openid或payer.sub_openid")
        if payer.sub_openid and not order.sub_appid:
            raise param_error("sub_appid", "传sub_openid时sub_appid必填")
        return payer.sp_openid or "", payer.sub_openid or ""

    def _scene(self, trade_type: str, order: OrderFields) -> str:
        if trade_type != "MWEB":
            return order.scene_info.payer_client_ip or "" if order.scene_info else ""
        scene = order.scene_info
        if scene is None or not scene.payer_client_ip:
            raise param_error("scene_info/payer_client_ip", "H5下单须传用户终端IP")
        if scene.h5_info is None:
            raise param_error("scene_info/h5_info", "H5下单须传h5_info")
        return scene.payer_client_ip

    def prepay_answer(self, transaction: Row) -> dict[str, str]:
        if transaction["trade_type"] == "JSAPI":
            return {"prepay_id": transaction["prepay_id"]}
        if transaction["trade_type"] == "MWEB":
            return {
                "h5_url": f"{self.sim.base_url}/cashier/h5?prepay_id={transaction['prepay_id']}"
            }
        return {"code_url": f"weixin://wxpay/bizpayurl?pr={transaction['code_token']}"}

    def owned(self, caller: Caller, transaction: Row | None) -> Row:
        if transaction is None or transaction["mchid"] != caller.mchid:
            raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
        return transaction

    def close(self, transaction: Row) -> None:
        state = self.state(transaction)
        if state in PAID_STATES:
            raise ApiError(400, "ORDERPAID", "订单已支付")
        self.sim.store.run(
            "UPDATE transactions SET state = 'CLOSED' "
            "WHERE transaction_id = ? AND state = 'NOTPAY'",
            (transaction["transaction_id"],),
        )

    def pay(self, *, prepay_id: str = "", code_token: str = "") -> Row:
        """The payer confirms at the cashier: the money is taken and a callback is queued."""
        store, now = self.sim.store, self.sim.now()
        with store.transaction():
            transaction = store.one(
                "SELECT * FROM transactions WHERE (prepay_id = ? AND ? != '') "
                "OR (code_token = ? AND ? != '')",
                (prepay_id, prepay_id, code_token, code_token),
            )
            if transaction is None:
                raise invalid_request("支付链接无效")
            state = self.state(transaction)
            if state in PAID_STATES:
                raise ApiError(400, "ORDERPAID", "该订单已支付")
            if state == "CLOSED":
                raise ApiError(400, "ORDER_CLOSED", "订单已关闭")
            if prepay_id and now.timestamp() >= transaction["prepay_expires_at"]:
                raise invalid_request("prepay_id已过期，请商户重新下单")
            store.run(
                "UPDATE transactions SET state = 'SUCCESS', success_time = ?, "
                "payer_openid = CASE WHEN payer_openid = '' AND payer_sub_openid = '' "
                "THEN ? ELSE payer_openid END WHERE transaction_id = ?",
                (now.timestamp(), self.sim.ids.openid(), transaction["transaction_id"]),
            )
            paid = self.by_id(transaction["transaction_id"])
            assert paid is not None
            funds.collect(store, paid)
            self.sim.notifier.enqueue(
                mchid=paid["mchid"],
                url=paid["notify_url"],
                event_type="TRANSACTION.SUCCESS",
                summary="支付成功",
                original_type="transaction",
                resource=self.resource(paid),
            )
        return paid

    def resource(self, transaction: Row) -> dict[str, Any]:
        """The transaction as the query answers it and the callback carries it."""
        state = self.state(transaction)
        if transaction["sub_mchid"]:
            data: dict[str, Any] = {
                "sp_appid": transaction["appid"],
                "sp_mchid": transaction["mchid"],
                "sub_mchid": transaction["sub_mchid"],
            }
            if transaction["sub_appid"]:
                data["sub_appid"] = transaction["sub_appid"]
        else:
            data = {"appid": transaction["appid"], "mchid": transaction["mchid"]}
        data.update(
            out_trade_no=transaction["out_trade_no"],
            trade_state=state,
            trade_state_desc=STATE_DESCRIPTIONS[state],
            amount={"total": transaction["total"], "currency": transaction["currency"]},
        )
        if state not in PAID_STATES:
            data["amount"]["payer_currency"] = transaction["currency"]
            return data
        data.update(
            transaction_id=transaction["transaction_id"],
            trade_type=transaction["trade_type"],
            bank_type="OTHERS",
            attach=transaction["attach"],
            success_time=rfc3339(moment(transaction["success_time"])),
            payer=self._payer_out(transaction),
            promotion_detail=[],
        )
        data["amount"].update(payer_total=transaction["total"], payer_currency="CNY")
        return data

    def _payer_out(self, transaction: Row) -> dict[str, str]:
        if not transaction["sub_mchid"]:
            return {"openid": transaction["payer_openid"]}
        payer = {"sp_openid": transaction["payer_openid"]} if transaction["payer_openid"] else {}
        if transaction["payer_sub_openid"]:
            payer["sub_openid"] = transaction["payer_sub_openid"]
        return payer
