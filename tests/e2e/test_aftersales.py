"""After-sales in the browser: a shopper asks for a return with a photo from the order page,
staff approve in the console, the shopper enters the tracking number, staff confirm
receipt, the refund arrives (sandbox) and the order page shows it."""

from __future__ import annotations

from tests.aftersales.support import RETURN_POLICY, set_policy
from tests.aftersales.test_requests import PNG
from tests.ledger.support import open_market, paid_order, ship


async def _sign_in(page, live_url: str, headers: dict) -> None:
    token = headers["Authorization"].removeprefix("Bearer ")
    await page.context.add_cookies([{"name": "weshop_session", "value": token, "url": live_url}])


async def test_a_return_with_a_photo_is_refunded(phone, desktop, live_url, api, runner, tmp_path):
    market = await open_market(api)
    await set_policy(market, fast_refund_threshold_fen=0, **RETURN_POLICY)
    order = await paid_order(market, [(market.skus[0], 1)])
    await ship(market, order["id"])
    photo = tmp_path / "broken.png"
    photo.write_bytes(PNG)
    await _sign_in(phone, live_url, market.shopper)
    await _sign_in(desktop, live_url, market.owner)

    await phone.goto(f"{live_url}/me/orders/{order['id']}")
    await phone.get_by_role("link", name="申请售后").click()
    await phone.select_option("#f-kind", "return_and_refund")
    await phone.select_option("#f-reason", "damaged")
    await phone.fill("#f-note", "收到时外盒破损")
    await phone.set_input_files("#f-photos", str(photo))
    await phone.get_by_role("button", name="提交申请").click()
    await phone.wait_for_url("**/me/aftersales/*")
    assert await phone.locator("h2[data-status]").inner_text() == "等待商家处理"
    request_path = phone.url.removeprefix(live_url)
    request_id = request_path.rsplit("/", 1)[1]

    console = f"{live_url}/console/stores/{market.store_id}/aftersales"
    await desktop.goto(console)
    await desktop.get_by_role("link", name="售后", exact=True).first.wait_for()
    await desktop.goto(f"{console}/{request_id}")
    await desktop.get_by_role("button", name="通过").click()
    await desktop.wait_for_url(f"**/aftersales/{request_id}")

    await phone.goto(f"{live_url}{request_path}")
    assert "13700001111" in await phone.locator("#h-return + p").inner_text()
    await phone.fill("#f-carrier", "顺丰速运")
    await phone.fill("#f-tracking", "SF1402938475")
    await phone.get_by_role("button", name="我已寄出").click()
    await phone.wait_for_url(f"**{request_path}")
    assert await phone.locator("h2[data-status]").inner_text() == "商品寄回中"

    await desktop.goto(f"{console}/{request_id}")
    await desktop.get_by_role("button", name="确认收到退货").click()
    await desktop.wait_for_url(f"**/aftersales/{request_id}")
    await runner.run()

    await phone.goto(f"{live_url}{request_path}")
    assert await phone.locator("h2[data-status]").inner_text() == "已退款"
    await phone.goto(f"{live_url}/me/orders/{order['id']}")
    assert "已退款" in await phone.locator("ul.rows").inner_text()
