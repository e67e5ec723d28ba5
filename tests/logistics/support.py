"""Helpers for logistics tests (and for the tenancy sweep's populated tenant)."""

from __future__ import annotations

from typing import Any

from tests.support import Api, Headers, expect


def templates_url(store_id: int, path: str = "") -> str:
    return f"/api/v1/merchant/stores/{store_id}/shipping-templates{path}"


def template_body(name: str = "全国包邮外", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "charge_by": "piece",
        "rules": [
            {
                "provinces": [],
                "first_units": 1,
                "first_fee_fen": 800,
                "additional_units": 1,
                "additional_fee_fen": 200,
            },
            {
                "provinces": ["新疆维吾尔自治区", "西藏自治区"],
                "first_units": 1,
                "first_fee_fen": 2000,
                "additional_units": 1,
                "additional_fee_fen": 1000,
            },
        ],
        "free_over_fen": 9900,
        "unreachable_provinces": ["台湾省"],
    }
    body.update(changes)
    return body


async def create_template(api: Api, store_id: int, owner: Headers, **changes: Any) -> dict:
    return expect(
        await api.client.post(
            templates_url(store_id), json=template_body(**changes), headers=owner
        ),
        201,
    )


async def shipping_template(api: Api, store_id: int, owner: Headers) -> int:
    return (await create_template(api, store_id, owner))["id"]
