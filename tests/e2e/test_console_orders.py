"""The merchant console in a desktop browser: staff open the orders, ship a paid order in two
packages and see it shipped; then coupons and finance (screenshots for the README)."""

from __future__ import annotations

from tests.e2e.conftest import screenshot
from tests.support import expect


async def _store_with_orders(api, runner) -> dict:
    """A tea shop with a paid order of 2 + 1 items, one unpaid, one cancelled, a coupon."""
    store_id, owner = await api.new_store("山野农场")
    tea = await api.create_product(store_id, owner, title="高山云雾茶 250g", price_fen=6800)
    honey = await api.create_product(store_id, owner, title="野生百花蜂蜜 500g", price_fen=4500)
    tea_sku, honey_sku = tea["skus"][0]["id"], honey["skus"][0]["id"]
    orders = []
    for items in ([(tea_sku, 1)], [(honey_sku, 3)], [(tea_sku, 2), (honey_sku, 1)]):
        shopper = await api.sign_in()
        address = await api.add_address(shopper)
        placed = expect(await api.place_order(shopper, address["id"], items), 201)["orders"][0]
        orders.append((shopper, placed))
    cancel = f"/api/v1/me/orders/{orders[0][1]['id']}/cancel"
    expect(await api.client.post(cancel, json={"reason": "拍错了"}, headers=orders[0][0]), 200)
    shopper, paid = orders[2]
    await api.confirm_in_cashier(await api.start_payment(shopper, paid["id"]))
    await runner.run()
    coupon = {
        "name": "新客立减券",
        "kind": "fixed",
        "amount_off_fen": 1000,
        "threshold_fen": 9900,
        "valid_days_after_claim": 30,
        "total_quantity": 500,
    }
    percent = {
        "name": "春茶九折券",
        "kind": "percent",
        "percent_off": 10,
        "cap_fen": 2000,
        "threshold_fen": 5000,
        "valid_days_after_claim": 7,
        "total_quantity": 200,
        "per_shopper_limit": 2,
    }
    url = f"/api/v1/merchant/stores/{store_id}/coupon-templates"
    for body in (coupon, percent):
        expect(await api.client.post(url, json=body, headers=owner), 201)
    return {"store_id": store_id, "owner": owner, "paid": paid}


async def test_staff_ship_a_paid_order_in_two_packages(desktop, live_url, api, runner) -> None:
    shop = await _store_with_orders(api, runner)
    token = shop["owner"]["Authorization"].removeprefix("Bearer ")
    await desktop.context.add_cookies([{"name": "weshop_session", "value": token, "url": live_url}])
    base = f"{live_url}/console/stores/{shop['store_id']}"

    await desktop.goto(f"{base}/orders")
    assert await desktop.locator("h1").inner_text() == "订单"
    await screenshot(desktop, "console-orders")

    await desktop.get_by_role("link", name=shop["paid"]["order_no"]).click()
    await desktop.get_by_role("link", name="再加一个包裹").click()
    tea, honey = (line["id"] for line in shop["paid"]["lines"])
    await desktop.fill('[name="packages.0.carrier"]', "顺丰速运")
    await desktop.fill('[name="packages.0.tracking_no"]', "SF1402938475")
    await desktop.fill(f'[name="packages.0.items.{tea}"]', "1")
    await desktop.fill(f'[name="packages.0.items.{honey}"]', "1")
    await desktop.fill('[name="packages.1.carrier"]', "中通快递")
    await desktop.fill('[name="packages.1.tracking_no"]', "ZT7730012345")
    await desktop.fill(f'[name="packages.1.items.{tea}"]', "1")
    await desktop.locator("#ship").scroll_into_view_if_needed()
    await desktop.evaluate("window.scrollTo(0, 0)")
    await screenshot(desktop, "console-order-detail")
    await desktop.get_by_role("button", name="确认发货").click()

    await desktop.wait_for_url("**?done=shipped")
    assert "已发货" in await desktop.locator("h1 .badge").inner_text()
    assert await desktop.locator(".packages > li").count() == 2
    assert await desktop.locator("#ship").count() == 0

    await desktop.goto(f"{base}/orders?status=shipped")
    assert shop["paid"]["order_no"] in await desktop.locator("table").inner_text()

    await desktop.goto(f"{base}/coupons")
    assert "满 ¥99.00 减 ¥10.00" in await desktop.locator("table").inner_text()
    await screenshot(desktop, "console-coupons")

    await desktop.goto(f"{base}/finance")
    assert "¥181.00" in await desktop.locator(".figures").inner_text()
    await screenshot(desktop, "console-finance")
