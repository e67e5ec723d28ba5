"""No oversell under real concurrent HTTP requests, against a live server on loopback."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from sqlalchemy import select

from tests.orders.conftest import open_shop
from tests.support import expect
from weshop.inventory.models import StockLevel


async def stock_of(runtime, sku_id: int) -> StockLevel:
    async with runtime.db.session(write=False) as session:
        return await session.scalar(select(StockLevel).where(StockLevel.sku_id == sku_id))


async def test_200_concurrent_checkouts_for_50_units_make_exactly_50_orders(api, runtime, live_url):
    shop = await open_shop(api, stock=50)
    buyers = [(shop.shopper, shop.address["id"])]
    buyers += [await api.buyer() for _ in range(19)]

    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=live_url, limits=limits, timeout=120) as http:

        async def checkout(i: int) -> httpx.Response:
            headers, address_id = buyers[i % len(buyers)]
            return await http.post(
                "/api/v1/me/orders",
                json={"address_id": address_id, "items": [{"sku_id": shop.sku_id, "quantity": 1}]},
                headers=headers,
            )

        answers = await asyncio.gather(*(checkout(i) for i in range(200)))
        statuses = Counter(a.status_code for a in answers)
        assert statuses == {201: 50, 409: 150}, statuses
        assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {
            "out_of_stock"
        }
        stock = await stock_of(runtime, shop.sku_id)
        assert (stock.available, stock.reserved) == (0, 50)

        placed = [a.json()["orders"][0] for a in answers if a.status_code == 201]
        owners = {
            a.json()["orders"][0]["id"]: buyers[i % len(buyers)][0]
            for i, a in enumerate(answers)
            if a.status_code == 201
        }
        cancels = await asyncio.gather(
            *(
                http.post(f"/api/v1/me/orders/{o['id']}/cancel", json={}, headers=owners[o["id"]])
                for o in placed
            )
        )
        assert {c.status_code for c in cancels} == {200}
    stock = await stock_of(runtime, shop.sku_id)
    assert (stock.available, stock.reserved) == (50, 0)


async def test_concurrent_payments_of_the_last_units_never_sell_twice(
    api, client, runtime, live_url
):
    shop = await open_shop(api, stock=1)
    placed = expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)]), 201
    )
    payment = await api.start_payment(shop.shopper, placed["orders"][0]["id"])
    path = httpx.URL(payment["cashier_url"]).path
    async with httpx.AsyncClient(base_url=live_url, timeout=60) as http:
        answers = await asyncio.gather(*(http.post(f"{path}/confirm") for _ in range(10)))
    assert {a.status_code for a in answers} == {200}
    order = await api.order(shop.shopper, placed["orders"][0]["id"])
    assert order["status"] == "paid"
    assert [e["action"] for e in order["history"]] == ["place", "pay"]
    stock = await stock_of(runtime, shop.sku_id)
    assert (stock.available, stock.reserved) == (0, 0)
