"""A store with warehouses, driven through the merchant and shopper APIs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from tests.support import Api, Headers, expect
from weshop.inventory.models import StockLevel, WarehouseStock


@dataclass
class WarehouseShop:
    api: Api
    store_id: int
    owner: Headers
    sku_ids: list[int]

    def url(self, path: str) -> str:
        return f"/api/v1/merchant/stores/{self.store_id}{path}"

    async def warehouse(
        self, name: str, province: str, regions: tuple[str, ...] = (), city: str = "某市"
    ) -> int:
        body = {"name": name, "province": province, "city": city, "regions": list(regions)}
        answer = await self.api.client.post(self.url("/warehouses"), json=body, headers=self.owner)
        return expect(answer, 201)["id"]

    async def move(self, sku_id: int, warehouse_id: int, quantity: int, kind: str = "receive"):
        body = {"kind": kind, "quantity": quantity, "reason": "到货", "warehouse_id": warehouse_id}
        return await self.api.client.post(
            self.url(f"/skus/{sku_id}/stock-movements"), json=body, headers=self.owner
        )

    async def stock(self, sku_id: int) -> dict[int, tuple[int, int]]:
        """``{warehouse_id: (available, reserved)}`` of one SKU."""
        rows = expect(
            await self.api.client.get(
                self.url(f"/skus/{sku_id}/stock/warehouses"), headers=self.owner
            ),
            200,
        )
        return {row["warehouse_id"]: (row["available"], row["reserved"]) for row in rows}

    async def buyer(self, province: str) -> tuple[Headers, int]:
        shopper = await self.api.sign_in()
        address = {
            "recipient": "李四",
            "phone": "13912345678",
            "province": province,
            "city": "某市",
            "district": "某区",
            "detail": "某路 1 号",
        }
        answer = await self.api.client.post("/api/v1/me/addresses", json=address, headers=shopper)
        return shopper, expect(answer, 201)["id"]

    async def allocation(self, order_id: int) -> list[tuple[int, int, int, str]]:
        """``(sku_id, warehouse_id, quantity, status)`` of each allocated part."""
        order = expect(
            await self.api.client.get(self.url(f"/orders/{order_id}"), headers=self.owner), 200
        )
        return [
            (part["sku_id"], part["warehouse_id"], part["quantity"], part["status"])
            for part in order["warehouse_allocation"]
        ]


async def warehouse_shop(api: Api, *, skus: int = 1, stock: int = 0) -> WarehouseShop:
    store_id, owner = await api.new_store()
    specs = [{"name": "颜色", "values": [f"色{i}" for i in range(skus)]}] if skus > 1 else []
    product = await api.create_product(store_id, owner, stock=stock, specs=specs)
    return WarehouseShop(api, store_id, owner, [sku["id"] for sku in product["skus"]])


async def check_sums(runtime, store_id: int) -> None:
    """Every warehouse row is non-negative and each SKU's row is the sum of its warehouses."""
    async with runtime.db.session(write=False) as session:
        levels = {
            row.sku_id: (row.available, row.reserved)
            for row in await session.scalars(
                select(StockLevel).where(StockLevel.store_id == store_id)
            )
        }
        sums: dict[int, tuple[int, int]] = {}
        for row in await session.scalars(
            select(WarehouseStock).where(WarehouseStock.store_id == store_id)
        ):
            assert row.available >= 0 and row.reserved >= 0
            available, reserved = sums.get(row.sku_id, (0, 0))
            sums[row.sku_id] = (available + row.available, reserved + row.reserved)
    assert sums == levels
