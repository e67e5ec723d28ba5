"""E-commerce subsidies (补差): the platform pays the discounts it funded into an order of a
sub-merchant before the order's funds are split, and takes them back after a refund."""

from __future__ import annotations

from typing import Any

from weshop.payments.wechatpay.client import WechatPayClient


class Subsidies:
    def __init__(self, client: WechatPayClient) -> None:
        self.client = client

    async def create(
        self, *, sub_mchid: str, transaction_id: str, amount_fen: int, description: str
    ) -> dict[str, Any]:
        """One subsidy per order; asking again with the same amount is harmless."""
        body = {
            "sub_mchid": sub_mchid,
            "transaction_id": transaction_id,
            "amount": amount_fen,
            "description": description,
        }
        answer = await self.client.request("POST", "/v3/ecommerce/subsidies/create", body=body)
        return answer.data or {}

    async def return_subsidy(
        self,
        *,
        sub_mchid: str,
        out_order_no: str,
        transaction_id: str,
        refund_id: str,
        amount_fen: int,
        description: str,
    ) -> dict[str, Any]:
        """Take (part of) a subsidy back after a refund; idempotent by ``out_order_no``."""
        body = {
            "sub_mchid": sub_mchid,
            "out_order_no": out_order_no,
            "transaction_id": transaction_id,
            "refund_id": refund_id,
            "amount": amount_fen,
            "description": description,
        }
        answer = await self.client.request("POST", "/v3/ecommerce/subsidies/return", body=body)
        return answer.data or {}
