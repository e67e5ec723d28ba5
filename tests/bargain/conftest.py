from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from tests.support import Api, Headers, expect
from weshop.core.clock import utcnow

SKU_PRICE = 10_000


@dataclass
class Setup:
    store_id: int
    owner: Headers
    product: dict
    campaign: dict

    @property
    def sku_id(self) -> int:
        return self.product["skus"][0]["id"]

    @property
    def base(self) -> str:
        return f"/api/v1/merchant/stores/{self.store_id}/bargain"


def campaign_body(sku_id: int, **terms: Any) -> dict[str, Any]:
    now = utcnow()
    body: dict[str, Any] = {
        "name": "好友砍价",
        "sku_id": sku_id,
        "start_price_fen": SKU_PRICE,
        "floor_price_fen": 100,
        "helps_needed": 3,
        "window_hours": 24,
        "stock": 10,
        "per_shopper_limit": 1,
        # The test client's requests all come from one address: count them unless a test
        # is about sharing.
        "max_shared_helps": 1000,
        "helper_daily_cap": 5,
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(days=7)).isoformat(),
    }
    body.update(terms)
    return body


async def open_campaign(api: Api, *, product_stock: int = 50, **terms: Any) -> Setup:
    store_id, owner = await api.new_store("砍价小店")
    product = await api.create_product(store_id, owner, price_fen=SKU_PRICE, stock=product_stock)
    body = campaign_body(product["skus"][0]["id"], **terms)
    campaign = expect(
        await api.client.post(
            f"/api/v1/merchant/stores/{store_id}/bargain/campaigns", json=body, headers=owner
        ),
        201,
    )
    return Setup(store_id, owner, product, campaign)


async def start(
    client: httpx.AsyncClient, shopper: Headers, campaign_id: int, device: str | None = None
) -> httpx.Response:
    headers = dict(shopper)
    if device:
        headers["X-Device-Id"] = device
    return await client.post(
        "/api/v1/me/bargains", json={"campaign_id": campaign_id}, headers=headers
    )


async def started(api: Api, campaign_id: int, device: str | None = None) -> tuple[Headers, dict]:
    shopper = await api.sign_in()
    return shopper, expect(await start(api.client, shopper, campaign_id, device), 201)


async def help_(
    client: httpx.AsyncClient, helper: Headers, bargain_id: int, device: str | None = None
) -> httpx.Response:
    headers = dict(helper)
    if device:
        headers["X-Device-Id"] = device
    return await client.post(f"/api/v1/shop/bargains/{bargain_id}/helps", headers=headers)


async def helped_to_floor(api: Api, bargain: dict) -> dict:
    answer = bargain
    for _ in range(bargain["helps_needed"] - bargain["counted_helps"]):
        answer = expect(await help_(api.client, await api.sign_in(), bargain["id"]), 201)
    return answer


def code_of(response: httpx.Response) -> str:
    return response.json()["error"]["code"]
