"""Demo data of the alliance pool: the farm's Longjing and honey in the pool at 10% and 15%, an
approved promoter (推客 林小推) with share links, and one of the shoppers' orders brought
through a link and paid, so the promoter centre, the order's attribution panel and the
commission have something to show.

Made through the public API like the rest of the demo, by the seeder of ``demo.seed``.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from weshop.demo.data import FARM, PROMOTER_NAME, PROMOTER_PHONE

Headers = dict[str, str]

# The farm's products put into the pool, and their plan's rate in basis points.
POOLED = {"明前西湖龙井 2025新茶": 1000, "秦岭土蜂蜜 百花蜜": 1500}


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

    async def sign_in_with_demo_password(self, phone: str) -> Headers: ...


async def seed_alliance_pool(
    seeder: Seeder, operator: Headers, shopper: tuple[Headers, int]
) -> None:
    store_id = seeder.store_ids[FARM.name]
    staff = seeder.operators[store_id]
    base = f"/api/v1/merchant/stores/{store_id}"
    products = {}
    for title, rate_bps in POOLED.items():
        found = (
            await seeder.client.get(f"{base}/products", params={"q": title}, headers=staff)
        ).json()
        [product] = [item for item in found["items"] if item["title"] == title]
        products[title] = product
        listing = await seeder.call(
            f"{base}/affiliate-listings", staff, {"product_id": product["id"], "rate_bps": rate_bps}
        )
        await seeder.call(
            f"/api/v1/platform/affiliate-listings/{listing['id']}/approve", operator, status=200
        )
    promoter = await seeder.sign_in_with_demo_password(PROMOTER_PHONE)
    record = await seeder.call(
        "/api/v1/me/promoter", promoter, {"real_name": PROMOTER_NAME, "phone": PROMOTER_PHONE}
    )
    await seeder.call(f"/api/v1/platform/promoters/{record['id']}/approve", operator, status=200)
    links = {
        title: await seeder.call(
            "/api/v1/me/share-links", promoter, {"product_id": product["id"]}, status=200
        )
        for title, product in products.items()
    }
    # A shopper follows the honey's link (as the mini-program would report it) and buys.
    headers, address_id = shopper
    honey = products["秦岭土蜂蜜 百花蜜"]
    await seeder.call(
        f"/api/v1/shop/referrals/{links['秦岭土蜂蜜 百花蜜']['code']}", headers, {}, status=200
    )
    detail = (await seeder.client.get(f"/api/v1/shop/products/{honey['id']}")).json()
    placed = await seeder.call(
        "/api/v1/me/orders",
        headers,
        {
            "address_id": address_id,
            "items": [{"sku_id": detail["skus"][0]["id"], "quantity": 2}],
        },
    )
    await seeder.pay(headers, placed["orders"][0]["id"])
