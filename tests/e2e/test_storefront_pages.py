"""A shopper's walk through the storefront on a phone-sized Chromium, saving screenshots
(docs/screenshots/shop-*.png): store home, product, cart, checkout, cashier, order, my page."""

from __future__ import annotations

import struct
import zlib

from tests.e2e.conftest import screenshot
from tests.members.support import add_level, make_member
from tests.promotions.conftest import claim, create_template
from tests.support import expect, new_phone

PRODUCTS = [
    ("明前西湖龙井 特级 250g", "清香鲜爽,核心产区手工炒制", 16800, (120, 170, 90)),
    ("高山云雾绿茶 礼盒装", "海拔千米茶园,雨前采摘", 9900, (90, 150, 110)),
    ("野生百花蜂蜜 500g", "深山土蜂,自然成熟", 6800, (230, 170, 60)),
    ("东北五常大米 5kg", "稻花香 2 号,当季新米", 8900, (220, 205, 170)),
    ("古田干香菇 300g", "肉厚味浓,煲汤佳品", 4500, (150, 110, 80)),
    ("武夷山大红袍 岩茶", "传统炭焙,岩骨花香", 22800, (140, 80, 60)),
]


def png(color: tuple[int, int, int], size: int = 360) -> bytes:
    """A square picture with a soft vertical gradient of ``color`` (no imaging library)."""
    rows = []
    for y in range(size):
        shade = 1.15 - 0.35 * y / size
        pixel = bytes(min(255, int(c * shade)) for c in color)
        rows.append(b"\x00" + pixel * size)
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


async def farm(api, client) -> tuple[int, dict, list[dict]]:
    store_id, owner = await api.new_store("山野农场")
    url = f"/api/v1/merchant/stores/{store_id}"
    expect(
        await client.patch(
            url, json={"description": "茶叶、蜂蜜、大米与山珍,产地直发"}, headers=owner
        ),
        200,
    )
    tea = expect(await client.post(f"{url}/categories", json={"name": "茶叶"}, headers=owner), 201)
    food = expect(
        await client.post(f"{url}/categories", json={"name": "粮油山珍"}, headers=owner), 201
    )
    products = []
    for n, (title, subtitle, price, color) in enumerate(PRODUCTS):
        media = expect(
            await client.post(
                f"{url}/media",
                files={"file": (f"p{n}.png", png(color), "image/png")},
                headers=owner,
            ),
            201,
        )
        specs = [{"name": "规格", "values": ["单盒", "两盒装"]}] if n == 0 else []
        skus = (
            [
                {"spec_values": {"规格": "单盒"}, "price_fen": price, "stock": 12},
                {"spec_values": {"规格": "两盒装"}, "price_fen": price * 2 - 2000, "stock": 0},
            ]
            if n == 0
            else []
        )
        body = {
            "title": title,
            "subtitle": subtitle,
            "description": f"{subtitle}。\n产地直发,顺丰包邮。",
            "category_id": (tea if n in (0, 1, 5) else food)["id"],
            "image_ids": [media["id"]],
            "specs": specs,
            "skus": skus,
            "default_price_fen": price,
            "default_stock": 50,
            "publish": True,
        }
        products.append(expect(await client.post(f"{url}/products", json=body, headers=owner), 201))
    await add_level(api, store_id, owner, "普通会员", 0, 100)
    await add_level(api, store_id, owner, "金卡会员", 1000, 95)
    coupon = await create_template(api, store_id, owner, name="满100减10")
    return store_id, {"owner": owner, "coupon": coupon}, products


async def test_a_shopper_walks_through_the_storefront_on_a_phone(api, client, phone, live_url):
    store_id, extra, products = await farm(api, client)
    shopper_phone = new_phone()

    await phone.goto(f"{live_url}/signin?next=/s/{store_id}")
    await phone.fill("#f-phone", shopper_phone)
    await phone.click("button[value=send]")
    code = await phone.locator("#demo-code").inner_text()
    await phone.fill("#f-code", code)
    await phone.click("button[value=verify]")
    await phone.wait_for_url(f"{live_url}/s/{store_id}")
    assert await phone.locator(".pcard").count() == len(PRODUCTS)
    await screenshot(phone, "shop-store-home")

    headers = await api.sign_in(shopper_phone)
    await api.add_address(headers)
    expect(await claim(client, headers, extra["coupon"]["id"]), 201)
    user_id = await make_member(api, store_id, headers)
    expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/members/{user_id}/points-adjustments",
            json={"delta": 500, "reason": "新人礼"},
            headers=extra["owner"],
        ),
        201,
    )

    await phone.click(f"a.pcard[href='/p/{products[0]['id']}']")
    await phone.wait_for_url(f"{live_url}/p/{products[0]['id']}")
    assert await phone.locator("button[data-value='两盒装']:disabled").count() == 1
    await phone.click("button[data-value='单盒']")
    await phone.click("button[value=cart]")
    await phone.wait_for_url(f"{live_url}/p/{products[0]['id']}?added=1")

    await phone.goto(f"{live_url}/p/{products[2]['id']}")
    await phone.click("button[value=cart]")
    await phone.goto(f"{live_url}/cart")
    assert await phone.locator(".line").count() == 2
    await screenshot(phone, "shop-cart")

    await phone.click("text=去结算")
    await phone.wait_for_url(f"{live_url}/checkout?**")
    assert await phone.locator("text=优惠券：满100减10").count() == 1
    await phone.check("input[name=points_store]")
    await phone.wait_for_load_state("networkidle")
    await screenshot(phone, "shop-checkout")
    await phone.click("button[value=place]")
    await phone.wait_for_url("**/me/orders/*?notice=placed")
    await screenshot(phone, "shop-order-detail")

    await phone.click("text=支付 ¥")
    await phone.wait_for_url("**/sandbox-pay/cashier/*")
    await screenshot(phone, "shop-cashier")
    await phone.click("text=确认支付")
    await phone.wait_for_url("**/result")
    assert await phone.locator("text=支付成功").count() == 1
    await screenshot(phone, "shop-payment-result")

    await phone.goto(f"{live_url}/me")
    assert await phone.locator("text=山野农场").count() >= 1
    await screenshot(phone, "shop-my-page")
    await phone.goto(f"{live_url}/")
    await screenshot(phone, "shop-mall-home")
