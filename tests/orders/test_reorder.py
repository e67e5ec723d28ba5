"""再来一单: a shipped or completed order's items go back into the cart as far as they can be
had now, and the shopper is told which could not."""

from __future__ import annotations

from tests.orders.test_web import ready
from tests.storefront import page, post
from tests.support import expect


async def shipped_order(api, client, shop: dict, lines: list[tuple[int, int]]) -> dict:
    headers = shop["headers"]
    order = expect(await api.place_order(headers, shop["address"]["id"], lines), 201)["orders"][0]
    await api.confirm_in_cashier(await api.start_payment(headers, order["id"]))
    expect(
        await client.post(
            f"/api/v1/merchant/stores/{shop['store_id']}/orders/{order['id']}/shipments",
            json={"packages": [{"carrier": "顺丰速运", "tracking_no": "SF1234567890"}]},
            headers=shop["owner"],
        ),
        200,
    )
    return order


async def test_buy_again_fills_the_cart_and_opens_it(api, client) -> None:
    shop = await ready(api, client)
    order = await shipped_order(api, client, shop, [(shop["sku"], 2)])
    listed = await page(client, "/me/orders")
    assert f'action="/me/orders/{order["id"]}/reorder"' in listed and "再来一单" in listed
    assert f'action="/me/orders/{order["id"]}/reorder"' in await page(
        client, f"/me/orders/{order['id']}"
    )
    answer = await post(client, f"/me/orders/{order['id']}/reorder")
    assert answer.headers["location"] == "/cart"
    cart = expect(await client.get("/api/v1/me/cart", headers=shop["headers"]), 200)
    assert [(line["sku_id"], line["quantity"]) for line in cart["groups"][0]["items"]] == [
        (shop["sku"], 2)
    ]


async def test_what_cannot_be_had_is_named_and_the_rest_goes_in(api, client) -> None:
    shop = await ready(api, client, stock=5)
    store, owner = shop["store_id"], shop["owner"]
    gone = await api.create_product(store, owner, title="限量茶饼", stock=5)
    scarce = await api.create_product(store, owner, title="古树红茶", stock=5)
    order = await shipped_order(
        api,
        client,
        shop,
        [(shop["sku"], 1), (gone["skus"][0]["id"], 1), (scarce["skus"][0]["id"], 3)],
    )
    expect(
        await client.post(
            f"/api/v1/merchant/stores/{store}/products/{gone['id']}/unpublish", headers=owner
        ),
        200,
    )
    # Two of the red tea are left: the order took three of five.
    result = await client.post(f"/api/v1/me/orders/{order['id']}/reorder", headers=shop["headers"])
    body = expect(result, 200)
    assert body["all_added"] is False
    by_title = {line["title"]: line for line in body["lines"]}
    assert by_title["高山云雾绿茶"] | {"added": 1, "problem": None} == by_title["高山云雾绿茶"]
    assert by_title["限量茶饼"]["added"] == 0 and by_title["限量茶饼"]["problem"] == "unpublished"
    assert (
        by_title["古树红茶"]["added"] == 2 and by_title["古树红茶"]["problem"] == "not_enough_stock"
    )

    page_answer = await post(client, f"/me/orders/{order['id']}/reorder", status=200)
    text = page_answer.text
    assert "部分商品未能加入购物车" in text and "未加入：" in text and "限量茶饼" in text
    assert 'href="/cart"' in text
    cart = expect(await client.get("/api/v1/me/cart", headers=shop["headers"]), 200)
    quantities = {line["title"]: line["quantity"] for line in cart["groups"][0]["items"]}
    assert quantities == {"高山云雾绿茶": 2, "古树红茶": 2}  # the second try adds the first's


async def test_only_my_shipped_or_completed_orders_can_be_bought_again(api, client) -> None:
    shop = await ready(api, client)
    headers = shop["headers"]
    unpaid = expect(await api.place_order(headers, shop["address"]["id"], [(shop["sku"], 1)]), 201)[
        "orders"
    ][0]
    refused = await client.post(f"/api/v1/me/orders/{unpaid['id']}/reorder", headers=headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_reorderable"
    assert "再来一单" not in await page(client, f"/me/orders/{unpaid['id']}")
    back = await post(client, f"/me/orders/{unpaid['id']}/reorder")
    assert back.headers["location"] == f"/me/orders/{unpaid['id']}?error=not_reorderable"
    order = await shipped_order(api, client, shop, [(shop["sku"], 1)])
    stranger = await api.sign_in()
    answer = await client.post(f"/api/v1/me/orders/{order['id']}/reorder", headers=stranger)
    assert answer.status_code == 404
    assert expect(await client.get("/api/v1/me/cart", headers=stranger), 200)["count"] == 0
