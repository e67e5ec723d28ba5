"""Reviews in Debian's Chromium: a shopper reviews a completed order with a photo from the
order page's link; the review and its photo show on the product page, and the store's DSR on
the store page."""

from __future__ import annotations

from playwright.async_api import Page

from tests.e2e.conftest import screenshot
from tests.e2e.test_journeys import shopper_signs_in
from tests.reviews.conftest import PNG, Shop, completed_order, open_shop
from tests.support import new_phone


async def test_a_review_with_a_photo_shows_on_the_product_and_the_dsr_on_the_store(
    api, phone: Page, live_url
) -> None:
    shop: Shop = await open_shop(api)
    shopper = new_phone()
    await shopper_signs_in(phone, live_url, shopper, "/me")
    await phone.wait_for_url(f"{live_url}/me")
    headers = await api.sign_in(shopper)
    address_id = (await api.add_address(headers))["id"]
    order = await completed_order(api, shop, headers, address_id, both=False)
    line_id = order["lines"][0]["id"]

    await phone.goto(f"{live_url}/me/orders/{order['id']}")
    await phone.click("text=评价订单")
    await phone.wait_for_url(f"**/me/orders/{order['id']}/review")
    await phone.select_option(f"#stars-{line_id}", "5")
    await phone.fill(f"#text-{line_id}", "面料柔软，做工很好")
    await phone.set_input_files(
        f"#photos-{line_id}", {"name": "photo.png", "mimeType": "image/png", "buffer": PNG}
    )
    await phone.select_option("#service_stars", "5")
    await phone.select_option("#logistics_stars", "4")
    await phone.click("text=提交评价")
    await phone.wait_for_url("**/me/reviews?notice=reviewed")

    await phone.goto(f"{live_url}/p/{shop.products[0]['id']}")
    reviews = phone.locator("section.reviews")
    await reviews.locator("text=面料柔软，做工很好").wait_for()
    photo = reviews.locator(".review-photos img").first
    assert await photo.evaluate("img => img.complete && img.naturalWidth > 0")
    await screenshot(phone, "product-reviews")

    await phone.goto(f"{live_url}/s/{shop.store_id}")
    dsr = phone.locator("section.dsr")
    assert "店铺评分" in await dsr.inner_text()
    assert await dsr.locator('[data-score="description"]').inner_text() == "5.00"
    assert await dsr.locator('[data-score="logistics"]').inner_text() == "4.00"
