"""A bargain (砍价) in Debian's Chromium: staff create the campaign in the console; a shopper
starts a bargain from the product page; two friends, each in a browser of their own, help it
down to the floor from its shared link; the shopper buys at the floor and pays; the console's
figures show it bought."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Browser, Page

from tests.e2e.conftest import _context, screenshot
from tests.e2e.test_accessibility import audit
from tests.e2e.test_journeys import shopper_signs_in, staff_sign_in, tea_shop
from tests.support import new_phone
from weshop.core.clock import CHINA_TZ, utcnow


def local(moment) -> str:
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%dT%H:%M")


async def friend_helps(browser: Browser, base: str, bargain_path: str) -> str:
    """A friend opens the shared link in their own browser, signs in and helps."""
    context = await _context(browser, {"width": 390, "height": 844}, mobile=True)
    page = await context.new_page()
    await page.goto(f"{base}{bargain_path}")
    await page.click("#bargain-help")  # signed out: the button leads to sign-in
    await page.wait_for_url("**/signin**")
    await shopper_signs_in(page, base, new_phone(), bargain_path)
    # Signing in finishes what the friend was doing: the help is given, not asked again.
    await page.wait_for_url("**?helped=*")
    notice = await page.locator(".notice").inner_text()
    await context.close()
    return notice


async def test_a_bargain_helped_to_the_floor_and_bought(
    api, client, phone: Page, desktop: Page, browser: Browser, live_url
) -> None:
    store_id, staff_phone, _owner, tea = await tea_shop(api, client)
    sku = next(s for s in tea["skus"] if s["spec_values"] == {"规格": "100g", "包装": "袋装"})

    await staff_sign_in(desktop, live_url, staff_phone)
    console = f"{live_url}/console/stores/{store_id}/bargain"
    await desktop.goto(console)
    await desktop.click("text=新建砍价活动")
    await desktop.fill("#f-name", "龙井砍到9块9")
    await desktop.select_option("#f-sku_id", str(sku["id"]))
    await desktop.fill("#f-start_price_fen", "68")
    await desktop.fill("#f-floor_price_fen", "9.9")
    await desktop.fill("#f-helps_min", "2")
    await desktop.fill("#f-helps_max", "2")
    # Every browser here comes from 127.0.0.1, the starter's address too.
    await desktop.fill("#f-max_shared_helps", "10")
    now = utcnow()
    await desktop.fill("#f-starts_at", local(now - timedelta(hours=1)))
    await desktop.fill("#f-ends_at", local(now + timedelta(days=7)))
    await desktop.get_by_role("button", name="保存").click()
    await desktop.wait_for_url("**/bargain/*?done=created")
    assert "进行中" in await desktop.locator("h1").inner_text()

    shopper = new_phone()
    await shopper_signs_in(phone, live_url, shopper, f"/p/{tea['id']}")
    await phone.wait_for_url(f"{live_url}/p/{tea['id']}")
    await api.add_address(await api.sign_in(shopper))
    assert "邀好友砍价" in await phone.locator("main").inner_text()
    await phone.get_by_role("button", name="发起砍价").click()
    await phone.wait_for_url("**/bargain/*?started=1")
    bargain_path = "/bargain/" + phone.url.split("/bargain/")[1].split("?")[0]
    assert await phone.locator("#bargain-price").inner_text() == "¥68.00"
    assert "还差 ¥58.10" in await phone.locator("#bargain-gap").inner_text()

    for _ in range(2):
        assert "你帮砍了 ¥" in await friend_helps(browser, live_url, bargain_path)

    await phone.goto(f"{live_url}{bargain_path}")
    assert await phone.locator("#bargain-price").inner_text() == "¥9.90"
    assert "已砍 ¥58.10，还差 ¥0.00" in await phone.locator("#bargain-gap").inner_text()
    assert "已砍到底价" in await phone.locator("#bargain-status").inner_text()
    await screenshot(phone, "shop-bargain")
    pages = [bargain_path, f"/p/{tea['id']}"]
    problems = {path: await audit(phone, live_url + path, tap_targets=True) for path in pages}
    assert not {path: found for path, found in problems.items() if found}
    await phone.goto(f"{live_url}{bargain_path}")
    await phone.click("#bargain-buy")
    await phone.wait_for_url("**/me/orders/*?notice=placed")
    assert "¥9.90" in await phone.locator("main").inner_text()
    await phone.click("text=支付 ¥")
    await phone.wait_for_url("**/sandbox-pay/cashier/*")
    await phone.click("text=确认支付")
    await phone.wait_for_url("**/result")
    assert await phone.locator("text=支付成功").count() == 1

    await phone.goto(f"{live_url}{bargain_path}")
    assert "已购买" in await phone.locator("#bargain-status").inner_text()
    await desktop.goto(console)
    await desktop.get_by_role("link", name="龙井砍到9块9").click()
    figures = await desktop.locator("#bargain-figures").inner_text()
    assert figures.split()[:6] == ["1", "1", "(100%)", "1", "(100%)", "2"], figures
    await screenshot(desktop, "console-bargain")
    campaign_path = desktop.url.removeprefix(console)
    pages = ["", "/new", campaign_path, f"{campaign_path}/edit"]
    problems = {path: await audit(desktop, console + path, tap_targets=False) for path in pages}
    assert not {path: found for path, found in problems.items() if found}
