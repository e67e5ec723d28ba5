"""The demo's flash sale: a session of the first store starting a few minutes after the demo
starts, for 30 minutes, with three of its products at half price (20 units each, one per
shopper), made through the public API like the rest of the demo."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from weshop.core.clock import utcnow

STARTS_IN = timedelta(minutes=3)
LASTS = timedelta(minutes=30)
ITEMS = 3
FLASH_STOCK = 20


class FlashDemoError(Exception):
    """The demo's flash sale could not be made as designed."""


async def _answer(response: httpx.Response, status: int) -> Any:
    if response.status_code != status:
        raise FlashDemoError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text}"
        )
    return response.json()


async def seed_flash_sale(client: httpx.AsyncClient, store_id: int, staff: dict[str, str]) -> None:
    base = f"/api/v1/merchant/stores/{store_id}"
    products = await _answer(await client.get(f"{base}/products?limit=50", headers=staff), 200)
    chosen = []
    for summary in products["items"]:
        product = await _answer(
            await client.get(f"{base}/products/{summary['id']}", headers=staff), 200
        )
        skus = [sku for sku in product["skus"] if sku["available"] >= 2 * FLASH_STOCK]
        if skus and product["status"] == "published":
            chosen.append(skus[0])
        if len(chosen) == ITEMS:
            break
    starts = utcnow() + STARTS_IN
    session = await _answer(
        await client.post(
            f"{base}/flash-sessions",
            json={
                "title": "限时秒杀 · 半价",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + LASTS).isoformat(),
                "payment_window_minutes": 5,
            },
            headers=staff,
        ),
        201,
    )
    for order, sku in enumerate(chosen):
        await _answer(
            await client.post(
                f"{base}/flash-sessions/{session['id']}/items",
                json={
                    "sku_id": sku["id"],
                    "flash_price_fen": max(sku["price_fen"] // 2, 1),
                    "flash_stock": FLASH_STOCK,
                    "per_shopper_limit": 1,
                    "sort_order": order,
                },
                headers=staff,
            ),
            201,
        )
