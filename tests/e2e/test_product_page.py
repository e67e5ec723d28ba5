"""The product page on a phone (390×844): specs chosen by dimension, greyed-out combinations,
the chosen SKU's price, stock and picture, the Chinese message for an incomplete choice, and
the spec sheet in full view above the fixed action bar."""

from __future__ import annotations

from playwright.async_api import Page
from playwright.async_api import expect as shows

from tests.e2e.conftest import screenshot
from tests.e2e.test_storefront_pages import png
from tests.support import expect, new_phone

COLOURS = {"浅蓝": (120, 160, 210), "黑色": (40, 40, 48)}


async def jeans(api, client) -> tuple[dict, dict[str, dict]]:
    """Jeans in 浅蓝/黑色 × 28/29/30; 浅蓝 30 and 黑色 28 are sold out; 黑色 has its picture."""
    store_id, owner = await api.new_store("简衣工坊")
    url = f"/api/v1/merchant/stores/{store_id}"
    pictures = {
        name: expect(
            await client.post(
                f"{url}/media",
                files={"file": (f"{name}.png", png(colour), "image/png")},
                headers=owner,
            ),
            201,
        )
        for name, colour in COLOURS.items()
    }
    stock = {("浅蓝", "30"): 0, ("黑色", "28"): 0}
    product = expect(
        await client.post(
            f"{url}/products",
            json={
                "title": "直筒牛仔裤",
                "image_ids": [pictures["浅蓝"]["id"], pictures["黑色"]["id"]],
                "specs": [
                    {"name": "颜色", "values": ["浅蓝", "黑色"]},
                    {"name": "尺码", "values": ["28", "29", "30"]},
                ],
                "skus": [
                    {
                        "spec_values": {"颜色": colour, "尺码": size},
                        "price_fen": 15900 + 1000 * (colour == "黑色"),
                        "stock": stock.get((colour, size), 7),
                    }
                    for colour in COLOURS
                    for size in ("28", "29", "30")
                ],
                "default_price_fen": 15900,
                "default_stock": 7,
                "publish": True,
            },
            headers=owner,
        ),
        201,
    )
    for sku in product["skus"]:
        if sku["spec_values"]["颜色"] == "黑色":
            expect(
                await client.patch(
                    f"{url}/products/{product['id']}/skus/{sku['id']}",
                    json={"image_id": pictures["黑色"]["id"]},
                    headers=owner,
                ),
                200,
            )
    return product, pictures


async def boxes(page: Page) -> dict[str, float]:
    return await page.evaluate(
        """() => {
          const sheet = document.querySelector("#buy").getBoundingClientRect();
          const bar = document.querySelector(".actionbar").getBoundingClientRect();
          const top = document.querySelector(".topbar").getBoundingClientRect();
          return {top: sheet.top, bottom: sheet.bottom, bar: bar.top, topbar: top.bottom,
                  height: window.innerHeight};
        }"""
    )


async def test_a_shopper_chooses_colour_and_size_row_by_row(api, client, phone, live_url) -> None:
    product, pictures = await jeans(api, client)
    shopper = new_phone()
    await phone.goto(f"{live_url}/signin?next=/p/{product['id']}")
    await phone.fill("#f-phone", shopper)
    await phone.click("button[value=send]")
    await phone.fill("#f-code", await phone.locator("#demo-code").inner_text())
    await phone.click("button[value=verify]")
    await phone.wait_for_url(f"{live_url}/p/{product['id']}")

    # One row per dimension instead of six flat buttons.
    assert await phone.locator("[data-flat]").is_hidden()
    assert await phone.locator(".dim legend").all_inner_texts() == ["颜色", "尺码"]
    assert await phone.locator("#sku-price").inner_text() == "¥159.00 – ¥169.00"
    assert await phone.locator("#sku-chosen").inner_text() == "请选择 颜色 尺码"

    # Sending an incomplete choice says, in Chinese, what is missing, and sends nothing.
    await phone.click("button[value=cart]")
    error = phone.locator("[data-spec-error]")
    assert await error.inner_text() == "请选择 颜色"
    await phone.click("button[data-value='浅蓝']")
    await phone.click("button[value=buy]")
    assert await error.inner_text() == "请选择 尺码"
    assert phone.url == f"{live_url}/p/{product['id']}"
    # The sheet is in full view, between the top bar and the fixed action bar.
    await phone.wait_for_timeout(600)  # the smooth scroll
    seen = await boxes(phone)
    assert seen["height"] == 844 and seen["topbar"] <= seen["top"], seen
    assert seen["bottom"] <= seen["bar"], seen

    # With 浅蓝 chosen, 30 cannot be had (sold out); 28 and 29 can.
    assert await phone.locator("button[data-value='30']").is_disabled()
    assert await phone.locator("button[data-value='29']").is_enabled()
    await phone.click("button[data-value='28']")
    assert await phone.locator("#sku-price").inner_text() == "¥159.00"
    assert await phone.locator("#sku-stock").inner_text() == "库存 7"
    assert await phone.locator("#sku-chosen").inner_text() == "已选：浅蓝 / 28"
    # 黑色 28 is sold out: with 28 chosen, 黑色 is greyed out.
    assert await phone.locator("button[data-value='黑色']").is_disabled()
    # Tapping 28 again lets it go; then 黑色 29, with its own picture and price.
    await phone.click("button[data-value='28']")
    await phone.click("button[data-value='浅蓝']")
    await phone.click("button[data-value='黑色']")
    assert await phone.locator("button[data-value='28']").is_disabled()
    await phone.click("button[data-value='29']")
    assert await phone.locator("#sku-price").inner_text() == "¥169.00"
    image = await phone.locator("#sku-image").get_attribute("src")
    assert image == pictures["黑色"]["url"]
    await phone.locator("#buy").scroll_into_view_if_needed()
    await screenshot(phone, "shop-product")

    await phone.click("button[value=cart]")
    await phone.wait_for_url(f"{live_url}/p/{product['id']}?added=1")
    cart = expect(await client.get("/api/v1/me/cart", headers=await api.sign_in(shopper)), 200)
    [line] = cart["groups"][0]["items"]
    assert line["spec_text"] == "颜色:黑色 / 尺码:29" and line["quantity"] == 1


async def test_the_heart_keeps_the_product_and_the_share_entry_gives_the_link(
    api, client, phone, live_url
) -> None:
    product, _ = await jeans(api, client)
    shopper = new_phone()
    await phone.goto(f"{live_url}/signin?next=/p/{product['id']}")
    await phone.fill("#f-phone", shopper)
    await phone.click("button[value=send]")
    await phone.fill("#f-code", await phone.locator("#demo-code").inner_text())
    await phone.click("button[value=verify]")
    await phone.wait_for_url(f"{live_url}/p/{product['id']}")

    heart = phone.locator("[data-favourite] button")
    await phone.wait_for_load_state("networkidle")
    assert await heart.get_attribute("aria-pressed") == "false"
    await heart.click()
    await shows(heart).to_have_attribute("aria-pressed", "true")
    assert await heart.inner_text() == "已收藏"
    await phone.reload()
    await shows(heart).to_have_attribute("aria-pressed", "true")
    await phone.goto(f"{live_url}/me/favourites")
    assert await phone.locator("a.title").all_inner_texts() == ["直筒牛仔裤"]
    await phone.goto(f"{live_url}/p/{product['id']}")
    await phone.wait_for_load_state("networkidle")
    await heart.click()
    await shows(heart).to_have_attribute("aria-pressed", "false")
    mine = expect(
        await client.get("/api/v1/me/favourites", headers=await api.sign_in(shopper)), 200
    )
    assert mine["items"] == []

    await phone.click("summary:has-text('分享')")
    link = phone.locator("[data-share-link]")
    assert (await link.input_value()).endswith(f"/p/{product['id']}")
    assert await phone.locator("[data-share-copy]").is_visible()
    assert await phone.locator("[data-share-wechat]").is_hidden()
