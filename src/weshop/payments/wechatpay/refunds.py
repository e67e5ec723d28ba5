"""Refunds: ``/v3/refund/domestic/refunds`` and the query by out-refund-no.

A refund is idempotent by ``out_refund_no``: asking again with the same number answers the
same refund (with its current status) and never pays twice.
"""

from __future__ import annotations

from typing import Any

from weshop.payments.wechatpay.client import WechatPayClient
from weshop.payments.wechatpay.transactions import path_segment


class Refunds:
    def __init__(self, client: WechatPayClient) -> None:
        self.client = client

    async def create(
        self,
        *,
        out_trade_no: str,
        out_refund_no: str,
        refund_fen: int,
        total_fen: int,
        reason: str = "",
        notify_url: str | None = None,
        sub_mchid: str | None = None,
    ) -> dict[str, Any]:
        """Ask for a refund; ``status`` of the answer is PROCESSING, SUCCESS, CLOSED or
        ABNORMAL (the final word comes by query or by the REFUND.* notification)."""
        body: dict[str, Any] = {
            "out_trade_no": out_trade_no,
            "out_refund_no": out_refund_no,
            "amount": {"refund": refund_fen, "total": total_fen, "currency": "CNY"},
        }
        if sub_mchid:
            body["sub_mchid"] = sub_mchid
        if reason:
            body["reason"] = reason[:80]
        if notify_url:
            body["notify_url"] = notify_url
        answer = await self.client.request("POST", "/v3/refund/domestic/refunds", body=body)
        return answer.data or {}

    async def query(self, out_refund_no: str, *, sub_mchid: str | None = None) -> dict[str, Any]:
        answer = await self.client.request(
            "GET",
            f"/v3/refund/domestic/refunds/{path_segment(out_refund_no)}",
            query={"sub_mchid": sub_mchid} if sub_mchid else None,
        )
        return answer.data or {}
