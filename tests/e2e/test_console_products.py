"""In a desktop browser: staff sign in to the console, see the dashboard's chart, create a
product whose two specs make a 3 × 4 SKU matrix, price it in the bulk editor and publish it;
the storefront then sells it at those prices."""

from __future__ import annotations

import re
import struct
import zlib
from datetime import timedelta

from tests.analytics.support import move_order_in_time, paid_order
from tests.e2e.conftest import screenshot
from tests.support import expect, new_phone
from weshop.analytics.service import day_start
from weshop.core.clock import utcnow
from weshop.ledger.journal import business_day


def gradient_png(size: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> bytes:
    """A square PNG fading from one colour to another: product photos for the screenshots."""
    rows = b""
    for y in range(size):
        colour = bytes(int(a + (b - a) * y / size) for a, b in zip(top, bottom, strict=True))
        rows += b"\x00" + colour * size

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def _seed_store(api, runner, runtime) -> tuple[int, str]:
    """A store with a few products and four weeks of paid orders; its owner's phone."""
    operator = await api.operator()
    owner_phone = new_phone()
    store = expect(
        await api.client.post(
            "/api/v1/platform/stores",
            json={"name": "简衣工坊", "owner_phone": owner_phone},
            headers=operator,
        ),
        201,
    )
    owner = await api.sign_in(owner_phone)
    skus = []
    for title, price, colours in (
        ("水洗牛仔裤 直筒宽松", 19900, ((70, 110, 170), (30, 50, 90))),
        ("重磅连帽卫衣", 25900, ((200, 200, 205), (120, 120, 130))),
        ("精梳棉短袜 5 双装", 3900, ((240, 220, 180), (200, 160, 110))),
    ):
        image = expect(
            await api.client.post(
                f"/api/v1/merchant/stores/{store['id']}/media",
                files={"file": (f"{price}.png", gradient_png(96, *colours), "image/png")},
                headers=owner,
            ),
            201,
        )
        body = {
            "title": title,
            "default_price_fen": price,
            "default_stock": 80,
            "image_ids": [image["id"]],
            "publish": True,
        }
        product = expect(
            await api.client.post(
                f"/api/v1/merchant/stores/{store['id']}/products", json=body, headers=owner
            ),
            201,
        )
        skus.append(product["skus"][0]["id"])
    shopper = await api.sign_in()
    today = business_day(utcnow())
    for days_ago, quantity, sku in (
        (20, 1, 0),
        (12, 2, 1),
        (9, 1, 2),
        (5, 3, 0),
        (2, 2, 1),
        (0, 1, 0),
    ):
        order_id = await paid_order(api, runner, shopper, skus[sku], quantity)
        moment = day_start(today - timedelta(days=days_ago)) + timedelta(hours=11)
        await move_order_in_time(runtime, order_id, min(moment, utcnow()))
    return store["id"], owner_phone


async def test_staff_create_price_and_publish_a_product(
    desktop, phone, live_url, api, runner, runtime
) -> None:
    store_id, owner_phone = await _seed_store(api, runner, runtime)

    await desktop.goto(f"{live_url}/console/signin")
    await desktop.fill("#f-phone", owner_phone)
    await desktop.click("button:has-text('获取验证码')")
    await screenshot(desktop, "console-signin")
    code = re.search(r"\d{6}", await desktop.locator(".notice").inner_text()).group(0)
    await desktop.fill("#f-code", code)
    await desktop.click("button:has-text('登录')")
    await desktop.wait_for_url(f"{live_url}/console/stores/{store_id}")
    assert await desktop.locator(".dashboard-chart svg rect").count() >= 30

    await desktop.click("nav.console-nav >> text=商品")
    await desktop.click("a:has-text('发布商品')")
    await desktop.fill("#f-title", "纯棉圆领T恤")
    await desktop.fill("#f-subtitle", "新疆长绒棉，亲肤透气")
    await desktop.fill("[id='f-specs.0.name']", "颜色")
    await desktop.fill("[id='f-specs.0.values']", "白色，黑色，雾霾蓝")
    await desktop.fill("[id='f-specs.1.name']", "尺码")
    await desktop.fill("[id='f-specs.1.values']", "S, M, L, XL")
    assert "3 × 4 = 12" in await desktop.locator("[data-matrix-count]").inner_text()
    await desktop.fill("#f-default_price_fen", "59")
    await desktop.fill("#f-default_stock", "30")
    await desktop.click("button:has-text('创建并设置 SKU')")

    await desktop.wait_for_url(re.compile(r".*/products/\d+/skus\?done=created"))
    product_id = int(re.search(r"/products/(\d+)/skus", desktop.url).group(1))
    assert await desktop.locator("input[data-column=price]").count() == 12
    await desktop.fill("#f-all_price", "79")
    await desktop.fill("#f-all_price", "")  # the rows keep 79; each may still differ
    first = desktop.locator("input[data-column=price]").first
    await first.fill("89.90")
    await screenshot(desktop, "console-sku-editor")
    await desktop.click("button:has-text('保存全部 SKU')")
    await desktop.wait_for_url(re.compile(r".*/skus\?done=saved"))
    await desktop.click("button:has-text('上架')")
    await desktop.wait_for_url(re.compile(r".*/skus\?done=published"))

    await desktop.goto(f"{live_url}/console/stores/{store_id}/products/{product_id}")
    await desktop.set_input_files(
        "#f-images",
        files=[{"name": "tee.png", "mimeType": "image/png",
                "buffer": gradient_png(160, (250, 250, 250), (200, 215, 235))}],
    )  # fmt: skip
    await desktop.click("button:has-text('上传')")
    await desktop.wait_for_url(re.compile(r".*/products/\d+\?done=saved"))
    await screenshot(desktop, "console-product-edit")
    await desktop.goto(f"{live_url}/console/stores/{store_id}/products")
    assert await desktop.locator("text=纯棉圆领T恤").count() == 1
    await screenshot(desktop, "console-products")

    shop = expect(await api.client.get(f"/api/v1/shop/products/{product_id}"), 200)
    prices = sorted(sku["price_fen"] for sku in shop["skus"])
    assert prices == [7900] * 11 + [8990]
    await phone.goto(f"{live_url}/p/{product_id}")
    assert "¥79.00" in await phone.locator("body").inner_text()
