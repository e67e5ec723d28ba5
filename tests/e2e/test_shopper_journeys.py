"""A shopper's everyday journeys on a phone-sized Chromium: a guest's 加入购物车 finished after
signing in, the sign-in code's resend countdown, and the coupon centre's 已领取 / 去使用 with the
tab bar lighting the right tab."""

from __future__ import annotations

import re

from playwright.async_api import Page

from tests.accounts.test_codes_and_sessions import settings_changed
from tests.e2e.conftest import screenshot
from tests.promotions.conftest import create_template
from tests.support import new_phone


async def test_a_guest_adds_to_the_cart_signs_in_and_finds_it_added(
    api, client, phone: Page, live_url
) -> None:
    store_id, owner = await api.new_store("山野农场")
    honey = await api.create_product(store_id, owner, title="野生百花蜂蜜", price_fen=6800)
    await phone.goto(f"{live_url}/p/{honey['id']}")
    await phone.click("button[value=cart]")
    await phone.wait_for_url(re.compile(r"/signin\?next="))
    await phone.fill("#f-phone", new_phone())
    await phone.click("button[value=send]")
    await phone.fill("#f-code", await phone.locator("#demo-code").inner_text())
    await phone.click("button[value=verify]")
    # Through the continue page, which sends the tap on, back on the product with the message.
    await phone.wait_for_url(f"{live_url}/p/{honey['id']}?added=1")
    assert await phone.locator("text=已加入购物车").count() >= 1
    await phone.goto(f"{live_url}/cart")
    assert await phone.locator(".line", has_text="野生百花蜂蜜").count() == 1


async def test_the_code_can_be_sent_again_after_the_countdown_and_the_first_still_works(
    phone: Page, live_url, runtime
) -> None:
    with settings_changed(runtime, otp_resend_seconds=8):
        await phone.goto(f"{live_url}/signin")
        await phone.fill("#f-phone", new_phone())
        await phone.click("button[value=send]")
        first = await phone.locator("#demo-code").inner_text()
        wait = phone.locator("#resend-wait")
        shown = (await wait.inner_text()).strip()
        assert re.fullmatch(r"\d 秒后可重新发送", shown), shown  # 8 s, counting down
        assert await phone.locator("#resend").is_hidden()
        await phone.locator("#resend").wait_for(state="visible", timeout=20000)
        assert await wait.is_hidden()
        await phone.click("#resend")
        second = await phone.locator("#demo-code").inner_text()
        assert await phone.locator("#f-code").count() == 1 and second
        await phone.fill("#f-code", first)
        await phone.click("button[value=verify]")
        await phone.wait_for_url(f"{live_url}/me")


async def test_the_coupon_centre_shows_held_coupons_and_the_tab_bar_follows(
    api, client, phone: Page, live_url
) -> None:
    store_id, owner = await api.new_store("山野农场")
    await create_template(api, store_id, owner, name="满100减10")
    await create_template(api, store_id, owner, name="新人立减5元", amount_off_fen=500)
    await phone.goto(f"{live_url}/signin?next=/coupons%3Fstore_id%3D{store_id}")
    await phone.fill("#f-phone", new_phone())
    await phone.click("button[value=send]")
    await phone.fill("#f-code", await phone.locator("#demo-code").inner_text())
    await phone.click("button[value=verify]")
    await phone.wait_for_url(f"**/coupons?store_id={store_id}")
    first = phone.locator(".coupon", has_text="满100减10")
    await first.get_by_role("button", name="立即领取").click()
    await phone.wait_for_url("**/coupons?*claimed=*")
    held = phone.locator(".coupon", has_text="满100减10")
    assert await held.locator("text=已领取").count() == 1
    use = held.get_by_role("link", name="去使用")
    assert await use.get_attribute("href") == f"/s/{store_id}"
    other = phone.locator(".coupon", has_text="新人立减5元")
    assert await other.get_by_role("button", name="立即领取").count() == 1
    await screenshot(phone, "shop-coupons")
    await phone.goto(f"{live_url}/me/orders")
    current = phone.locator(".tabbar [aria-current=page]")
    assert (await current.inner_text()).strip() == "我的"
    await phone.goto(f"{live_url}/cart")
    assert (await current.inner_text()).strip() == "购物车"
