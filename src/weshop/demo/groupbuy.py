"""Demo data of group buying: a live three-person group buy at half price on the farm's
honey ("三人拼团享5折"), and one group a shopper has opened and paid, still missing two.

Made through the public API like the rest of the demo, by the seeder of ``demo.seed``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

import httpx

from weshop.core.clock import utcnow
from weshop.demo.data import FARM

Headers = dict[str, str]

CAMPAIGN_NAME = "三人拼团享5折"
PRODUCT_TITLE = "秦岭土蜂蜜 百花蜜"


class Seeder(Protocol):
    client: httpx.AsyncClient
    store_ids: dict[str, int]
    operators: dict[int, Headers]

    async def call(
        self,
        path: str,
        headers: Headers | None = None,
        body: dict[str, Any] | None = None,
        *,
        status: int = 201,
    ) -> Any: ...

    async def pay(self, shopper: Headers, order_id: int) -> None: ...


async def seed_group_buy(seeder: Seeder, shoppers: list[tuple[Headers, int]]) -> None:
    store_id = seeder.store_ids[FARM.name]
    staff = seeder.operators[store_id]
    base = f"/api/v1/merchant/stores/{store_id}"
    found = await _get(seeder, f"{base}/products", staff, q=PRODUCT_TITLE)
    [summary] = [p for p in found["items"] if p["title"] == PRODUCT_TITLE]
    product = await _get(seeder, f"{base}/products/{summary['id']}", staff)
    now = utcnow()
    campaign = await seeder.call(
        f"{base}/group-buys",
        staff,
        {
            "name": CAMPAIGN_NAME,
            "product_id": product["id"],
            "prices": [
                {"sku_id": sku["id"], "price_fen": sku["price_fen"] // 2} for sku in product["skus"]
            ],
            "group_size": 3,
            "fill_window_minutes": 24 * 60,
            "stock": 100,
            "per_shopper_limit": 2,
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(days=30)).isoformat(),
        },
    )
    leader, address_id = shoppers[0]
    opened = await seeder.call(
        "/api/v1/me/groups",
        leader,
        {
            "campaign_id": campaign["id"],
            "sku_id": product["skus"][0]["id"],
            "address_id": address_id,
            "coupon_ids": [],
        },
    )
    await seeder.pay(leader, opened["orders"][0]["id"])


async def _get(seeder: Seeder, path: str, headers: Headers, **params: Any) -> Any:
    response = await seeder.client.get(path, params=params, headers=headers)
    response.raise_for_status()
    return response.json()
