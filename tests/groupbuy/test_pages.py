"""Pages of group buying: the console's campaigns (create in two steps, field errors that
write nothing, edit, stop), a campaign's groups and figures; the product page's 拼团 block,
a group's shareable page with its sharing card, opening and joining from the pages, and
我的拼团."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.groupbuy.conftest import GroupShop
from tests.orders.test_console import HTML, csrf_of, post_form, use_session
from tests.support import expect
from weshop.groupbuy.models import GroupCampaign


async def campaigns(runtime) -> int:
    async with runtime.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(GroupCampaign)))


async def test_staff_create_edit_and_stop_a_campaign_in_the_console(api, client, runtime):
    store_id, owner = await api.new_store()
    product = await api.create_product(
        store_id, owner, title="高山云雾茶", specs=[{"name": "规格", "values": ["50g", "100g"]}]
    )
    [small, large] = product["skus"]
    base = f"/console/stores/{store_id}"
    use_session(client, owner)
    listing = await client.get(f"{base}/group-buys", headers=HTML)
    assert listing.status_code == 200 and "拼团" in listing.text
    chooser = await client.get(f"{base}/group-buys/new", headers=HTML)
    assert chooser.status_code == 200 and "高山云雾茶" in chooser.text
    form_page = f"{base}/group-buys/new?product_id={product['id']}"
    fields = {
        "product_id": str(product["id"]),
        "name": "三人拼团享5折",
        "prices.0.sku_id": str(small["id"]),
        "prices.0.price_fen": "49.50",
        "prices.0.leader_price_fen": "",
        "prices.1.sku_id": str(large["id"]),
        "prices.1.price_fen": "",  # left out of the campaign
        "prices.1.leader_price_fen": "",
        "group_size": "1",
        "fill_window_minutes": "1440",
        "stock": "100",
        "per_shopper_limit": "2",
        "starts_at": "2026-01-01T10:00",
        "ends_at": "2099-01-01T10:00",
        "full_group_policy": "refund",
        "simulated_fill": "1",
    }
    refused = await post_form(client, form_page, f"{base}/group-buys/new", fields)
    assert refused.status_code == 422 and "成团人数为 2 至 50 人" in refused.text
    too_dear = await post_form(
        client,
        form_page,
        f"{base}/group-buys/new",
        {**fields, "group_size": "3", "prices.0.price_fen": "500"},
    )
    assert too_dear.status_code == 422 and "拼团价不能高于该规格的售价" in too_dear.text
    assert await campaigns(runtime) == 0
    created = await post_form(
        client, form_page, f"{base}/group-buys/new", {**fields, "group_size": "3"}
    )
    assert created.status_code == 303, created.text
    detail_url = created.headers["location"].split("?")[0]
    campaign_id = int(detail_url.rsplit("/", 1)[1])
    campaign = expect(
        await client.get(
            f"/api/v1/merchant/stores/{store_id}/group-buys/{campaign_id}", headers=owner
        ),
        200,
    )
    assert [(p["sku_id"], p["price_fen"]) for p in campaign["prices"]] == [(small["id"], 4950)]
    assert campaign["full_group_policy"] == "refund" and campaign["simulated_fill"] is True
    assert campaign["new_customers_only"] is False
    detail = await client.get(detail_url, headers=HTML)
    assert detail.status_code == 200 and "三人拼团享5折" in detail.text and "成团率" in detail.text

    edit_page = f"{detail_url}/edit"
    edited = await post_form(
        client,
        edit_page,
        edit_page,
        {
            "name": "三人团新价",
            "prices.0.sku_id": str(small["id"]),
            "prices.0.price_fen": "40",
            "prices.0.leader_price_fen": "35",
            "prices.1.sku_id": str(large["id"]),
            "prices.1.price_fen": "60",
            "prices.1.leader_price_fen": "",
            "stock": "80",
            "per_shopper_limit": "1",
            "starts_at": "2026-01-01T10:00",
            "ends_at": "2099-01-01T10:00",
            "full_group_policy": "new_group",
        },
    )
    assert edited.status_code == 303, edited.text
    campaign = expect(
        await client.get(
            f"/api/v1/merchant/stores/{store_id}/group-buys/{campaign_id}", headers=owner
        ),
        200,
    )
    assert [(p["price_fen"], p["leader_price_fen"]) for p in campaign["prices"]] == [
        (4000, 3500),
        (6000, None),
    ]
    assert (campaign["stock"], campaign["simulated_fill"]) == (80, False)
    page = await client.get(detail_url, headers=HTML)
    stopped = await client.post(
        f"{detail_url}/stop", data={"csrf_token": csrf_of(page)}, headers=HTML
    )
    assert stopped.status_code == 303
    assert (await client.get(detail_url, headers=HTML)).text.count("已停止") >= 1


async def test_the_product_page_and_the_group_page(api, client, gshop: GroupShop):
    group_id, _, _ = await gshop.opened_group()
    page = await client.get(f"/p/{gshop.product['id']}", headers=HTML)
    assert page.status_code == 200
    assert (
        "3人团" in page.text and "还差 2 人" in page.text and f'href="/g/{group_id}"' in page.text
    )
    assert "data-countdown" in page.text and "可直接参团" in page.text
    group = await client.get(f"/g/{group_id}", headers=HTML)
    assert group.status_code == 200
    assert 'property="og:title"' in group.text and "还差 2 人" in group.text
    assert f'content="http://test/g/{group_id}"' in group.text
    assert "参加这个团" in group.text
    # Someone else joins from the page: signed in, the order is placed and waits for payment.
    joiner, _ = await gshop.shopper()
    use_session(client, joiner)
    group = await client.get(f"/g/{group_id}", headers=HTML)
    joined = await client.post(
        f"/g/{group_id}/join",
        data={"csrf_token": csrf_of(group), "sku_id": str(gshop.sku_id), "quantity": "1"},
        headers=HTML,
    )
    assert joined.status_code == 303 and joined.headers["location"].startswith("/me/orders/")
    order_id = int(joined.headers["location"].split("/")[3].split("?")[0])
    order = await gshop.api.order(joiner, order_id)
    assert order["payable_fen"] == 4000 and order["status"] == "pending_payment"
    mine = await client.get("/me/groups", headers=HTML)
    assert mine.status_code == 200 and f"/g/{group_id}" in mine.text and "待付款" in mine.text


async def test_opening_from_the_product_page_without_an_address_asks_for_one(
    api, client, gshop: GroupShop
):
    shopper = await api.sign_in()
    use_session(client, shopper)
    page = await client.get(f"/p/{gshop.product['id']}", headers=HTML)
    answer = await client.post(
        f"/group-buys/{gshop.campaign['id']}/open",
        data={"csrf_token": csrf_of(page), "sku_id": str(gshop.sku_id)},
        headers=HTML,
    )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/me/addresses/new")


async def test_a_refused_join_says_why_on_the_group_page(api, client, gshop: GroupShop):
    group_id, _, leader = await gshop.opened_group()
    use_session(client, leader)
    page = await client.get(f"/g/{group_id}", headers=HTML)
    answer = await client.post(
        f"/g/{group_id}/join",
        data={"csrf_token": csrf_of(page), "sku_id": str(gshop.sku_id)},
        headers=HTML,
    )
    assert answer.status_code == 303 and answer.headers["location"].endswith("error=already_member")
    shown = await client.get(answer.headers["location"], headers=HTML)
    assert "你已经在这个团里了" in shown.text
    product_page = await client.get(f"/p/{gshop.product['id']}?error=campaign_ended", headers=HTML)
    assert "这个拼团活动已结束" in product_page.text


async def test_the_console_edits_an_opened_campaign_and_stops_it_with_a_warning(
    client, gshop: GroupShop
):
    group_id, _, _ = await gshop.opened_group()
    use_session(client, gshop.owner)
    detail_url = f"/console/stores/{gshop.store_id}/group-buys/{gshop.campaign['id']}"
    edit_url = f"{detail_url}/edit"
    form = await client.get(edit_url, headers=HTML)
    assert form.status_code == 200
    assert "已有人开团" in form.text and 'name="terms_locked"' in form.text
    for locked in ("group_size", "fill_window_minutes", "starts_at"):
        assert re.search(rf'name="{locked}"[^>]*disabled', form.text), locked
    assert not re.search(r'name="stock"[^>]*disabled', form.text)
    # What a browser posts: the fields not disabled.
    shown = {
        "terms_locked": "1",
        "name": "延长拼团",
        "stock": "60",
        "per_shopper_limit": "3",
        "ends_at": "2099-01-01T10:00",
    }
    saved = await post_form(client, edit_url, edit_url, shown)
    assert saved.status_code == 303, saved.text
    campaign = await gshop.campaign_now()
    assert (campaign["name"], campaign["stock"], campaign["per_shopper_limit"]) == (
        "延长拼团",
        60,
        3,
    )
    assert campaign["simulated_fill"] is False and campaign["group_size"] == 3
    refused = await post_form(client, edit_url, edit_url, {**shown, "group_size": "5"})
    assert refused.status_code == 422 and "已有人开团：此项不能再修改。" in refused.text
    assert (await gshop.campaign_now())["group_size"] == 3

    page = await client.get(detail_url, headers=HTML)
    assert "进行中的团立即结束并拼团失败" in page.text
    stopped = await client.post(
        f"{detail_url}/stop", data={"csrf_token": csrf_of(page)}, headers=HTML
    )
    assert stopped.status_code == 303
    assert "进行中的团已结束" in (await client.get(stopped.headers["location"], headers=HTML)).text
    assert (await gshop.group(group_id))["state"] == "refunding"
