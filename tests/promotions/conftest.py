"""Helpers of the promotions tests: template bodies, stores, shoppers and claims."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx

from tests.support import Api, Headers, expect
from weshop.core.clock import utcnow

CLAIMS = "/api/v1/me/coupons/claims"
WALLET = "/api/v1/me/coupons"
PLATFORM = "/api/v1/platform/coupon-templates"


def templates_url(store_id: int, path: str = "") -> str:
    return f"/api/v1/merchant/stores/{store_id}/coupon-templates{path}"


def reductions_url(store_id: int, path: str = "") -> str:
    return f"/api/v1/merchant/stores/{store_id}/full-reductions{path}"


def fixed_coupon(**changes: Any) -> dict[str, Any]:
    """满 100 减 10, valid 7 days after the claim, 100 of them, 1 per shopper."""
    body: dict[str, Any] = {
        "name": "满100减10",
        "kind": "fixed",
        "amount_off_fen": 1000,
        "threshold_fen": 10000,
        "valid_days_after_claim": 7,
        "total_quantity": 100,
        "per_shopper_limit": 1,
    }
    body.update(changes)
    return {name: value for name, value in body.items() if value is not None}


def window(days_from: float = -1, days_until: float = 30) -> dict[str, str]:
    now = utcnow()
    return {
        "valid_from": (now + timedelta(days=days_from)).isoformat(),
        "valid_until": (now + timedelta(days=days_until)).isoformat(),
        "valid_days_after_claim": None,
    }


async def create_template(api: Api, store_id: int, staff: Headers, **changes: Any) -> dict:
    return expect(
        await api.client.post(templates_url(store_id), json=fixed_coupon(**changes), headers=staff),
        201,
    )


async def create_platform_template(api: Api, operator: Headers, **changes: Any) -> dict:
    """A platform-funded coupon: 满100减20, 10 of them, 1 per shopper, unless changed."""
    terms = {"name": "平台满100减20", "amount_off_fen": 2000, "total_quantity": 10, **changes}
    return expect(
        await api.client.post(PLATFORM, json=fixed_coupon(**terms), headers=operator), 201
    )


async def claim(client: httpx.AsyncClient, shopper: Headers, template_id: int) -> httpx.Response:
    return await client.post(CLAIMS, json={"template_id": template_id}, headers=shopper)


async def shoppers(api: Api, count: int) -> list[Headers]:
    """Signed-in shoppers, made a few at a time."""
    made: list[Headers] = []
    while len(made) < count:
        batch = min(20, count - len(made))
        made += await asyncio.gather(*(api.sign_in() for _ in range(batch)))
    return made


async def template_detail(api: Api, store_id: int, staff: Headers, template_id: int) -> dict:
    return expect(
        await api.client.get(templates_url(store_id, f"/{template_id}"), headers=staff), 200
    )
