"""The console's bulk tools in a desktop browser: products ticked and taken off sale in one
go; orders ticked for their packing slips, then shipped from a CSV of tracking numbers
(screenshot for the README)."""

from __future__ import annotations

from tests.e2e.conftest import screenshot
from tests.orders.test_bulk import store_with_orders


async def _signed_in(desktop, live_url, owner) -> None:
    token = owner["Authorization"].removeprefix("Bearer ")
    await desktop.context.add_cookies([{"name": "weshop_session", "value": token, "url": live_url}])


async def test_staff_take_ticked_products_off_sale(desktop, live_url, api) -> None:
    store_id, owner = await api.new_store("山野农场")
    titles = ["高山云雾茶 250g", "野生百花蜂蜜 500g", "手工红糖 300g"]
    for title in titles:
        await api.create_product(store_id, owner, title=title, price_fen=4800)
    await _signed_in(desktop, live_url, owner)
    await desktop.goto(f"{live_url}/console/stores/{store_id}/products")

    await desktop.get_by_label("全选本页商品").check()
    assert await desktop.locator("[data-bulk-count]").inner_text() == "已选 3 项"
    await desktop.get_by_label(f"选择 {titles[2]}").uncheck()
    assert await desktop.locator("[data-bulk-count]").inner_text() == "已选 2 项"
    await desktop.get_by_role("button", name="批量下架").click()

    assert await desktop.locator("h1").inner_text() == "批量下架"
    assert await desktop.locator("tbody tr").count() == 2
    await desktop.get_by_role("button", name="确认批量下架").click()
    await desktop.wait_for_url("**bulk=unpublish&count=2")
    assert "已下架 2 件商品。" in await desktop.locator(".notice").inner_text()
    assert await desktop.locator(".badge.warn").count() == 2  # 已下架


async def test_staff_print_slips_then_ship_ticked_orders_from_a_csv(
    desktop, live_url, api, runner, tmp_path
) -> None:
    store = await store_with_orders(api, runner, count=3)
    first, second, _third = store.orders
    await _signed_in(desktop, live_url, store.owner)
    base = f"{live_url}{store.base}"
    await desktop.goto(f"{base}/orders?status=paid")

    await desktop.get_by_label(f"选择订单 {first['order_no']}").check()
    await desktop.get_by_label(f"选择订单 {second['order_no']}").check()
    await desktop.get_by_role("button", name="打印发货单").click()
    await desktop.wait_for_url("**/packing-slips?**")
    assert await desktop.locator("article.slip").count() == 2
    assert await desktop.get_by_role("button", name="打印").is_visible()
    await desktop.get_by_role("link", name="80 毫米热敏纸").click()
    await desktop.wait_for_url("**paper=thermal**")
    assert await desktop.locator("body.paper-thermal article.slip").count() == 2
    width = await desktop.locator("article.slip").first.evaluate("e => e.offsetWidth")
    assert 290 <= width <= 310  # 80 mm at 96 dpi

    await desktop.goto(f"{base}/orders?status=paid")
    tracking = tmp_path / "运单.csv"
    tracking.write_text(
        "订单号,快递公司,运单号\n"
        f"{first['order_no']},顺丰,SF1402938475\n"
        f"{second['order_no']},zhongtong,ZT7730012345\n",
        encoding="utf-8",
    )
    await desktop.set_input_files("#f-tracking-file", str(tracking))
    await desktop.get_by_role("button", name="读取文件").click()
    assert await desktop.locator("h1").inner_text() == "批量发货"
    assert "共 2 单待发货" in await desktop.locator(".notice").inner_text()
    carrier = desktop.locator(f'[name="carrier.{second["id"]}"]')
    assert await carrier.input_value() == "中通快递"
    await screenshot(desktop, "console-bulk-ship")
    await desktop.get_by_role("button", name="确认发货 2 单").click()

    await desktop.wait_for_url("**/orders?shipped=2")
    assert "已发货 2 单" in await desktop.locator(".notice").inner_text()
