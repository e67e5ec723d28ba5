"""The alliance pool's consoles in a desktop Chromium: a store's owner lists a product with a
plan (a rate over 90 % refused on its field first), an operator approves it from the review
queue, the owner revises the plan into a second version, and the order page of a shopper who
came through a promoter's poster shows whose order it is and why."""

from __future__ import annotations

from tests.affiliates.conftest import open_pool
from tests.affiliates.test_attribution_orders import buy, follow, share_link
from tests.e2e.conftest import screenshot
from weshop.accounts import service as accounts


async def test_a_product_is_listed_reviewed_and_its_plan_revised(api, desktop, live_url):
    pool = await open_pool(api)
    base = f"{live_url}/console/stores/{pool.store_id}"
    # The owner's session (signing in by code has its own browser test).
    token = pool.owner["Authorization"].removeprefix("Bearer ")
    await desktop.context.add_cookies([{"name": "weshop_session", "value": token, "url": live_url}])
    await desktop.goto(f"{base}/affiliate-listings")
    await desktop.get_by_role("link", name="添加联盟商品").click()
    await desktop.select_option("#f-product_id", str(pool.product["id"]))
    await desktop.fill("#f-rate_percent", "95")
    await desktop.get_by_role("button", name="提交审核").click()
    assert "0 到 90" in await desktop.locator(".field-error").first.inner_text()
    await desktop.fill("#f-rate_percent", "12.5")
    await desktop.select_option("[id='f-sku_rates.0.sku_id']", str(pool.sku_ids[1]))
    await desktop.fill("[id='f-sku_rates.0.rate_percent']", "20")
    await desktop.check("input[name='last_click_steals']")
    await screenshot(desktop, "console-affiliate-listing-form")
    await desktop.get_by_role("button", name="提交审核").click()
    await desktop.wait_for_url("**?done=created")
    assert "待审核" in await desktop.locator("h1").inner_text()
    listing_url = desktop.url.split("?")[0]

    operator_phone = "13600009999"
    async with api.runtime.db.transaction() as session:
        await accounts.create_operator(session, operator_phone, "operator-pass-1", "运营")
    operator = await desktop.context.browser.new_context(viewport={"width": 1366, "height": 900})
    review = await operator.new_page()
    await review.goto(f"{live_url}/platform/signin")
    await review.fill("#f-phone", operator_phone)
    await review.fill("#f-password", "operator-pass-1")
    await review.get_by_role("button", name="登录").click()
    await review.wait_for_url(f"{live_url}/platform")
    await review.get_by_role("link", name="推客联盟").click()
    await review.get_by_role("link", name="联盟商品审核").click()
    card = review.locator(f"#listing-{listing_url.rsplit('/', 1)[1]}")
    assert "12.5%" in await card.inner_text()
    await screenshot(review, "platform-affiliate-review")
    await card.get_by_role("button", name="通过").click()
    await review.wait_for_url("**?done=approve")
    await operator.close()

    await desktop.goto(listing_url)
    assert "已入库" in await desktop.locator("h1").inner_text()
    await desktop.fill("#f-rate_percent", "15")
    await desktop.get_by_role("button", name="保存为新版本").click()
    await desktop.wait_for_url("**?done=revised")
    history = await desktop.locator("#h-history + table").inner_text()
    assert "v2" in history and "v1" in history and "15%" in history
    await screenshot(desktop, "console-affiliate-listing")

    # A shopper follows a promoter's poster and buys: the order page says who earns and why.
    promoter_headers, promoter = await pool.promoter()
    link = await share_link(pool, promoter_headers)
    shopper = await api.sign_in()
    await follow(pool, link["code"], shopper, ch="poster")
    order = await buy(pool, shopper, (await api.add_address(shopper))["id"])
    await desktop.goto(f"{base}/orders/{order['id']}#attribution")
    panel = await desktop.locator("#attribution").inner_text()
    assert promoter["code"] in panel and "海报" in panel and "15%" in panel
    await desktop.locator("#attribution").scroll_into_view_if_needed()
    await screenshot(desktop, "console-order-attribution")
