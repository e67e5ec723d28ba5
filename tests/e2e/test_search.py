"""Shop search on a phone: "牛仔裤 黑色" from the search tab finds the black jeans first, the
words marked (docs/screenshots/shop-search.png)."""

from __future__ import annotations

from tests.catalog.test_search import clothes_store
from tests.e2e.conftest import screenshot


async def test_a_shopper_searches_two_words_and_sees_the_black_jeans_first(
    api, client, phone, live_url
):
    await clothes_store(api, client)
    await phone.goto(f"{live_url}/")
    await phone.get_by_role("link", name="搜索").click()
    await phone.wait_for_url(f"{live_url}/search")
    await phone.fill("#q", "牛仔裤 黑色")
    await phone.press("#q", "Enter")
    await phone.wait_for_url(f"{live_url}/search?**")
    cards = phone.locator(".pcard")
    assert await cards.count() == 2
    first = cards.first
    assert await first.locator("h3").inner_text() == "直筒牛仔裤 男款"
    assert await first.locator("h3 mark").all_inner_texts() == ["牛仔裤"]
    assert "黑色" in await first.locator(".hits mark").all_inner_texts()
    assert await phone.locator("nav.chips [aria-current=page]").inner_text() == "综合"
    await screenshot(phone, "shop-search")
