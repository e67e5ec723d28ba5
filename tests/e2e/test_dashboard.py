"""In browsers: shoppers look at a store on their phones, the owner's dashboard counts them and
compares the last 7 days with the 7 before, with the first-run checklist on top; a shopper
finds what they looked at in 足迹 and removes it."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.analytics.support import move_order_in_time, paid_order
from tests.e2e.conftest import screenshot
from tests.support import expect, new_phone
from weshop.analytics.service import day_start
from weshop.catalog.visits import COMPONENT
from weshop.core.clock import utcnow
from weshop.ledger.journal import business_day


async def test_visits_reach_the_dashboard_and_the_shoppers_history(
    phone, desktop, live_url, api, runner, runtime
) -> None:
    owner_phone = new_phone()
    store = expect(
        await api.client.post(
            "/api/v1/platform/stores",
            json={"name": "山茶小铺", "owner_phone": owner_phone},
            headers=await api.operator(),
        ),
        201,
    )
    owner = await api.sign_in(owner_phone)
    products = [
        await api.create_product(store["id"], owner, title=title, price_fen=price, stock=80)
        for title, price in (("明前龙井 100g", 16800), ("白瓷盖碗", 6800), ("竹制茶盘", 12900))
    ]
    buyer = await api.sign_in()
    today = business_day(utcnow())
    for days_ago, quantity, which in ((9, 1, 0), (8, 2, 1), (4, 1, 0), (2, 3, 1), (0, 1, 2)):
        order_id = await paid_order(api, runner, buyer, products[which]["skus"][0]["id"], quantity)
        moment = day_start(today - timedelta(days=days_ago)) + timedelta(hours=10)
        await move_order_in_time(runtime, order_id, min(moment, utcnow()))

    # A shopper signed in on the phone looks at the store and two products.
    token = buyer["Authorization"].removeprefix("Bearer ")
    await phone.context.add_cookies([{"name": "weshop_session", "value": token, "url": live_url}])
    for path in (f"/s/{store['id']}", f"/p/{products[1]['id']}", f"/p/{products[0]['id']}"):
        await phone.goto(live_url + path)
    await runtime.components[COMPONENT].flush(runtime.db)

    await phone.goto(f"{live_url}/me")
    await phone.click("a[href='/me/history']")
    await phone.wait_for_url(f"{live_url}/me/history")
    items = phone.locator(".history-item strong")
    assert await items.all_inner_texts() == ["明前龙井 100g", "白瓷盖碗"]
    await screenshot(phone, "shop-history")
    await phone.click(f"[data-product='{products[0]['id']}'] button")
    await phone.wait_for_url(f"{live_url}/me/history")
    assert await items.all_inner_texts() == ["白瓷盖碗"]

    await desktop.goto(f"{live_url}/console/signin")
    await desktop.fill("#f-phone", owner_phone)
    await desktop.click("button:has-text('获取验证码')")
    code = re.search(r"\d{6}", await desktop.locator(".notice").inner_text()).group(0)
    await desktop.fill("#f-code", code)
    await desktop.click("button:has-text('登录')")
    await desktop.wait_for_url(f"{live_url}/console/stores/{store['id']}")
    guide = desktop.locator(".checklist")
    assert "新手引导" in await guide.inner_text()
    assert await desktop.locator(".checklist .guide-done[data-step='product']").count() == 1
    await desktop.click(".period-tabs >> text=近 7 天")
    await desktop.wait_for_url(re.compile(r".*period=7d$"))
    visitors = desktop.locator("[data-figure='visitors'] strong")
    assert await visitors.inner_text() == "1"
    paid = desktop.locator("[data-figure='paid_fen'] strong")
    # 4 days ago, 2 days ago, today: 168.00 + 3 × 68.00 + 129.00.
    assert await paid.inner_text() == "¥501.00"
    assert "↑" in await desktop.locator("[data-figure='paid_fen']").inner_text()
    assert await desktop.locator(".top-products tbody tr").count() == 3
    await screenshot(desktop, "console-dashboard")
