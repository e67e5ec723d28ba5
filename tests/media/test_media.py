"""Image uploads: recognised by their bytes, sized from the header, stored once, served."""

import struct
import zlib

import pytest

from tests.support import expect
from weshop.media.images import NotAnImage, sniff_image


def png_bytes(width: int, height: int) -> bytes:
    """A real, minimal RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def gif_bytes(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00" + b"\x3b"


def jpeg_bytes(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def webp_lossless_bytes(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    payload = b"\x2f" + bits.to_bytes(4, "little") + b"\x00" * 8
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def media_url(store_id: int) -> str:
    return f"/api/v1/merchant/stores/{store_id}/media"


@pytest.mark.parametrize(
    ("data", "content_type", "size"),
    [
        (png_bytes(3, 2), "image/png", (3, 2)),
        (gif_bytes(640, 480), "image/gif", (640, 480)),
        (jpeg_bytes(1024, 768), "image/jpeg", (1024, 768)),
        (webp_lossless_bytes(300, 200), "image/webp", (300, 200)),
    ],
)
def test_formats_are_recognised_by_their_header(data, content_type, size):
    info = sniff_image(data)
    assert (info.content_type, (info.width, info.height)) == (content_type, size)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, I am text", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0\x00", b"GIF89a\x00"],
)
def test_non_images_and_truncated_headers_are_refused(data):
    with pytest.raises(NotAnImage):
        sniff_image(data)


async def test_upload_a_png_and_use_it_on_a_product(api, client, runtime):
    store_id, owner = await api.new_store()
    data = png_bytes(4, 3)
    # The client's content type is ignored either way.
    files = {"file": ("photo.jpg", data, "application/octet-stream")}
    asset = expect(await client.post(media_url(store_id), files=files, headers=owner), 201)
    assert asset["content_type"] == "image/png"
    assert (asset["width"], asset["height"], asset["size_bytes"]) == (4, 3, len(data))
    assert asset["url"].startswith(f"/media/{store_id}/") and asset["url"].endswith(".png")
    served = await client.get(asset["url"])
    assert served.status_code == 200 and served.content == data
    stored = runtime.settings.media_dir / asset["url"].removeprefix("/media/")
    assert stored.read_bytes() == data

    again = expect(await client.post(media_url(store_id), files=files, headers=owner), 201)
    assert again["id"] == asset["id"]

    product = await api.create_product(store_id, owner, publish=True)
    with_image = expect(
        await client.patch(
            f"/api/v1/merchant/stores/{store_id}/products/{product['id']}",
            json={"image_ids": [asset["id"]]},
            headers=owner,
        ),
        200,
    )
    assert with_image["images"] == [{"id": asset["id"], "url": asset["url"]}]
    listed = expect(await client.get("/api/v1/shop/products"), 200)
    assert listed["items"][0]["image_url"] == asset["url"]

    # Another store may not use this store's media.
    other_id, other_owner = await api.new_store("别家")
    refused = await client.post(
        f"/api/v1/merchant/stores/{other_id}/products",
        json={
            "title": "x",
            "specs": [],
            "default_price_fen": 1,
            "default_stock": 1,
            "image_ids": [asset["id"]],
        },
        headers=other_owner,
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "unknown_image"


async def test_a_text_file_named_png_is_refused(api, client, runtime):
    store_id, owner = await api.new_store()
    text = b"definitely not an image\n"
    files = {"file": ("photo.png", text, "image/png")}
    response = await client.post(media_url(store_id), files=files, headers=owner)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unsupported_image"
    stored = [p for p in runtime.settings.media_dir.rglob("*") if p.is_file()]
    assert all(p.read_bytes() != text for p in stored)


async def test_upload_limits_and_rights(api, client, runtime):
    store_id, owner = await api.new_store()
    limit = runtime.settings.max_upload_bytes
    huge = png_bytes(1, 1) + b"\x00" * limit
    too_big = await client.post(
        media_url(store_id), files={"file": ("big.png", huge, "image/png")}, headers=owner
    )
    assert too_big.status_code == 413
    missing = await client.post(media_url(store_id), data={"nothing": "here"}, headers=owner)
    assert missing.status_code == 422
    finance = await api.add_staff(store_id, owner, "finance")
    files = {"file": ("a.png", png_bytes(1, 1), "image/png")}
    forbidden = await client.post(media_url(store_id), files=files, headers=finance)
    assert forbidden.status_code == 403
