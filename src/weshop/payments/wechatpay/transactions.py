"""Ordering, querying and closing payments, for a direct merchant or a platform (partner).

Direct merchants call ``/v3/pay/transactions/...`` with ``appid`` and ``mchid``; platforms
call ``/v3/pay/partner/transactions/...`` with ``sp_appid``, ``sp_mchid`` and the store's
``sub_mchid``, and their orders are made with ``settle_info.profit_sharing = true`` so the
money stays frozen until it is split (the platform never holds merchants' money).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from weshop.core.clock import CHINA_TZ
from weshop.payments.wechatpay.client import WechatPayClient

BEIJING = CHINA_TZ  # the protocol's times are Beijing time


class TradeType(enum.StrEnum):
    JSAPI = "jsapi"  # in WeChat (official accounts) and mini programs
    H5 = "h5"  # mobile browsers outside WeChat
    NATIVE = "native"  # a QR code the payer scans


@dataclass(frozen=True)
class Direct:
    mchid: str
    appid: str


@dataclass(frozen=True)
class Partner:
    sp_mchid: str
    sp_appid: str


Merchant = Direct | Partner


def rfc3339(moment: datetime) -> str:
    """A time as WeChat Pay writes it: Beijing time, seconds, with its offset."""
    return moment.astimezone(BEIJING).replace(microsecond=0).isoformat()


def path_segment(value: str) -> str:
    return quote(value, safe="")


class Transactions:
    def __init__(self, client: WechatPayClient, merchant: Merchant) -> None:
        self.client = client
        self.merchant = merchant

    @property
    def partner(self) -> bool:
        return isinstance(self.merchant, Partner)

    async def create(
        self,
        trade_type: TradeType,
        *,
        out_trade_no: str,
        description: str,
        total_fen: int,
        notify_url: str,
        time_expire: datetime | None = None,
        attach: str | None = None,
        payer_openid: str | None = None,
        payer_client_ip: str | None = None,
        h5_type: str = "Wap",
        sub_mchid: str | None = None,
        sub_appid: str | None = None,
        appid: str | None = None,
        profit_sharing: bool | None = None,
    ) -> dict[str, Any]:
        """Place an order; returns ``prepay_id`` (JSAPI), ``h5_url`` (H5) or ``code_url``
        (Native). Calling again with the same parameters is harmless.

        ``appid``: another app bound to the merchant than its configured one (its
        mini-program, say), as ``appid`` (direct) or ``sp_appid`` (partner)."""
        body: dict[str, Any] = {
            **self._owner(sub_mchid, sub_appid, appid),
            "description": description[:127],
            "out_trade_no": out_trade_no,
            "notify_url": notify_url,
            "amount": {"total": total_fen, "currency": "CNY"},
        }
        if time_expire is not None:
            body["time_expire"] = rfc3339(time_expire)
        if attach:
            body["attach"] = attach
        sharing = self.partner if profit_sharing is None else profit_sharing
        if sharing:
            body["settle_info"] = {"profit_sharing": True}
        if trade_type is TradeType.JSAPI:
            if not payer_openid:
                raise ValueError("a JSAPI payment needs the payer's openid")
            payer_field = (
                "openid" if not self.partner else "sub_openid" if sub_appid else "sp_openid"
            )
            body["payer"] = {payer_field: payer_openid}
        if trade_type is TradeType.H5:
            if not payer_client_ip:
                raise ValueError("an H5 payment needs the payer's IP address")
            body["scene_info"] = {"payer_client_ip": payer_client_ip, "h5_info": {"type": h5_type}}
        prefix = "/v3/pay/partner/transactions" if self.partner else "/v3/pay/transactions"
        answer = await self.client.request("POST", f"{prefix}/{trade_type}", body=body)
        return answer.data or {}

    async def query(self, out_trade_no: str, *, sub_mchid: str | None = None) -> dict[str, Any]:
        """The order as WeChat Pay sees it (``trade_state`` SUCCESS, NOTPAY, CLOSED, REFUND…)."""
        if isinstance(self.merchant, Partner):
            path = f"/v3/pay/partner/transactions/out-trade-no/{path_segment(out_trade_no)}"
            query = {"sp_mchid": self.merchant.sp_mchid, "sub_mchid": _required(sub_mchid)}
        else:
            path = f"/v3/pay/transactions/out-trade-no/{path_segment(out_trade_no)}"
            query = {"mchid": self.merchant.mchid}
        answer = await self.client.request("GET", path, query=query)
        return answer.data or {}

    async def close(self, out_trade_no: str, *, sub_mchid: str | None = None) -> None:
        """Close an unpaid order (204). Closing it again is harmless."""
        if isinstance(self.merchant, Partner):
            path = f"/v3/pay/partner/transactions/out-trade-no/{path_segment(out_trade_no)}/close"
            body = {"sp_mchid": self.merchant.sp_mchid, "sub_mchid": _required(sub_mchid)}
        else:
            path = f"/v3/pay/transactions/out-trade-no/{path_segment(out_trade_no)}/close"
            body = {"mchid": self.merchant.mchid}
        await self.client.request("POST", path, body=body)

    def _owner(
        self, sub_mchid: str | None, sub_appid: str | None, appid: str | None
    ) -> dict[str, str]:
        if isinstance(self.merchant, Partner):
            owner = {
                "sp_appid": appid or self.merchant.sp_appid,
                "sp_mchid": self.merchant.sp_mchid,
                "sub_mchid": _required(sub_mchid),
            }
            if sub_appid:
                owner["sub_appid"] = sub_appid
            return owner
        return {"appid": appid or self.merchant.appid, "mchid": self.merchant.mchid}


def _required(sub_mchid: str | None) -> str:
    if not sub_mchid:
        raise ValueError("in partner mode every order belongs to a sub-merchant: pass sub_mchid")
    return sub_mchid
