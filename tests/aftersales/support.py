"""Helpers of the after-sales tests: requests driven through the API as the shopper, the
store and the platform would."""

from __future__ import annotations

from typing import Any

import httpx

from tests.ledger.support import Market
from tests.support import Api, Headers, expect

RETURN_POLICY = {
    "return_recipient": "售后部",
    "return_phone": "13700001111",
    "return_address": "浙江省杭州市余杭区仓前街道 1 号",
}


def line_of(order: dict, index: int = 0) -> dict:
    return order["lines"][index]


async def ask(
    market: Market,
    order: dict,
    *,
    line: int = 0,
    quantity: int = 1,
    kind: str = "refund_only",
    reason: str = "changed_mind",
    shopper: Headers | None = None,
    key: str | None = None,
    **extra: Any,
) -> httpx.Response:
    headers = dict(shopper or market.shopper, **({"Idempotency-Key": key} if key else {}))
    return await market.api.client.post(
        "/api/v1/me/aftersales",
        json={
            "order_id": order["id"],
            "order_line_id": line_of(order, line)["id"],
            "quantity": quantity,
            "kind": kind,
            "reason_code": reason,
            **extra,
        },
        headers=headers,
    )


async def shopper_does(
    market: Market, request_id: int, action: str, body: dict | None = None, status: int = 200
) -> dict:
    return expect(
        await market.api.client.post(
            f"/api/v1/me/aftersales/{request_id}/{action}",
            json=body or {},
            headers=market.shopper,
        ),
        status,
    )


async def store_does(
    market: Market, request_id: int, action: str, body: dict | None = None, status: int = 200
) -> dict:
    return expect(
        await market.api.client.post(
            market.merchant(f"/aftersales/{request_id}/{action}"),
            json=body or {},
            headers=market.owner,
        ),
        status,
    )


async def seen_by_shopper(market: Market, request_id: int) -> dict:
    return expect(
        await market.api.client.get(f"/api/v1/me/aftersales/{request_id}", headers=market.shopper),
        200,
    )


async def set_policy(market: Market, **fields: Any) -> dict:
    return expect(
        await market.api.client.put(
            market.merchant("/aftersales/policy"), json=fields, headers=market.owner
        ),
        200,
    )


PARCEL = {"carrier": "顺丰", "tracking_no": "SF123456"}
MERCHANT = "/api/v1/merchant/stores/{store_id}/aftersales"
# Valid bodies of the after-sales write routes, for the sweeps over every route.
AFTERSALES_BODIES: dict[tuple[str, str], object] = {
    ("POST", "/api/v1/me/aftersales"): {
        "order_id": 1,
        "order_line_id": 1,
        "quantity": 1,
        "kind": "refund_only",
        "reason_code": "other",
    },
    ("POST", "/api/v1/me/aftersales/{request_id}/edit"): {"amount_fen": 1},
    ("POST", "/api/v1/me/aftersales/{request_id}/withdraw"): {},
    ("POST", "/api/v1/me/aftersales/{request_id}/escalate"): {},
    ("POST", "/api/v1/me/aftersales/{request_id}/return-shipment"): PARCEL,
    ("PUT", f"{MERCHANT}/policy"): {},
    ("POST", f"{MERCHANT}/{{request_id}}/approve"): {},
    ("POST", f"{MERCHANT}/{{request_id}}/reject"): {"reason": "测试"},
    ("POST", f"{MERCHANT}/{{request_id}}/propose"): {"amount_fen": 1},
    ("POST", f"{MERCHANT}/{{request_id}}/escalate"): {},
    ("POST", f"{MERCHANT}/{{request_id}}/exchange-shipment"): PARCEL,
    ("POST", "/api/v1/platform/aftersales/{request_id}/decision"): {
        "refund_fen": 0,
        "note": "测试",
    },
}


async def aftersales_request(api: Api, shopper: Headers, order: dict) -> int:
    """Pay ``order`` (unpaid, one line) and ask for a refund of its line: the request's id."""
    await api.confirm_in_cashier(await api.start_payment(shopper, order["id"]))
    paid = await api.order(shopper, order["id"])
    answer = await api.client.post(
        "/api/v1/me/aftersales",
        json={
            "order_id": paid["id"],
            "order_line_id": paid["lines"][0]["id"],
            "quantity": 1,
            "kind": "refund_only",
            "reason_code": "other",
        },
        headers=shopper,
    )
    return expect(answer, 201)["id"]
