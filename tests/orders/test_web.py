"""Storefront pages of orders: checkout with its price breakdown and coupon choice, placing
once per form, my orders by status, an order with the actions its state allows."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.promotions.conftest import claim, create_template
from tests.storefront import HTML, csrf_token, page, post, shopper
from tests.support import expect
from weshop.orders.models import Order


async def order_count(runtime) -> int:
    async with runtime.db.session(write=False) as session:
        return await session.scalar(select(func.count()).select_from(Order))


async def ready(api, client, *, stock: int = 10, price_fen: int = 6000) -> dict:
    """A store with a product, and a signed-in shopper (pages and API) with an address."""
    store_id, owner = await api.new_store("山野农场")
    product = await api.create_product(
        store_id, owner, title="高山云雾绿茶", price_fen=price_fen, stock=stock
    )
    _, headers = await shopper(api, client)
    address = await api.add_address(headers)
    return {
        "store_id": store_id,
        "owner": owner,
        "product": product,
        "sku": product["skus"][0]["id"],
        "headers": headers,
        "address": address,
    }


def checkout_form(text: str) -> dict[str, object]:
    """The fields the checkout page would post as it stands."""
    fields: dict[str, object] = {}
    for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', text):
        if name == "line":
            fields.setdefault("line", []).append(value)
        elif name != "csrf_token":
            fields[name] = value
    fields["address_id"] = re.search(r'name="address_id" value="(\d+)" checked', text).group(1)
    fields["coupon_id"] = re.findall(r'name="coupon_id" value="(\d+)" checked', text)
    return fields


async def test_checkout_names_every_discount_and_why_other_coupons_are_unusable(api, client):
    shop = await ready(api, client)
    store_id, owner, headers = shop["store_id"], shop["owner"], shop["headers"]
    usable = await create_template(api, store_id, owner, name="满100减10")
    too_high = await create_template(
        api, store_id, owner, name="满500减50", amount_off_fen=5000, threshold_fen=50000
    )
    for template in (usable, too_high):
        expect(await claim(client, headers, template["id"]), 201)
    text = await page(client, "/checkout", sku=shop["sku"], quantity=2)
    assert "高山云雾绿茶" in text
    assert re.search(r"<dt>单价</dt><dd>¥60.00</dd>.*<dt>数量</dt><dd>2</dd>", text, re.S)
    assert "<dt>小计（优惠后）</dt>" in text
    assert "优惠券：满100减10" in text and "-¥10.00" in text
    assert "未达到使用门槛" in text and "满500减50" in text
    assert "本店应付" in text and "¥110.00" in text
    # The shopper's own address, in full.
    assert "13912345678" in text and "139****5678" not in text


async def test_choosing_no_coupon_prices_again(api, client) -> None:
    shop = await ready(api, client)
    template = await create_template(api, shop["store_id"], shop["owner"])
    expect(await claim(client, shop["headers"], template["id"]), 201)
    fields = checkout_form(await page(client, "/checkout", sku=shop["sku"], quantity=2))
    assert fields["coupon_id"]
    again = await post(
        client, "/checkout", {**fields, "coupon_id": [], "intent": "update"}, status=200
    )
    assert "¥120.00" in again.text and "优惠券：满100减10" not in again.text


async def test_placing_twice_with_one_form_makes_one_order(api, client, runtime) -> None:
    shop = await ready(api, client)
    fields = checkout_form(await page(client, "/checkout", sku=shop["sku"], quantity=1))
    first = await post(client, "/checkout", {**fields, "intent": "place"})
    second = await post(client, "/checkout", {**fields, "intent": "place"})
    assert first.headers["location"] == second.headers["location"]
    assert re.fullmatch(r"/me/orders/\d+\?notice=placed", first.headers["location"])
    assert await order_count(runtime) == 1
    detail = await page(client, first.headers["location"])
    assert "订单已提交" in detail and "待付款" in detail and "支付 ¥60.00" in detail


async def test_checkout_from_the_cart_empties_the_bought_lines(api, client, runtime) -> None:
    shop = await ready(api, client)
    await post(client, "/cart/items", {"product_id": shop["product"]["id"], "sku_id": shop["sku"]})
    fields = checkout_form(await page(client, "/checkout"))
    assert fields["from_cart"] == "1"
    await post(client, "/checkout", fields)
    assert "购物车还是空的" in await page(client, "/cart")


async def test_sold_out_at_checkout_is_said_in_words_and_orders_nothing(api, client, runtime):
    shop = await ready(api, client, stock=1)
    fields = checkout_form(await page(client, "/checkout", sku=shop["sku"], quantity=1))
    rival = await api.sign_in()
    rival_address = await api.add_address(rival)
    expect(await api.place_order(rival, rival_address["id"], [(shop["sku"], 1)]), 201)
    refused = await post(client, "/checkout", fields, status=409)
    assert "库存不足" in refused.text or "售罄" in refused.text
    assert "Traceback" not in refused.text and '"error"' not in refused.text
    assert await order_count(runtime) == 1


async def test_checkout_without_an_address_asks_for_one(api, client) -> None:
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner)
    await shopper(api, client)
    text = await page(client, "/checkout", sku=product["skus"][0]["id"], quantity=1)
    assert "请先添加收货地址" in text and "/me/addresses/new?next=" in text


async def test_my_orders_by_status_and_the_actions_of_an_order(api, client) -> None:
    shop = await ready(api, client)
    headers, address = shop["headers"], shop["address"]["id"]
    paid = expect(await api.place_order(headers, address, [(shop["sku"], 1)]), 201)["orders"][0]
    await api.confirm_in_cashier(await api.start_payment(headers, paid["id"]))
    unpaid = expect(await api.place_order(headers, address, [(shop["sku"], 2)]), 201)["orders"][0]

    waiting = await page(client, "/me/orders", status="pending_payment")
    assert f"/me/orders/{unpaid['id']}" in waiting and f'/me/orders/{paid["id"]}"' not in waiting
    assert re.search(r'href="/me/orders\?status=pending_payment" aria-current="page"', waiting)
    assert f"/me/orders/{paid['id']}" in await page(client, "/me/orders", status="paid")

    unpaid_page = await page(client, f"/me/orders/{unpaid['id']}")
    assert f'action="/me/orders/{unpaid["id"]}/pay"' in unpaid_page
    assert f'action="/me/orders/{unpaid["id"]}/cancel"' in unpaid_page
    assert "confirm-receipt" not in unpaid_page
    await post(client, f"/me/orders/{unpaid['id']}/cancel")
    cancelled = await page(client, f"/me/orders/{unpaid['id']}", notice="cancelled")
    assert "订单已取消" in cancelled and "/pay" not in cancelled

    expect(
        await client.post(
            f"/api/v1/merchant/stores/{shop['store_id']}/orders/{paid['id']}/shipments",
            json={"packages": [{"carrier": "顺丰速运", "tracking_no": "SF1234567890"}]},
            headers=shop["owner"],
        ),
        200,
    )
    shipped = await page(client, f"/me/orders/{paid['id']}")
    assert "顺丰速运 SF1234567890" in shipped and "将于" in shipped
    await post(client, f"/me/orders/{paid['id']}/confirm-receipt")
    assert "已完成" in await page(client, f"/me/orders/{paid['id']}")


async def test_an_illegal_action_is_refused_in_words(api, client) -> None:
    shop = await ready(api, client)
    order = expect(
        await api.place_order(shop["headers"], shop["address"]["id"], [(shop["sku"], 1)]), 201
    )["orders"][0]
    answer = await post(client, f"/me/orders/{order['id']}/confirm-receipt")
    assert "订单当前状态不允许此操作" in await page(client, answer.headers["location"])


async def test_another_shoppers_order_answers_404(api, client) -> None:
    shop = await ready(api, client)
    other = await api.sign_in()
    address = await api.add_address(other)
    theirs = expect(await api.place_order(other, address["id"], [(shop["sku"], 1)]), 201)
    order_id = theirs["orders"][0]["id"]
    assert (await client.get(f"/me/orders/{order_id}", headers=HTML)).status_code == 404
    token = await csrf_token(client)
    for action in ("cancel", "confirm-receipt", "pay"):
        answer = await client.post(
            f"/me/orders/{order_id}/{action}", data={"csrf_token": token}, headers=HTML
        )
        assert answer.status_code == 404, action
