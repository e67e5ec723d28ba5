"""The platform console in a desktop Chromium: an operator signs in, opens a store with its
owner, suspends it (its storefront says so) and resumes it."""

from __future__ import annotations

from tests.e2e.conftest import screenshot
from tests.support import new_phone
from weshop.accounts import service as accounts


async def test_an_operator_opens_suspends_and_resumes_a_store(api, desktop, phone, live_url):
    operator_phone = new_phone()
    async with api.runtime.db.transaction() as session:
        await accounts.create_operator(session, operator_phone, "operator-pass-1", "运营")
    await api.new_store("简衣工坊")

    await desktop.goto(f"{live_url}/platform")
    await desktop.wait_for_url("**/platform/signin**")
    await desktop.fill("#f-phone", operator_phone)
    await desktop.fill("#f-password", "operator-pass-1")
    await desktop.get_by_role("button", name="登录").click()
    await desktop.wait_for_url(f"{live_url}/platform")

    await desktop.get_by_role("link", name="开通店铺").click()
    await desktop.fill("#f-name", "山野农场")
    await desktop.fill("#f-owner_phone", new_phone())
    await desktop.fill("#f-owner_name", "林山")
    await desktop.get_by_role("button", name="开通店铺").click()
    await desktop.wait_for_url("**/platform/stores/*?done=created")
    store_url = desktop.url.split("?")[0]
    store_id = store_url.rsplit("/", 1)[1]
    await desktop.goto(f"{live_url}/platform")
    await screenshot(desktop, "platform-stores")

    await desktop.goto(store_url)
    await desktop.get_by_role("button", name="暂停").click()
    await desktop.wait_for_url("**?done=suspend")
    assert "已暂停" in await desktop.locator("h1").inner_text()
    await screenshot(desktop, "platform-store")
    await phone.goto(f"{live_url}/s/{store_id}")
    assert "暂停" in await phone.locator("main").inner_text()

    await desktop.get_by_role("button", name="恢复").click()
    await desktop.wait_for_url("**?done=resume")
    assert "营业中" in await desktop.locator("h1").inner_text()
    await desktop.goto(f"{live_url}/platform/fees")
    await screenshot(desktop, "platform-fees")
