"""Whole journeys in Debian's Chromium, across the storefront (phone) and the merchant console
(desk): what a shopper and a shop operator do on a real day.

1. A shopper signs in by code, finds a product by search, picks a spec, adds it to the cart,
   checks out, pays in the sandbox cashier and sees the order paid; staff sign in to the
   console, find the order and ship it; the shopper confirms receipt.
2. Staff create a coupon and a full-reduction tier in the console; a shopper claims the
   coupon in the coupon centre, checks out and sees both discounts named in the breakdown,
   and the order's payable is exactly the API's quote.
"""

from __future__ import annotations

import re

from playwright.async_api import Page

from tests.support import expect, new_phone


async def tea_shop(api, client) -> tuple[int, str, dict, dict]:
    """A store (its id, owner's phone and headers) selling a tea in 2 sizes x 2 packs, one of
    the four combinations sold out."""
    owner_phone = new_phone()
    store = expect(
        await client.post(
            "/api/v1/platform/stores",
            json={"name": "山野茶铺", "owner_phone": owner_phone},
            headers=await api.operator(),
        ),
        201,
    )
    owner = await api.sign_in(owner_phone)
    tea = await api.create_product(
        store["id"],
        owner,
        title="明前龙井 春茶",
        specs=[
            {"name": "规格", "values": ["100g", "250g"]},
            {"name": "包装", "values": ["袋装", "礼盒"]},
        ],
        skus=[
            {"spec_values": {"规格": "100g", "包装": "袋装"}, "price_fen": 6800, "stock": 20},
            {"spec_values": {"规格": "100g", "包装": "礼盒"}, "price_fen": 8800, "stock": 20},
            {"spec_values": {"规格": "250g", "包装": "袋装"}, "price_fen": 15800, "stock": 20},
            {"spec_values": {"规格": "250g", "包装": "礼盒"}, "price_fen": 18800, "stock": 0},
        ],
    )
    return store["id"], owner_phone, owner, tea


async def shopper_signs_in(page: Page, base: str, phone: str, next_path: str) -> None:
    await page.goto(f"{base}/signin?next={next_path}")
    await page.fill("#f-phone", phone)
    await page.click("button[value=send]")
    await page.fill("#f-code", await page.locator("#demo-code").inner_text())
    await page.click("button[value=verify]")


async def staff_sign_in(page: Page, base: str, phone: str) -> None:
    """By the code sent to the phone (shown on the page in demo mode)."""
    await page.goto(f"{base}/console/signin")
    await page.fill("#f-phone", phone)
    await page.click("button:has-text('获取验证码')")
    code = re.search(r"\d{6}", await page.locator(".notice").inner_text())
    assert code is not None
    await page.fill("#f-code", code.group(0))
    await page.click("button:has-text('登录')")
    await page.wait_for_url(f"{base}/console/stores/*")


async def test_a_shopper_buys_staff_ship_and_the_shopper_confirms(
    api, client, phone, desktop, live_url
) -> None:
    store_id, staff_phone, _owner, tea = await tea_shop(api, client)
    shopper = new_phone()
    await shopper_signs_in(phone, live_url, shopper, "/")
    await phone.wait_for_url(f"{live_url}/")
    await api.add_address(await api.sign_in(shopper))

    await phone.fill("#mall-q", "龙井")
    await phone.press("#mall-q", "Enter")
    await phone.wait_for_url("**/search?q=*")
    await phone.get_by_role("link", name="明前龙井 春茶").first.click()
    await phone.wait_for_url(f"{live_url}/p/{tea['id']}")
    # One row per dimension: with 250g chosen, the sold-out 250g 礼盒 is greyed out.
    await phone.click("button[data-value='250g']")
    assert await phone.locator("button[data-value='礼盒']").is_disabled()
    await phone.click("button[data-value='袋装']")
    assert await phone.locator("#sku-price").inner_text() == "¥158.00"
    await phone.click("button[value=cart]")
    await phone.goto(f"{live_url}/cart")
    await phone.click("text=去结算")
    await phone.wait_for_url("**/checkout**")
    await phone.click("button[value=place]")
    await phone.wait_for_url("**/me/orders/*?notice=placed")
    order_id = int(phone.url.split("/me/orders/")[1].split("?")[0])
    await phone.click("text=支付 ¥")
    await phone.wait_for_url("**/sandbox-pay/cashier/*")
    await phone.click("text=确认支付")
    await phone.wait_for_url("**/result")
    assert await phone.locator("text=支付成功").count() == 1

    await staff_sign_in(desktop, live_url, staff_phone)
    await desktop.goto(f"{live_url}/console/stores/{store_id}/orders?status=paid")
    order = expect(await client.get(f"/api/v1/me/orders/{order_id}",
                                    headers=await api.sign_in(shopper)), 200)  # fmt: skip
    await desktop.get_by_role("link", name=order["order_no"]).click()
    await desktop.fill('[name="packages.0.carrier"]', "顺丰速运")
    await desktop.fill('[name="packages.0.tracking_no"]', "SF1000200030")
    await desktop.get_by_role("button", name="确认发货").click()
    await desktop.wait_for_url("**?done=shipped")
    assert "已发货" in await desktop.locator("h1 .badge").inner_text()

    await phone.goto(f"{live_url}/me/orders/{order_id}")
    assert "SF1000200030" in await phone.locator("main").inner_text()
    await phone.get_by_role("button", name="确认收货").click()
    await phone.wait_for_url(f"**/me/orders/{order_id}?notice=received")
    shown = await api.order(await api.sign_in(shopper), order_id)
    assert shown["status"] == "completed"


async def test_a_coupon_and_a_reduction_made_in_the_console_are_both_named_at_checkout(
    api, client, phone, desktop, live_url
) -> None:
    store_id, staff_phone, _owner, tea = await tea_shop(api, client)
    await staff_sign_in(desktop, live_url, staff_phone)
    base = f"{live_url}/console/stores/{store_id}"

    await desktop.goto(f"{base}/coupons/new")
    await desktop.fill("#f-name", "春茶满150减15")
    await desktop.check("input[name=kind][value=fixed]")
    await desktop.fill("#f-amount_off_fen", "15")
    await desktop.fill("#f-threshold_fen", "150")
    await desktop.check("input[name=validity][value=days]")
    await desktop.fill("#f-valid_days_after_claim", "7")
    await desktop.fill("#f-total_quantity", "100")
    await desktop.fill("#f-per_shopper_limit", "1")
    await desktop.get_by_role("button", name="创建优惠券").click()
    await desktop.wait_for_url("**/coupons/*?done=created")

    await desktop.goto(f"{base}/reductions/new")
    await desktop.fill("#f-name", "满300减30")
    await desktop.check("input[name=kind][value=amount]")
    await desktop.fill('[id="f-tiers.0.threshold_fen"]', "300")
    await desktop.fill('[id="f-tiers.0.amount_off_fen"]', "30")
    await desktop.get_by_role("button", name="保存").click()
    await desktop.wait_for_url("**/reductions**done=*")
    assert "满300减30" in await desktop.locator("main").inner_text()

    shopper = new_phone()
    await shopper_signs_in(phone, live_url, shopper, f"/coupons?store_id={store_id}")
    await phone.wait_for_url(f"{live_url}/coupons**")
    headers = await api.sign_in(shopper)
    address = await api.add_address(headers)
    await phone.get_by_role("button", name="领取").first.click()
    await phone.wait_for_load_state("networkidle")

    sku = next(s for s in tea["skus"] if s["spec_values"] == {"规格": "250g", "包装": "袋装"})
    await phone.goto(f"{live_url}/p/{tea['id']}")
    await phone.click("button[data-value='250g']")
    await phone.click("button[data-value='袋装']")
    await phone.fill("#quantity", "2")
    await phone.click("button[value=buy]")
    await phone.wait_for_url("**/checkout**")
    breakdown = await phone.locator("main").inner_text()
    assert "满300减30" in breakdown and "春茶满150减15" in breakdown

    quote = expect(
        await client.post(
            "/api/v1/me/checkout/quote",
            json={"address_id": address["id"], "items": [{"sku_id": sku["id"], "quantity": 2}]},
            headers=headers,
        ),
        200,
    )
    await phone.click("button[value=place]")
    await phone.wait_for_url("**/me/orders/*?notice=placed")
    order_id = int(phone.url.split("/me/orders/")[1].split("?")[0])
    order = await api.order(headers, order_id)
    assert order["payable_fen"] == quote["payable_fen"] == 2 * 15800 - 3000 - 1500
