"""Bargain pages: the product page's 砍价 block, the shareable bargain page with its share
card, helping and refusals in words; the shopper's 我的砍价 list; the console's campaigns,
form errors that write nothing, a campaign's bargains with the reason a help was not counted,
stopping; and roles."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.bargain.conftest import help_, helped_to_floor, open_campaign, start, started
from tests.bargain.test_buying import buy
from tests.orders.test_console import HTML, post_form, use_session
from tests.storefront import page, post, shopper, sign_in_page
from tests.support import expect
from weshop.bargain import web as bargain_pages
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


def card(html: str, bargain_id: int) -> str:
    """One bargain's card of 我的砍价."""
    start_at = html.index(f'id="my-bargain-{bargain_id}"')
    end_at = html.find("</article>", start_at)
    return html[start_at:end_at]


async def test_my_bargains_lists_mine_newest_first_with_the_action_that_fits(
    api, client, monkeypatch
):
    assert (
        (await client.get("/me/bargains", headers=HTML)).headers["location"].startswith("/signin")
    )
    _, me = await shopper(api, client)
    going = await open_campaign(api, helps_needed=3, floor_price_fen=990)
    at_floor = await open_campaign(api, helps_needed=1, floor_price_fen=880)
    ordered = await open_campaign(api, helps_needed=1, floor_price_fen=770)
    first = expect(await start(api.client, me, going.campaign["id"]), 201)
    expect(await help_(api.client, await api.sign_in(), first["id"]), 201)
    second = expect(await start(api.client, me, at_floor.campaign["id"]), 201)
    await helped_to_floor(api, second)
    third = expect(await start(api.client, me, ordered.campaign["id"]), 201)
    await helped_to_floor(api, third)
    address = (await api.add_address(me))["id"]
    order = expect(await buy(api, me, third["id"], address), 201)["orders"][0]
    await started(api, going.campaign["id"])  # someone else's

    html = await page(client, "/me/bargains")
    assert "我的砍价" in html
    positions = [html.index(f'id="my-bargain-{b["id"]}"') for b in (third, second, first)]
    assert positions == sorted(positions)
    assert html.count('class="card order-card my-bargain"') == 3

    bargaining = card(html, first["id"])
    assert "砍价中" in bargaining and "已有 1 / 3 人帮砍" in bargaining
    assert "底价 ¥9.90" in bargaining and 'data-countdown="' in bargaining
    assert 'data-copy="http' in bargaining and f"/bargain/{first['id']}" in bargaining
    assert "立即购买" not in bargaining and "/me/orders/" not in bargaining

    floor = card(html, second["id"])
    assert "已砍到底价" in floor and "¥8.80 立即购买" in floor
    assert f'href="/bargain/{second["id"]}"' in floor and "data-copy" not in floor

    waiting = card(html, third["id"])
    assert "已下单，待付款" in waiting and 'data-countdown="' not in waiting
    assert f'action="/me/orders/{order["id"]}/pay"' in waiting

    # Paginated like the other storefront lists.
    monkeypatch.setattr(bargain_pages, "MY_BARGAINS_PER_PAGE", 2)
    html = await page(client, "/me/bargains")
    assert f'id="my-bargain-{first["id"]}"' not in html
    more = html.split('class="pager"')[1].split('href="')[1].split('"')[0]
    rest = await page(client, "/me/bargains" + more.replace("&amp;", "&"))
    assert f'id="my-bargain-{first["id"]}"' in rest and 'class="pager"' not in rest

    # Linked from my page and from my bargain's page; English when chosen.
    assert 'href="/me/bargains"' in await page(client, "/me")
    assert 'href="/me/bargains"' in await page(client, f"/bargain/{first['id']}")
    await client.get("/lang", params={"to": "en", "next": "/me/bargains"})
    english = await page(client, "/me/bargains")
    assert "My bargains" in english and "Floor price ¥7.70" in english
    await client.get("/lang", params={"to": "zh-CN"})


async def test_my_bargains_shows_bought_refunded_and_an_empty_list(api, client, runner):
    _, me = await shopper(api, client)
    assert "你还没有发起砍价" in await page(client, "/me/bargains")
    setup = await open_campaign(api, helps_needed=1, floor_price_fen=990)
    bargain = expect(await start(api.client, me, setup.campaign["id"]), 201)
    await helped_to_floor(api, bargain)
    address = (await api.add_address(me))["id"]
    order = expect(await buy(api, me, bargain["id"], address), 201)["orders"][0]
    await api.confirm_in_cashier(await api.start_payment(me, order["id"]))
    await runner.run()
    bought = card(await page(client, "/me/bargains"), bargain["id"])
    assert "已购买" in bought and f'href="/me/orders/{order["id"]}"' in bought
    assert "/pay" not in bought
    expect(
        await api.client.post(f"/api/v1/me/orders/{order['id']}/cancel", json={}, headers=me), 200
    )
    refunded = card(await page(client, "/me/bargains"), bargain["id"])
    assert "已退款" in refunded and f'href="/me/orders/{order["id"]}"' in refunded


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
