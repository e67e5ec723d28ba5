from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest

from tests.reviews.support import complete_order
from tests.support import Api, Headers, expect

# A 1x1 PNG; `photo(n)` varies one byte of its pixel so each upload is a new asset.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


@dataclass
class Shop:
    """A store with two products, and a shopper."""

    store_id: int
    owner: Headers
    products: list[dict]
    shopper: Headers
    address_id: int

    def sku(self, index: int = 0) -> int:
        return self.products[index]["skus"][0]["id"]


async def open_shop(api: Api) -> Shop:
    store_id, owner = await api.new_store()
    products = [
        await api.create_product(store_id, owner, title=title, price_fen=1999, stock=50)
        for title in ("纯棉T恤", "帆布包")
    ]
    shopper, address_id = await api.buyer()
    return Shop(store_id, owner, products, shopper, address_id)


@pytest.fixture
async def shop(api: Api) -> Shop:
    return await open_shop(api)


async def placed_order(api: Api, shop: Shop) -> dict:
    items = [(shop.sku(0), 1), (shop.sku(1), 1)]
    placed = expect(await api.place_order(shop.shopper, shop.address_id, items), 201)
    return placed["orders"][0]


async def completed_order(
    api: Api,
    shop: Shop,
    shopper: Headers | None = None,
    address_id: int | None = None,
    both: bool = True,
) -> dict:
    """An order of the shop's products (both, or the first), paid, shipped and received."""
    items = [(shop.sku(0), 1), (shop.sku(1), 1)] if both else [(shop.sku(0), 1)]
    return await complete_order(
        api,
        shop.store_id,
        shop.owner,
        shopper or shop.shopper,
        address_id or shop.address_id,
        items,
    )


def line_review(order: dict, index: int = 0, **values) -> dict:
    return {"order_line_id": order["lines"][index]["id"], "stars": 5, "text": "很好", **values}


async def review(
    api: Api, shopper: Headers, order: dict, lines: list[dict], status: int = 201, **stars
):
    body = {"lines": lines, **stars}
    return expect(
        await api.client.post(
            f"/api/v1/me/orders/{order['id']}/reviews", json=body, headers=shopper
        ),
        status,
    )


async def upload_photo(api: Api, shopper: Headers, order_id: int, n: int = 0) -> dict:
    data = bytearray(PNG)
    data[-20] = n % 256
    return expect(
        await api.client.post(
            f"/api/v1/me/orders/{order_id}/review-photos",
            files={"file": ("photo.png", bytes(data), "image/png")},
            headers=shopper,
        ),
        201,
    )
