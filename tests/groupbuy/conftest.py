"""A store with a two-SKU product and a live group-buy campaign over it, driven through the
API as clients drive it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.support import Api, Headers, expect
from weshop.core.clock import utcnow


@dataclass
class GroupShop:
    api: Api
    store_id: int
    owner: Headers
    product: dict
    campaign: dict

    @property
    def base(self) -> str:
        return f"/api/v1/merchant/stores/{self.store_id}/group-buys"

    @property
    def sku_id(self) -> int:
        return self.product["skus"][0]["id"]

    async def shopper(self) -> tuple[Headers, int]:
        return await self.api.buyer()

    async def open(self, shopper: Headers, address_id: int, **body: Any) -> dict:
        return expect(
            await self.api.client.post(
                "/api/v1/me/groups",
                json={
                    "campaign_id": self.campaign["id"],
                    "sku_id": self.sku_id,
                    "address_id": address_id,
                    **body,
                },
                headers=shopper,
            ),
            201,
        )

    async def join(self, shopper: Headers, address_id: int, group_id: int, **body: Any):
        return await self.api.client.post(
            "/api/v1/me/group-members",
            json={"group_id": group_id, "sku_id": self.sku_id, "address_id": address_id, **body},
            headers=shopper,
        )

    async def pay(self, shopper: Headers, order_id: int) -> None:
        await self.api.confirm_in_cashier(await self.api.start_payment(shopper, order_id))

    async def group(self, group_id: int) -> dict:
        return expect(await self.api.client.get(f"/api/v1/shop/groups/{group_id}"), 200)

    async def staff_groups(self, **params: Any) -> list[dict]:
        found = expect(
            await self.api.client.get(
                f"{self.base}/{self.campaign['id']}/groups",
                params={"limit": 100, **params},
                headers=self.owner,
            ),
            200,
        )
        return found["items"]

    async def figures(self) -> dict:
        return expect(
            await self.api.client.get(
                f"{self.base}/{self.campaign['id']}/figures", headers=self.owner
            ),
            200,
        )

    async def campaign_now(self) -> dict:
        return expect(
            await self.api.client.get(f"{self.base}/{self.campaign['id']}", headers=self.owner),
            200,
        )

    async def opened_group(self) -> tuple[int, dict, Headers]:
        """A group whose leader has paid: its id, the leader's order, the leader."""
        leader, address = await self.shopper()
        answer = await self.open(leader, address)
        await self.pay(leader, answer["orders"][0]["id"])
        return answer["group_id"], answer["orders"][0], leader


def campaign_body(product: dict, **changes: Any) -> dict:
    now = utcnow()
    body: dict[str, Any] = {
        "name": "三人拼团享5折",
        "product_id": product["id"],
        "prices": [
            {"sku_id": sku["id"], "price_fen": sku["price_fen"] // 2} for sku in product["skus"]
        ],
        "group_size": 3,
        "fill_window_minutes": 60,
        "stock": 50,
        "per_shopper_limit": 2,
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(days=7)).isoformat(),
    }
    body.update(changes)
    return body


async def create_campaign(api: Api, store_id: int, owner: Headers, body: dict) -> httpx.Response:
    return await api.client.post(
        f"/api/v1/merchant/stores/{store_id}/group-buys", json=body, headers=owner
    )


async def group_shop(api: Api, **changes: Any) -> GroupShop:
    store_id, owner = await api.new_store()
    product = await api.create_product(
        store_id,
        owner,
        title="高山乌龙茶",
        specs=[{"name": "规格", "values": ["100g", "250g"]}],
        price_fen=8000,
        stock=200,
    )
    campaign = expect(
        await create_campaign(api, store_id, owner, campaign_body(product, **changes)), 201
    )
    return GroupShop(api, store_id, owner, product, campaign)


@pytest.fixture
async def gshop(api: Api) -> GroupShop:
    return await group_shop(api)


async def gather_all(*calls: Any) -> list[Any]:
    return list(await asyncio.gather(*calls))
