"""Combined payments (合单支付) of a platform in partner mode (电商收付通): one payment by the
payer for several sub-orders, each paid to its store's sub-merchant.

``POST /v3/combine-transactions/{jsapi,h5,native}`` with ``combine_appid``,
``combine_mchid`` (the platform) and ``sub_orders`` (each: the platform's ``mchid``, the
store's ``sub_mchid``, its own ``out_trade_no``, ``amount.total_amount``, ``description``,
``attach`` and ``settle_info.profit_sharing``); a mini-program pays through the JSAPI form
under its own appid as ``combine_appid``. Query and close go by ``combine_out_trade_no``;
closing names every sub-order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from weshop.payments.wechatpay.client import WechatPayClient
from weshop.payments.wechatpay.transactions import Partner, TradeType, path_segment, rfc3339


@dataclass(frozen=True)
class SubOrder:
    sub_mchid: str
    out_trade_no: str
    total_fen: int
    description: str
    attach: str
    sub_appid: str | None = None


class CombineTransactions:
    def __init__(self, client: WechatPayClient, merchant: Partner) -> None:
        self.client = client
        self.merchant = merchant

    async def create(
        self,
        trade_type: TradeType,
        *,
        combine_out_trade_no: str,
        sub_orders: Sequence[SubOrder],
        notify_url: str,
        time_expire: datetime | None = None,
        combine_appid: str | None = None,
        payer_openid: str | None = None,
        payer_sub_openid: str | None = None,
        payer_client_ip: str | None = None,
        h5_type: str = "Wap",
    ) -> dict[str, Any]:
        """Place a combined order; answers ``prepay_id`` (JSAPI), ``h5_url`` (H5) or
        ``code_url`` (Native). The same parameters again are harmless."""
        body: dict[str, Any] = {
            "combine_appid": combine_appid or self.merchant.sp_appid,
            "combine_mchid": self.merchant.sp_mchid,
            "combine_out_trade_no": combine_out_trade_no,
            "sub_orders": [self._sub_order(sub) for sub in sub_orders],
            "notify_url": notify_url,
        }
        if time_expire is not None:
            body["time_expire"] = rfc3339(time_expire)
        if payer_client_ip:
            body["scene_info"] = {"payer_client_ip": payer_client_ip}
        if trade_type is TradeType.H5:
            if not payer_client_ip:
                raise ValueError("an H5 payment needs the payer's IP address")
            body["scene_info"]["h5_info"] = {"type": h5_type}
        if trade_type is TradeType.JSAPI:
            if not (payer_openid or payer_sub_openid):
                raise ValueError("a JSAPI payment needs the payer's openid")
            payer = {"openid": payer_openid} if payer_openid else {}
            if payer_sub_openid:
                payer["sub_openid"] = payer_sub_openid
            body["combine_payer_info"] = payer
        answer = await self.client.request(
            "POST", f"/v3/combine-transactions/{trade_type}", body=body
        )
        return answer.data or {}

    def _sub_order(self, sub: SubOrder) -> dict[str, Any]:
        order: dict[str, Any] = {
            "mchid": self.merchant.sp_mchid,
            "sub_mchid": sub.sub_mchid,
            "out_trade_no": sub.out_trade_no,
            "amount": {"total_amount": sub.total_fen, "currency": "CNY"},
            "description": sub.description,
            "attach": sub.attach,
            # The money stays frozen until settlement splits it, as with single orders.
            "settle_info": {"profit_sharing": True},
        }
        if sub.sub_appid:
            order["sub_appid"] = sub.sub_appid
        return order

    async def query(self, combine_out_trade_no: str) -> dict[str, Any]:
        path = f"/v3/combine-transactions/out-trade-no/{path_segment(combine_out_trade_no)}"
        answer = await self.client.request("GET", path)
        return answer.data or {}

    async def close(
        self,
        combine_out_trade_no: str,
        sub_orders: Sequence[SubOrder],
        *,
        combine_appid: str | None = None,
    ) -> None:
        """Close every sub-order (204); WeChat Pay closes all of them or none."""
        path = f"/v3/combine-transactions/out-trade-no/{path_segment(combine_out_trade_no)}/close"
        body = {
            "combine_appid": combine_appid or self.merchant.sp_appid,
            "sub_orders": [
                {
                    "mchid": self.merchant.sp_mchid,
                    "sub_mchid": sub.sub_mchid,
                    "out_trade_no": sub.out_trade_no,
                    **({"sub_appid": sub.sub_appid} if sub.sub_appid else {}),
                }
                for sub in sub_orders
            ],
        }
        await self.client.request("POST", path, body=body)
