"""足迹: the products a signed-in shopper viewed, newest first, one entry per product, grouped
by day on /me/history, removable one by one or all at once, and the shopper's own."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from tests.catalog.visits_support import browser, token_of
from tests.storefront import HTML
from tests.support import expect
from weshop.catalog.visit_models import BrowsingHistory
from weshop.catalog.visits import COMPONENT
from weshop.core.clock import utcnow

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


async def viewed(app, runtime, shopper, *product_ids: int) -> None:
    """The shopper opens these product pages in turn (in a browser), then views are written."""
    async with browser(app, token_of(shopper)) as phone:
        for product_id in product_ids:
            assert (await phone.get(f"/p/{product_id}")).status_code == 200
    await runtime.components[COMPONENT].flush(runtime.db)


async def test_history_is_newest_first_one_entry_per_product(app, api, client, runtime) -> None:
    store_id, owner = await api.new_store()
    tea, cup, pot = [
        (await api.create_product(store_id, owner, title=title))["id"]
        for title in ("龙井茶", "青瓷杯", "紫砂壶")
    ]
    shopper = await api.sign_in()
    await viewed(app, runtime, shopper, tea, cup)
    await viewed(app, runtime, shopper, pot, tea)  # the tea again, later
    # The pot was seen two days ago.
    async with runtime.db.transaction() as session:
        await session.execute(
            update(BrowsingHistory)
            .where(BrowsingHistory.product_id == pot)
            .values(viewed_at=utcnow() - timedelta(days=2))
        )
    answer = expect(await client.get("/api/v1/me/history", headers=shopper), 200)
    assert [e["product"]["id"] for e in answer] == [tea, cup, pot]
    assert all(e["on_sale"] for e in answer) and answer[0]["product"]["title"] == "龙井茶"

    # Off sale: still listed, marked.
    expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/products/{cup}/unpublish", headers=owner
        ),
        200,
    )
    async with browser(app, token_of(shopper)) as phone:
        html = (await phone.get("/me/history", headers=HTML)).text
        assert html.count('class="card history-day"') == 2  # today, and two days ago
        assert html.index("龙井茶") < html.index("青瓷杯") < html.index("紫砂壶")
        assert "已下架" in html and "足迹" in html
        token = TOKEN.search(html).group(1)
        removed = await phone.post(
            f"/me/history/{tea}/remove", data={"csrf_token": token}, headers=HTML
        )
        assert removed.status_code == 303
        left = expect(await client.get("/api/v1/me/history", headers=shopper), 200)
        assert [e["product"]["id"] for e in left] == [cup, pot]
        assert (
            await phone.post("/me/history/clear", data={"csrf_token": token})
        ).status_code == 303
    assert expect(await client.get("/api/v1/me/history", headers=shopper), 200) == []
    empty = await client.delete(f"/api/v1/me/history/{cup}", headers=shopper)
    assert empty.status_code == 404


async def test_another_shoppers_history_is_not_found(app, api, client, runtime) -> None:
    store_id, owner = await api.new_store()
    tea = (await api.create_product(store_id, owner, title="龙井茶"))["id"]
    mine, theirs = await api.sign_in(), await api.sign_in()
    await viewed(app, runtime, theirs, tea)
    assert expect(await client.get("/api/v1/me/history", headers=mine), 200) == []
    assert (await client.delete(f"/api/v1/me/history/{tea}", headers=mine)).status_code == 404
    expect(await client.delete("/api/v1/me/history", headers=mine), 204)
    assert len(expect(await client.get("/api/v1/me/history", headers=theirs), 200)) == 1
    async with browser(app, token_of(mine)) as phone:
        html = (await phone.get("/me", headers=HTML)).text
        assert 'href="/me/history"' in html
        token = TOKEN.search(html).group(1)
        answer = await phone.post(f"/me/history/{tea}/remove", data={"csrf_token": token})
        assert answer.status_code == 404
    assert len(expect(await client.get("/api/v1/me/history", headers=theirs), 200)) == 1
