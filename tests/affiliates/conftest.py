"""Affiliate fixtures: an operator, a store with a two-SKU product, promoters made through
the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.support import Api, Headers, expect, new_phone

POLICY = "/api/v1/platform/affiliate-policy"
PROMOTERS = "/api/v1/platform/promoters"
REVIEW = "/api/v1/platform/affiliate-listings"
ME_PROMOTER = "/api/v1/me/promoter"
POOL = "/api/v1/me/affiliate-pool"


def listings_url(store_id: int, path: str = "") -> str:
    return f"/api/v1/merchant/stores/{store_id}/affiliate-listings{path}"


@dataclass
class Pool:
    api: Api
    operator: Headers
    store_id: int
    owner: Headers
    product: dict

    @property
    def client(self):
        return self.api.client

    @property
    def base(self) -> str:
        return listings_url(self.store_id)

    @property
    def sku_ids(self) -> list[int]:
        return [sku["id"] for sku in self.product["skus"]]

    async def promoter(self, *, approve: bool = True, **body: Any) -> tuple[Headers, dict]:
        """A new shopper who applied (and was approved): their headers and record."""
        shopper = await self.api.sign_in()
        record = expect(
            await self.client.post(
                ME_PROMOTER,
                json={"real_name": "王小明", "phone": new_phone(), **body},
                headers=shopper,
            ),
            201,
        )
        if approve:
            record = expect(
                await self.client.post(
                    f"{PROMOTERS}/{record['id']}/approve", headers=self.operator
                ),
                200,
            )
        return shopper, record

    async def list_product(self, product_id: int | None = None, **plan: Any):
        body = {"product_id": product_id or self.product["id"], "rate_bps": 1000, **plan}
        return await self.client.post(self.base, json=body, headers=self.owner)

    async def review(self, listing_id: int, action: str, reason: str | None = None):
        body = None if reason is None else {"reason": reason}
        return await self.client.post(
            f"{REVIEW}/{listing_id}/{action}", json=body, headers=self.operator
        )

    async def pooled(self, **plan: Any) -> dict:
        """A listing of the product, approved into the pool."""
        listing = expect(await self.list_product(**plan), 201)
        return expect(await self.review(listing["id"], "approve"), 200)


async def open_pool(api: Api) -> Pool:
    operator = await api.operator()
    store, owner = await api.create_store(operator)
    product = await api.create_product(
        store["id"],
        owner,
        title="高山乌龙茶",
        specs=[{"name": "规格", "values": ["100g", "250g"]}],
        price_fen=1999,
        stock=30,
    )
    # The 250g SKU costs more: the 100g one is the default (cheapest) SKU.
    dearer = product["skus"][1]["id"]
    expect(
        await api.client.patch(
            f"/api/v1/merchant/stores/{store['id']}/products/{product['id']}/skus/{dearer}",
            json={"price_fen": 4500},
            headers=owner,
        ),
        200,
    )
    product = expect(
        await api.client.get(
            f"/api/v1/merchant/stores/{store['id']}/products/{product['id']}", headers=owner
        ),
        200,
    )
    return Pool(api, operator, store["id"], owner, product)


@pytest.fixture
async def pool(api: Api) -> Pool:
    return await open_pool(api)
