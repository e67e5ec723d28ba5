"""In a desktop browser: staff create a product with three images chosen at once, drag the
last one to the front and make another the main image, give it two specs, then add a spec
value after creation; the shop offers the new combinations."""

from __future__ import annotations

import re

from tests.e2e.conftest import screenshot
from tests.e2e.test_console_products import gradient_png
from tests.support import expect, new_phone

COLOURS = ((250, 200, 200), (200, 250, 200), (200, 200, 250))


async def _sign_in(desktop, live_url, api) -> tuple[int, dict]:
    operator = await api.operator()
    owner_phone = new_phone()
    store = expect(
        await api.client.post(
            "/api/v1/platform/stores",
            json={"name": "山野茶铺", "owner_phone": owner_phone},
            headers=operator,
        ),
        201,
    )
    await desktop.goto(f"{live_url}/console/signin")
    await desktop.fill("#f-phone", owner_phone)
    await desktop.click("button:has-text('获取验证码')")
    code = re.search(r"\d{6}", await desktop.locator(".notice").inner_text()).group(0)
    await desktop.fill("#f-code", code)
    await desktop.click("button:has-text('登录')")
    await desktop.wait_for_url(f"{live_url}/console/stores/{store['id']}")
    return store["id"], await api.sign_in(owner_phone)


async def test_a_product_with_three_ordered_images_and_a_spec_added_later(
    desktop, live_url, api
) -> None:
    store_id, owner = await _sign_in(desktop, live_url, api)
    await desktop.goto(f"{live_url}/console/stores/{store_id}/products/new")
    await desktop.fill("#f-title", "高山乌龙茶")
    await desktop.set_input_files(
        "#f-images",
        files=[
            {"name": f"{n}.png", "mimeType": "image/png", "buffer": gradient_png(120, c, c)}
            for n, c in enumerate(COLOURS)
        ],
    )
    picks = desktop.locator("[data-image-picks] li")
    assert await picks.count() == 3
    assert await picks.nth(0).locator(".badge").inner_text() == "主图"
    # Drag the third image to the front, then make the (now) third the main image.
    await picks.nth(2).drag_to(picks.nth(0))
    names = [await picks.nth(i).locator("img").get_attribute("alt") for i in range(3)]
    assert names == ["2.png", "0.png", "1.png"]
    await picks.nth(2).locator("button:has-text('设为主图')").click()
    names = [await picks.nth(i).locator("img").get_attribute("alt") for i in range(3)]
    assert names == ["1.png", "2.png", "0.png"]
    await desktop.fill("[id='f-specs.0.name']", "规格")
    await desktop.fill("[id='f-specs.0.values']", "罐装，袋装")
    await desktop.fill("[id='f-specs.1.name']", "重量")
    await desktop.fill("[id='f-specs.1.values']", "100克")
    await desktop.fill("#f-default_price_fen", "88")
    await desktop.fill("#f-default_stock", "12")
    await screenshot(desktop, "console-product-images")
    await desktop.click("button:has-text('创建并设置 SKU')")
    await desktop.wait_for_url(re.compile(r".*/products/\d+/skus\?done=created"))
    product_id = int(re.search(r"/products/(\d+)/skus", desktop.url).group(1))

    path = f"/api/v1/merchant/stores/{store_id}/products/{product_id}"
    made = expect(await api.client.get(path, headers=owner), 200)
    assert len(made["images"]) == 3 and len(made["skus"]) == 2
    first_image = made["images"][0]["id"]

    # On the product page, drag the last image to the front: the order is saved at once.
    await desktop.goto(f"{live_url}/console/stores/{store_id}/products/{product_id}")
    grid = desktop.locator("[data-image-order] li")
    await grid.nth(2).drag_to(grid.nth(0))
    await desktop.wait_for_url(re.compile(r".*/products/\d+\?done=saved"))
    reordered = expect(await api.client.get(path, headers=owner), 200)
    assert [i["id"] for i in reordered["images"]][1] == first_image

    await desktop.click("a:has-text('编辑规格')")
    await desktop.fill("#f-add-1-value", "250克")
    await desktop.fill("#f-add-1-price", "198")
    await desktop.fill("#f-add-1-stock", "6")
    await screenshot(desktop, "console-product-specs")
    await desktop.click("button:has-text('添加规格值') >> nth=1")
    await desktop.wait_for_url(re.compile(r".*/specs\?done=value_added"))
    assert "规格值已添加" in await desktop.locator(".notice").inner_text()

    after = expect(await api.client.get(path, headers=owner), 200)
    assert after["specs"][1] == {"name": "重量", "values": ["100克", "250克"]}
    added = [s for s in after["skus"] if s["spec_values"]["重量"] == "250克"]
    assert sorted((s["price_fen"], s["available"]) for s in added) == [(19800, 6), (19800, 6)]
