"""Profit sharing (分账): receivers, split orders, unfreezing the rest, returning a split.

A payment made with ``settle_info.profit_sharing = true`` stays frozen at the (sub-)merchant
until it is split to receivers or unfrozen. Splitting is an instruction to WeChat Pay: the
platform never takes the money itself. Every call is idempotent by its out number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from weshop.payments.provider import strict_fen
from weshop.payments.wechatpay.client import WechatPayClient
from weshop.payments.wechatpay.transactions import path_segment


@dataclass(frozen=True)
class Split:
    """One receiver's part of a split order."""

    type: str  # MERCHANT_ID | PERSONAL_OPENID | PERSONAL_SUB_OPENID
    account: str
    amount_fen: int
    description: str
    name: str | None = None  # the receiver's real name, sent encrypted


class ProfitSharing:
    def __init__(self, client: WechatPayClient, appid: str) -> None:
        self.client = client
        self.appid = appid

    async def add_receiver(
        self,
        *,
        type: str,
        account: str,
        relation_type: str,
        name: str | None = None,
        custom_relation: str | None = None,
        sub_mchid: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            **_sub(sub_mchid),
            "appid": self.appid,
            "type": type,
            "account": account,
            "relation_type": relation_type,
        }
        if name:
            body["name"] = self.client.encrypt(name)
        if custom_relation:
            body["custom_relation"] = custom_relation
        answer = await self.client.request(
            "POST", "/v3/profitsharing/receivers/add", body=body, encrypted_fields=bool(name)
        )
        return answer.data or {}

    async def split(
        self,
        *,
        transaction_id: str,
        out_order_no: str,
        receivers: Sequence[Split],
        unfreeze_unsplit: bool,
        sub_mchid: str | None = None,
    ) -> dict[str, Any]:
        """Split part of a paid order to receivers; with ``unfreeze_unsplit`` the rest goes
        to the merchant at once and the order can be split no more."""
        items = []
        for receiver in receivers:
            item: dict[str, Any] = {
                "type": receiver.type,
                "account": receiver.account,
                "amount": receiver.amount_fen,
                "description": receiver.description,
            }
            if receiver.name:
                item["name"] = self.client.encrypt(receiver.name)
            items.append(item)
        body = {
            **_sub(sub_mchid),
            "appid": self.appid,
            "transaction_id": transaction_id,
            "out_order_no": out_order_no,
            "receivers": items,
            "unfreeze_unsplit": unfreeze_unsplit,
        }
        named = any(receiver.name for receiver in receivers)
        answer = await self.client.request(
            "POST", "/v3/profitsharing/orders", body=body, encrypted_fields=named
        )
        return answer.data or {}

    async def query(
        self, *, transaction_id: str, out_order_no: str, sub_mchid: str | None = None
    ) -> dict[str, Any]:
        answer = await self.client.request(
            "GET",
            f"/v3/profitsharing/orders/{path_segment(out_order_no)}",
            query={**_sub(sub_mchid), "transaction_id": transaction_id},
        )
        return answer.data or {}

    async def unfreeze(
        self,
        *,
        transaction_id: str,
        out_order_no: str,
        description: str,
        sub_mchid: str | None = None,
    ) -> dict[str, Any]:
        """Give the merchant whatever of the order is still unsplit; possible once."""
        body = {
            **_sub(sub_mchid),
            "transaction_id": transaction_id,
            "out_order_no": out_order_no,
            "description": description,
        }
        answer = await self.client.request("POST", "/v3/profitsharing/orders/unfreeze", body=body)
        return answer.data or {}

    async def unsplit_amount(self, transaction_id: str) -> int:
        answer = await self.client.request(
            "GET", f"/v3/profitsharing/transactions/{path_segment(transaction_id)}/amounts"
        )
        return strict_fen((answer.data or {})["unsplit_amount"])

    async def max_ratio(self, sub_mchid: str) -> int:
        """The most, in basis points of each payment, the sub-merchant authorised the
        platform to split (查询最大分账比例)."""
        answer = await self.client.request(
            "GET", f"/v3/profitsharing/merchant-configs/{path_segment(sub_mchid)}"
        )
        ratio = (answer.data or {})["max_ratio"]
        if type(ratio) is not int:
            raise ValueError(f"the ratio {ratio!r} is not an integer number of basis points")
        return ratio

    async def return_split(
        self,
        *,
        out_order_no: str,
        out_return_no: str,
        return_mchid: str,
        amount_fen: int,
        description: str,
        sub_mchid: str | None = None,
    ) -> dict[str, Any]:
        """Take money split to a merchant receiver back to the merchant (before a refund)."""
        body = {
            **_sub(sub_mchid),
            "out_order_no": out_order_no,
            "out_return_no": out_return_no,
            "return_mchid": return_mchid,
            "amount": amount_fen,
            "description": description,
        }
        answer = await self.client.request("POST", "/v3/profitsharing/return-orders", body=body)
        return answer.data or {}

    async def query_return(
        self, *, out_order_no: str, out_return_no: str, sub_mchid: str | None = None
    ) -> dict[str, Any]:
        answer = await self.client.request(
            "GET",
            f"/v3/profitsharing/return-orders/{path_segment(out_return_no)}",
            query={**_sub(sub_mchid), "out_order_no": out_order_no},
        )
        return answer.data or {}


def _sub(sub_mchid: str | None) -> dict[str, str]:
    return {"sub_mchid": sub_mchid} if sub_mchid else {}
