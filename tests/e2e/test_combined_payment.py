"""A multi-store cart paid once, in Debian's Chromium on a phone: the checkout goes straight to
paying the whole checkout, the sandbox cashier lists each store's order, one confirmation
pays them all, and the result page lists every order with its store and amount."""

from __future__ import annotations

from playwright.async_api import Page

from tests.e2e.conftest import screenshot
from tests.e2e.test_journeys import shopper_signs_in
from tests.support import expect, new_phone

STORES = (("山野农场", "高山小土豆 2.5kg", 3990), ("海边渔家", "即食海苔 10包", 2850),
          ("云上茶园", "明前龙井 100g", 6800))  # fmt: skip


async def test_a_multi_store_cart_is_paid_once_and_the_result_lists_every_order(
    api, client, phone: Page, live_url: str
) -> None:
    operator = await api.operator()
    skus = []
    for name, title, price in STORES:
        store, owner = await api.create_store(operator, name)
        product = await api.create_product(store["id"], owner, title=title, price_fen=price)
        skus.append(product["skus"][0]["id"])
    shopper_phone = new_phone()
    await shopper_signs_in(phone, live_url, shopper_phone, "/")
    await phone.wait_for_url(f"{live_url}/")
    shopper = await api.sign_in(shopper_phone)
    await api.add_address(shopper)
    for sku in skus:
        expect(
            await client.post(
                "/api/v1/me/cart/items", json={"sku_id": sku, "quantity": 1}, headers=shopper
            ),
            201,
        )

    await phone.goto(f"{live_url}/cart")
    await phone.click("text=去结算")
    await phone.wait_for_url("**/checkout**")
    await phone.click("button[value=place]")
    await phone.wait_for_url("**/me/checkouts/*/pay")
    main = await phone.locator("main").inner_text()
    for name, _, _ in STORES:
        assert name in main
    assert "¥136.40" in main  # the three goods; shipping is free without a template
    await phone.click("text=支付 ¥136.40")
    await phone.wait_for_url("**/sandbox-pay/combined/*")
    cashier = await phone.locator("main").inner_text()
    assert "山野农场 - 订单" in cashier and "¥136.40" in cashier
    await phone.click("text=确认支付")
    await phone.wait_for_url("**/me/checkouts/*/result")
    result = await phone.locator("main").inner_text()
    assert "支付成功" in result
    for name, _, price in STORES:
        assert name in result
        assert f"¥{price / 100:.2f}" in result
    assert result.count("待发货") == 3
    await screenshot(phone, "shop-combined-payment")
