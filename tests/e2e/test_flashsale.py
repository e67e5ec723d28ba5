"""A flash-sale purchase in Debian's Chromium: the mall home shows the session's strip with a
countdown, the flash page its sold bar and 抢购中; the shopper takes the last-but-one unit,
lands on the order at the flash price, pays in the sandbox cashier, and the item's bar and
the console's figures show it; a second shopper then finds it 已抢光 once the last one goes."""

from __future__ import annotations

from tests.e2e.test_journeys import shopper_signs_in
from tests.flashsale.conftest import attempt, open_flash, shoppers
from tests.support import expect, new_phone


async def test_a_shopper_buys_at_the_flash_price(api, client, runtime, phone, live_url) -> None:
    flash = await open_flash(api, flash_stock=2, limit=1, price_fen=9900, flash_price_fen=990)
    shopper = new_phone()
    await shopper_signs_in(phone, live_url, shopper, "/")
    await phone.wait_for_url(f"{live_url}/")
    await api.add_address(await api.sign_in(shopper))

    await phone.goto(f"{live_url}/")
    strip = phone.locator(".flash-strip")
    assert "晚八点秒杀" in await strip.inner_text()
    countdown = await strip.locator("[data-countdown]").inner_text()
    assert ":" in countdown  # counted down in the browser, from the absolute end
    await phone.click("text=全部秒杀")
    await phone.wait_for_url(f"{live_url}/flash")
    assert await phone.locator("progress").first.get_attribute("value") == "0"
    await phone.click("a.flash-go")
    await phone.wait_for_url(f"{live_url}/flash/items/{flash.item_id}")
    await phone.click("button.flash-go")
    await phone.wait_for_url("**/me/orders/*?notice=placed")
    order_id = int(phone.url.split("/me/orders/")[1].split("?")[0])
    assert "¥9.90" in await phone.locator("main").inner_text()
    await phone.click("text=支付 ¥")
    await phone.wait_for_url("**/sandbox-pay/cashier/*")
    await phone.click("text=确认支付")
    await phone.wait_for_url("**/result")
    assert await phone.locator("text=支付成功").count() == 1
    order = await api.order(await api.sign_in(shopper), order_id)
    assert order["status"] == "paid" and order["payable_fen"] - order["shipping_fen"] == 990

    [other] = await shoppers(runtime, 1)
    expect(await attempt(client, flash.item_id, other), 201)
    await phone.goto(f"{live_url}/flash")
    assert "已抢光" in await phone.locator("main").inner_text()
    assert await phone.locator("progress").first.get_attribute("value") == "100"
