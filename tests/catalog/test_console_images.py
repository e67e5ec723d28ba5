"""Product images in the console: several at creation and later, in order, one main image,
moved without script, reordered as dragged."""

from __future__ import annotations

import re
import struct
import zlib

from tests.analytics.support import page, redirected_to, submit, use_session
from tests.support import expect


def png(shade: int) -> bytes:
    """A distinct 1×1 PNG per shade (the media service keeps one asset per content)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + bytes([shade, shade, shade]))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def files(*shades: int) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("images", (f"{shade}.png", png(shade), "image/png")) for shade in shades]


async def _images(client, store_id, owner, product_id) -> list[int]:
    view = expect(
        await client.get(
            f"/api/v1/merchant/stores/{store_id}/products/{product_id}", headers=owner
        ),
        200,
    )
    return [image["id"] for image in view["images"]]


async def test_a_product_is_created_with_three_images_in_the_order_sent(client, api) -> None:
    store_id, owner = await api.new_store()
    use_session(client, owner)
    form = {"title": "陶瓷杯", "default_price_fen": "19.90", "default_stock": "5"}
    answer = await submit(
        client, f"/console/stores/{store_id}/products/new", form, files(10, 20, 30)
    )
    product_id = int(re.search(r"/products/(\d+)/skus", redirected_to(answer)).group(1))
    first, second, third = await _images(client, store_id, owner, product_id)

    base = f"/console/stores/{store_id}/products/{product_id}"
    edit = (await page(client, base)).text
    assert edit.count("主图") >= 1 and "设为主图" in edit
    redirected_to(await submit(client, f"{base}/images/{third}/cover"))
    assert await _images(client, store_id, owner, product_id) == [third, first, second]
    redirected_to(await submit(client, f"{base}/images/{first}/down"))
    assert await _images(client, store_id, owner, product_id) == [third, second, first]
    redirected_to(await submit(client, f"{base}/images/{third}/up"))  # already first
    assert await _images(client, store_id, owner, product_id) == [third, second, first]

    # The order dragged on the page; a foreign or repeated id is ignored.
    dragged = {"image_ids": [str(first), "999999", str(first), str(third)]}
    redirected_to(await submit(client, f"{base}/images/order", dragged))
    assert await _images(client, store_id, owner, product_id) == [first, third, second]

    more = await submit(client, f"{base}/images", files=files(40, 50))
    redirected_to(more)
    assert len(await _images(client, store_id, owner, product_id)) == 5
    too_many = await submit(client, f"{base}/images", files=files(60, 70, 80, 90, 100))
    assert too_many.status_code == 422 and 'id="e-images"' in too_many.text
    assert len(await _images(client, store_id, owner, product_id)) == 5


async def test_a_bad_image_at_creation_creates_nothing(client, api) -> None:
    store_id, owner = await api.new_store()
    use_session(client, owner)
    form = {"title": "陶瓷杯", "default_price_fen": "19.90", "default_stock": "5"}
    bad = [*files(10), ("images", ("x.png", b"not an image", "image/png"))]
    answer = await submit(client, f"/console/stores/{store_id}/products/new", form, bad)
    assert answer.status_code == 422 and 'id="e-images"' in answer.text
    listed = expect(
        await client.get(f"/api/v1/merchant/stores/{store_id}/products", headers=owner), 200
    )
    assert listed["items"] == []
