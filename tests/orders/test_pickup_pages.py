"""Self-pickup on the pages: choosing a pickup point at checkout, the pickup code and its QR
code on the shopper's order, and the console's pickup counter (核销)."""

from __future__ import annotations

import re

from tests.logistics.test_pickup_points import add_point
from tests.orders.test_console import HTML, post_form, use_session
from tests.orders.test_web import checkout_form, ready
from tests.storefront import page, post
from tests.support import expect


async def test_a_shopper_picks_up_and_the_counter_completes_the_order(api, client) -> None:
    shop = await ready(api, client)
    point = await add_point(api, shop["store_id"], shop["owner"])
    text = await page(client, "/checkout", sku=shop["sku"], quantity=1)
    choice = f'name="pickup_store_{shop["store_id"]}" value="{point["id"]}"'
    assert choice in text and "快递配送" in text
    fields = checkout_form(text)
    fields[f"pickup_store_{shop['store_id']}"] = str(point["id"])
    chosen = await post(client, "/checkout", {**fields, "intent": "update"}, status=200)
    assert "自提，免运费" in chosen.text and 'name="pickup_name"' in chosen.text
    no_contact = await post(client, "/checkout", {**fields, "intent": "place"}, status=422)
    assert "请填写提货人的姓名和手机号" in no_contact.text
    contact = {"pickup_name": "李小龙", "pickup_phone": "13811112222"}
    placed = await post(client, "/checkout", {**fields, **contact, "intent": "place"})
    order_id = int(re.search(r"/me/orders/(\d+)", placed.headers["location"]).group(1))
    assert "订单付款后，提货码会显示在这里" in await page(client, f"/me/orders/{order_id}")

    await api.confirm_in_cashier(await api.start_payment(shop["headers"], order_id))
    code = (await api.order(shop["headers"], order_id))["pickup"]["code"]
    detail = await page(client, f"/me/orders/{order_id}")
    assert code in detail and '<svg viewBox="0 0' in detail and 'class="pickup-qr"' in detail

    use_session(client, shop["owner"])
    counter = f"/console/stores/{shop['store_id']}/pickups/verify"
    wrong = await post_form(client, counter, counter, {"code": "000000000000"})
    assert wrong.status_code == 422 and "本店没有使用此提货码的已付款订单" in wrong.text
    done = await post_form(client, counter, counter, {"code": code})
    assert done.status_code == 200 and "已提货，订单已完成" in done.text
    again = await post_form(client, counter, counter, {"code": code})
    assert again.status_code == 409 and "此提货码已核销过" in again.text
    order = expect(
        await client.get(
            f"/api/v1/merchant/stores/{shop['store_id']}/orders/{order_id}",
            headers=shop["owner"],
        ),
        200,
    )
    assert order["status"] == "completed"
    console_order = f"/console/stores/{shop['store_id']}/orders/{order_id}"
    shown = (await client.get(console_order, headers=HTML)).text
    assert "提货人" in shown and "138****2222" in shown and "13811112222" not in shown
    counter_page = (await client.get(counter, headers=HTML)).text
    assert "自提核销" in counter_page and 'name="code"' in counter_page
