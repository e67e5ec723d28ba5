"""The demo products' pictures, uploaded through the merchant API as a store's operator
would: the gallery (one picture per colour for clothing, then a close-up; three shots of
other goods), and each colour's SKUs pointed at that colour's picture."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from weshop.demo.images import product_pictures

Headers = dict[str, str]


class MediaError(Exception):
    """A demo picture was refused."""


async def _upload(client: httpx.AsyncClient, base: str, staff: Headers, data: bytes) -> int:
    answer = await client.post(
        f"{base}/media", files={"file": ("demo.jpg", data, "image/jpeg")}, headers=staff
    )
    if answer.status_code != 201:
        raise MediaError(f"POST {base}/media answered {answer.status_code}: {answer.text}")
    return answer.json()["id"]


async def with_pictures(
    client: httpx.AsyncClient, base: str, staff: Headers, product: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, int]]:
    """The product's creation body with its gallery, and each colour's picture id."""
    colours = next((s["values"] for s in product["specs"] if s["name"] == "颜色"), [])
    # Drawing is CPU work: off the event loop, as the app would do it.
    gallery, by_colour = await asyncio.to_thread(
        product_pictures, product["title"], product["category"], colours
    )
    ids = [await _upload(client, base, staff, data) for data in gallery]
    colour_ids = dict(zip(by_colour, ids, strict=False))
    body = {key: value for key, value in product.items() if key != "category"}
    return body | {"image_ids": ids}, colour_ids


async def colour_pictures(
    client: httpx.AsyncClient,
    base: str,
    staff: Headers,
    created: dict[str, Any],
    colour_ids: dict[str, int],
) -> None:
    """Each SKU of a colour shows that colour's picture when chosen."""
    for sku in created["skus"]:
        image_id = colour_ids.get(sku["spec_values"].get("颜色", ""))
        if image_id is None:
            continue
        answer = await client.patch(
            f"{base}/products/{created['id']}/skus/{sku['id']}",
            json={"image_id": image_id},
            headers=staff,
        )
        if answer.status_code != 200:
            raise MediaError(f"PATCH SKU {sku['id']} answered {answer.status_code}")
