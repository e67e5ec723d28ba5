"""The browser itself: Debian's Chromium starts and renders a WeShop page in Chinese."""

from __future__ import annotations


async def test_chromium_renders_a_weshop_page(phone, live_url) -> None:
    answer = await phone.goto(f"{live_url}/no/such/page")
    assert answer is not None and answer.status == 404
    assert await phone.locator("h1").inner_text() == "页面不存在"
