"""Bargain pages: the product page's 砍价 block, the shareable bargain page with its share
card, helping and refusals in words; the console's campaigns, form errors that write nothing,
a campaign's bargains with the reason a help was not counted, stopping; and roles."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.bargain.conftest import help_, open_campaign, started
from tests.orders.test_console import HTML, post_form, use_session
from tests.storefront import page, post, sign_in_page
from tests.support import expect
from weshop.bargain.models import BargainCampaign


async def campaigns_count(api) -> int:
    async with api.runtime.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(BargainCampaign)))


async def test_the_product_page_offers_the_bargain_and_starts_one(api, client):
    setup = await open_campaign(api, floor_price_fen=990)
    product_page = await page(client, f"/p/{setup.product['id']}")
    assert "邀好友砍价" in product_page and "¥9.90" in product_page
    await sign_in_page(client)
    started_page = await post(
        client,
        "/bargain/start",
        {"campaign_id": setup.campaign["id"], "product_id": setup.product["id"]},
    )
    location = started_page.headers["location"]
    assert location.startswith("/bargain/") and location.endswith("?started=1")
    shown = await page(client, location)
    assert "砍价已发起" in shown and "还差 ¥90.10" in shown
    assert 'property="og:title" content="帮我砍一刀：' in shown
    assert 'data-countdown="' in shown
    again = await post(
        client,
        "/bargain/start",
        {"campaign_id": setup.campaign["id"], "product_id": setup.product["id"]},
    )
    assert again.headers["location"] == location.split("?")[0]
    own = await post(client, location.split("?")[0] + "/help")
    assert "这是你自己的砍价" in await page(client, own.headers["location"])


async def test_a_friend_helps_on_the_page_and_a_second_help_is_refused_in_words(api, client):
    setup = await open_campaign(api, helps_needed=5)
    _, bargain = await started(api, setup.campaign["id"])
    path = f"/bargain/{bargain['id']}"
    public = await page(client, path)
    assert "登录后帮砍" in public
    signed_out = await post(client, f"{path}/help")
    assert signed_out.headers["location"].startswith("/signin?next=")
    await sign_in_page(client)
    helped = await post(client, f"{path}/help")
    assert "你帮砍了 ¥" in await page(client, helped.headers["location"])
    twice = await post(client, f"{path}/help")
    assert "你已经帮砍过了" in await page(client, twice.headers["location"])
    assert await page(client, "/bargain/999999", 404)


async def test_the_console_creates_lists_shows_and_stops_a_campaign(api, client):
    setup = await open_campaign(api, max_shared_helps=0)
    _, bargain = await started(api, setup.campaign["id"], device="a")
    expect(await help_(api.client, await api.sign_in(), bargain["id"], "b"), 201)
    base = f"/console/stores/{setup.store_id}/bargain"
    use_session(client, setup.owner)
    listing = await client.get(base, headers=HTML)
    assert listing.status_code == 200 and "好友砍价" in listing.text and "进行中" in listing.text

    before = await campaigns_count(api)
    refused = await post_form(
        client,
        f"{base}/new",
        f"{base}/new",
        {
            "name": "底价太高",
            "sku_id": str(setup.sku_id),
            "start_price_fen": "50",
            "floor_price_fen": "60",
            "helps_min": "3",
            "helps_max": "3",
            "window_hours": "24",
            "stock": "10",
            "per_shopper_limit": "1",
            "helper_daily_cap": "3",
            "max_shared_helps": "1",
            "starts_at": "2030-01-01T10:00",
            "ends_at": "2030-01-08T10:00",
        },
    )
    assert refused.status_code == 422 and "底价必须低于起始价" in refused.text
    assert await campaigns_count(api) == before
    created = await post_form(
        client,
        f"{base}/new",
        f"{base}/new",
        {
            "name": "春茶砍价",
            "sku_id": str(setup.sku_id),
            "start_price_fen": "99",
            "floor_price_fen": "9.9",
            "helps_min": "3",
            "helps_max": "6",
            "window_hours": "24",
            "stock": "10",
            "per_shopper_limit": "1",
            "helper_daily_cap": "3",
            "max_shared_helps": "1",
            "buy_before_floor": "1",
            "starts_at": "2030-01-01T10:00",
            "ends_at": "2030-01-08T10:00",
        },
    )
    assert created.status_code == 303, created.text
    detail = await client.get(created.headers["location"], headers=HTML)
    assert "春茶砍价" in detail.text and "未开始" in detail.text
    assert "3–6 人帮砍" in detail.text and "可不砍到底价购买" in detail.text

    campaign = await client.get(f"{base}/{setup.campaign['id']}", headers=HTML)
    assert "与发起人同一网络" in campaign.text
    stopped = await post_form(
        client, f"{base}/{setup.campaign['id']}", f"{base}/{setup.campaign['id']}/stop", {}
    )
    assert stopped.status_code == 303
    assert "已停止" in (await client.get(stopped.headers["location"], headers=HTML)).text


async def test_finance_reads_bargains_but_cannot_change_them(api, client):
    setup = await open_campaign(api)
    finance = await api.add_staff(setup.store_id, setup.owner, "finance")
    base = f"/console/stores/{setup.store_id}/bargain"
    use_session(client, finance)
    assert (await client.get(base, headers=HTML)).status_code == 200
    assert (await client.get(f"{base}/new", headers=HTML)).status_code == 403
    service = await api.add_staff(setup.store_id, setup.owner, "customer_service")
    use_session(client, service)
    assert (await client.get(base, headers=HTML)).status_code == 403
