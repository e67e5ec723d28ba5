"""A promoter in Debian's Chromium: a shopper applies from 我的, is approved, finds the product
in 为你推荐 with its reason and the pool's figures, makes a poster and sees it."""

from __future__ import annotations

from playwright.async_api import Page

from tests.affiliates.conftest import ME_PROMOTER, PROMOTERS, open_pool
from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import audit
from tests.e2e.test_journeys import shopper_signs_in
from tests.support import expect, new_phone


async def test_a_shopper_becomes_a_promoter_and_makes_a_poster(
    api, client, phone: Page, live_url
) -> None:
    pool = await open_pool(api)
    await pool.pooled(rate_bps=1500)
    number = new_phone()
    await shopper_signs_in(phone, live_url, number, "/me")
    await phone.wait_for_url(f"{live_url}/me")
    await phone.click("text=推客中心")
    await phone.wait_for_url(f"{live_url}/me/promoter")
    problems = await audit(phone, f"{live_url}/me/promoter", tap_targets=True)
    assert not problems, problems
    await phone.fill("#f-real_name", "王小明")
    await phone.fill("#f-phone", "13912345678")
    await phone.click("button:has-text('提交申请')")
    await phone.wait_for_selector("text=你的申请正在审核中")

    headers = await api.sign_in(number)
    record = expect(await client.get(ME_PROMOTER, headers=headers), 200)
    expect(await client.post(f"{PROMOTERS}/{record['id']}/approve", headers=pool.operator), 200)

    await phone.reload()
    card = phone.locator(f"#recommended-{pool.product['id']}")
    assert "预计每次访问收益" in await card.inner_text()
    figures = await phone.locator(f"#pool-{pool.product['id']} .figures").inner_text()
    assert figures.startswith("近30天：销量 0 · 访问 0")
    await screenshot(phone, "promoter-centre")
    problems = await audit(phone, f"{live_url}/me/promoter", tap_targets=True)
    assert not problems, problems

    await card.locator("button:has-text('生成海报')").click()
    await phone.wait_for_url("**/me/promoter/links/**")
    poster = phone.locator("#poster img")
    await poster.scroll_into_view_if_needed()
    await phone.wait_for_function("document.querySelector('#poster img').complete")
    assert await poster.evaluate("image => image.naturalWidth") == 600
    assert "/r/" in await phone.locator("#share-link input").input_value()
    await screenshot(phone, "promoter-poster")
    problems = await audit(phone, phone.url.split("#")[0], tap_targets=True)
    assert not problems, problems
