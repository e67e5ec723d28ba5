"""Item 13 in the browser: someone applies to open a store on a phone, an operator approves
it in the platform console, the new owner fills the 进件 form with images, the worker polls
WeChat Pay (paysim) until the sub-merchant exists, a product sells, and the platform sees
the time from application to first sale."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import audit
from tests.media.test_media import png_bytes
from tests.payments.conftest import clock, wechatpay  # noqa: F401
from tests.payments.test_applyment_form import FORM
from tests.paysim.fixtures import (  # noqa: F401
    cashier,
    inbox,
    merchant_keys,
    partner,
    platform,
    sim,
    sim_app,
    transport,
)
from tests.support import expect
from weshop.core.clock import utcnow


async def _sign_in(page, live_url: str, headers: dict) -> None:
    token = headers["Authorization"].removeprefix("Bearer ")
    await page.context.add_cookies([{"name": "weshop_session", "value": token, "url": live_url}])


async def test_a_store_opens_itself_and_sells(
    phone,
    desktop,
    live_url,
    api,
    client,
    runner,
    wechatpay,  # noqa: F811
    clock,  # noqa: F811
    tmp_path,
):
    licence = tmp_path / "licence.png"
    licence.write_bytes(png_bytes(40, 30))
    applicant = await api.sign_in()
    await _sign_in(phone, live_url, applicant)
    assert not await audit(phone, f"{live_url}/open-store", tap_targets=True)
    await phone.fill("#f-store_name", "山里人家")
    await phone.select_option("#f-main_category", "fresh_food")
    await phone.fill("#f-contact_name", "李四")
    await phone.fill("#f-contact_phone", "13912345678")
    await phone.set_input_files("#f-licence", str(licence))
    await phone.get_by_role("button", name="提交申请").click()
    await phone.wait_for_url("**/open-store?done=submitted")
    assert "审核中" in await phone.locator("main").inner_text()

    operator = await api.operator()
    await _sign_in(desktop, live_url, operator)
    await desktop.goto(f"{live_url}/platform/store-applications")
    await desktop.get_by_role("link", name="山里人家").click()
    assert not await audit(desktop, desktop.url, tap_targets=False)
    assert await desktop.locator("img[alt^='营业执照图片']").count() == 1
    await desktop.get_by_role("button", name="通过并开通店铺").click()
    await desktop.wait_for_url("**?done=approved")
    store_id = (await desktop.get_by_role("link", name="店铺").last.get_attribute("href")) or ""
    store_id = store_id.rsplit("/", 1)[1]

    await phone.goto(f"{live_url}/open-store")
    assert "已通过" in await phone.locator("main").inner_text()

    # The owner (the applicant) fills the 进件 form in the console.
    await _sign_in(desktop, live_url, applicant)
    applyment = f"{live_url}/console/stores/{store_id}/payments/applyment"
    assert not await audit(desktop, applyment, tap_targets=False)
    await desktop.select_option("#f-organization_type", FORM["organization_type"])
    for name in FORM:
        if name not in ("organization_type", "bank_account_type"):
            await desktop.fill(f"#f-{name}", FORM[name])
    for name in ("licence", "id_card_front", "id_card_back"):
        await desktop.set_input_files(f"#f-{name}", str(licence))
    await desktop.get_by_role("button", name="提交至微信支付").click()
    await desktop.wait_for_url("**?done=submitted")
    assert "审核中" in await desktop.locator("main").inner_text()

    clock.advance(seconds=31)
    await runner.run(utcnow() + timedelta(seconds=31))
    await desktop.reload()
    assert "已完成" in await desktop.locator("main").inner_text()

    product = await api.create_product(int(store_id), applicant, price_fen=3990, stock=20)
    shopper, address_id = await api.buyer()
    placed = expect(
        await api.place_order(shopper, address_id, [(product["skus"][0]["id"], 1)]), 201
    )
    payment = await api.start_payment(shopper, placed["orders"][0]["id"])
    await api.confirm_in_cashier(payment)
    await runner.run()

    await _sign_in(desktop, live_url, operator)
    await desktop.goto(f"{live_url}/platform/store-applications")
    row = await desktop.locator("tbody tr").first.inner_text()
    assert "分钟" in row and "已通过" in row
    await screenshot(desktop, "platform-store-applications")
