"""Retiring a spec value while shoppers order its SKUs, over real concurrent HTTP requests:
every order either lands on a SKU that stays (retired, for the order's history) or is
refused with a 4xx; no SKU an order names is ever deleted, and nothing answers 500. (An
order whose line waits on the retirement's row lock is refused when the SKU it names was
deleted meanwhile: the line's foreign key, a 409.)"""

from __future__ import annotations

import asyncio

import httpx

from tests.support import expect


async def test_orders_racing_a_retirement_keep_their_skus(api, live_url):
    store_id, owner = await api.new_store()
    product = await api.create_product(
        store_id,
        owner,
        specs=[{"name": "颜色", "values": ["红", "蓝"]}, {"name": "尺码", "values": list("SMLX")}],
        stock=50,
    )
    red = [sku["id"] for sku in product["skus"] if sku["spec_values"]["颜色"] == "红"]
    buyers = [await api.buyer() for _ in range(12)]
    base = f"/api/v1/merchant/stores/{store_id}/products/{product['id']}"

    limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
    async with httpx.AsyncClient(base_url=live_url, limits=limits, timeout=120) as http:

        async def order(i: int) -> httpx.Response:
            # Spread over the retirement's time, so that some orders come before it, some
            # during it and some after it.
            await asyncio.sleep(i * 0.05)
            headers, address_id = buyers[i]
            return await http.post(
                "/api/v1/me/orders",
                json={"address_id": address_id, "items": [{"sku_id": red[i % 4], "quantity": 1}]},
                headers=headers,
            )

        async def retire() -> httpx.Response:
            await asyncio.sleep(0.25)
            return await http.post(
                f"{base}/specs/values/retire", json={"name": "颜色", "value": "红"}, headers=owner
            )

        *orders, retired = await asyncio.gather(*(order(i) for i in range(12)), retire())

    assert retired.status_code == 200, retired.text
    assert all(a.status_code in (201, 404, 409, 422) for a in orders), [
        (a.status_code, a.text[:200]) for a in orders
    ]
    ordered = {
        answer.json()["orders"][0]["lines"][0]["sku_id"]
        for answer in orders
        if answer.status_code == 201
    }
    after = expect(await api.client.get(base, headers=owner), 200)
    kept = {sku["id"]: sku for sku in after["skus"]}
    assert ordered <= set(kept)
    assert all(not kept[sku_id]["is_active"] for sku_id in ordered)
    assert {s["spec_values"]["颜色"] for s in after["skus"] if s["is_active"]} == {"蓝"}
