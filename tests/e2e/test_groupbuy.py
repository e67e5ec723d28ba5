"""Group buying in Debian's Chromium: a shopper opens a group from the product page and pays;
two others open the shared group link, join and pay; the group completes, and staff see the
group with its three paid members and their orders in the console."""

from __future__ import annotations

from playwright.async_api import Page

from tests.e2e.test_journeys import shopper_signs_in, staff_sign_in, tea_shop
from tests.groupbuy.support import group_buy_body
from tests.support import expect, new_phone


async def pay_the_order(page: Page) -> int:
    """On the order page just placed: pay in the sandbox cashier; the order's id."""
    await page.wait_for_url("**/me/orders/*?notice=placed")
    order_id = int(page.url.split("/me/orders/")[1].split("?")[0])
    await page.click("text=支付 ¥")
    await page.wait_for_url("**/sandbox-pay/cashier/*")
    await page.click("text=确认支付")
    await page.wait_for_url("**/result")
    assert await page.locator("text=支付成功").count() == 1
    return order_id


async def signed_in_shopper(api, page: Page, base: str, next_path: str) -> None:
    await page.context.clear_cookies()
    phone_number = new_phone()
    await shopper_signs_in(page, base, phone_number, next_path)
    await page.wait_for_url(f"{base}{next_path}")
    await api.add_address(await api.sign_in(phone_number))


async def test_a_group_is_opened_joined_twice_completed_and_seen_in_the_console(
    api, client, phone, desktop, live_url
) -> None:
    store_id, staff_phone, owner, tea = await tea_shop(api, client)
    sku = next(s for s in tea["skus"] if s["spec_values"] == {"规格": "100g", "包装": "袋装"})
    body = group_buy_body(tea["id"], sku["id"])
    body["prices"] = [{"sku_id": sku["id"], "price_fen": 3400}]
    campaign = expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/group-buys", json=body, headers=owner
        ),
        201,
    )

    await signed_in_shopper(api, phone, live_url, f"/p/{tea['id']}")
    assert "3人团" in await phone.locator(".group-buy").inner_text()
    await phone.get_by_role("button", name="我要开团").click()
    orders = [await pay_the_order(phone)]
    await phone.goto(f"{live_url}/me/groups")
    await phone.get_by_role("link", name="团").first.click()
    await phone.wait_for_url(f"{live_url}/g/*")
    group_url = phone.url
    assert "还差 2 人" in await phone.locator("main").inner_text()

    for missing in ("还差 1 人", "拼团成功"):
        await signed_in_shopper(api, phone, live_url, "/")
        await phone.goto(group_url)
        await phone.get_by_role("button", name="参加这个团").click()
        orders.append(await pay_the_order(phone))
        await phone.goto(group_url)
        assert missing in await phone.locator("main").inner_text()

    await staff_sign_in(desktop, live_url, staff_phone)
    await desktop.goto(f"{live_url}/console/stores/{store_id}/group-buys")
    await desktop.get_by_role("link", name=campaign["name"]).click()
    await desktop.wait_for_url(f"**/group-buys/{campaign['id']}")
    groups = await desktop.locator("#h-groups + nav + table").inner_text()
    assert "拼团成功" in groups and "3 / 3" in groups and groups.count(" · 已付款") == 3
    for order_id in orders:
        assert await desktop.locator(f'a[href$="/orders/{order_id}"]').count() == 1
    await desktop.locator(f'a[href$="/orders/{orders[1]}"]').click()
    await desktop.wait_for_url(f"**/orders/{orders[1]}")
    assert "¥34.00" in await desktop.locator("main").inner_text()
