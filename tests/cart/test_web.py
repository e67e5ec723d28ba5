"""Storefront pages of the cart: add from the product page, quantities, buy now."""

from __future__ import annotations

import re

from tests.storefront import HTML, csrf_token, page, post, shopper, sign_in_page
from tests.support import expect


async def on_sale(api, stock: int = 5) -> tuple[int, dict]:
    store_id, owner = await api.new_store("山野农场")
    product = await api.create_product(
        store_id, owner, title="野生蜂蜜", price_fen=8800, stock=stock
    )
    return store_id, product


async def test_adding_to_the_cart_signed_out_goes_to_sign_in_and_back(api, client) -> None:
    _, product = await on_sale(api)
    token = await csrf_token(client)
    answer = await client.post(
        "/cart/items",
        data={"csrf_token": token, "product_id": product["id"], "sku_id": product["skus"][0]["id"]},
        headers=HTML,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/signin?next=/p/{product['id']}"
    assert "weshop_pending" in client.cookies  # see tests/web/test_pending_action.py


async def test_the_cart_groups_by_store_and_changes_quantities(api, client) -> None:
    store_id, product = await on_sale(api)
    sku = product["skus"][0]["id"]
    await sign_in_page(client)
    added = await post(
        client, "/cart/items", {"product_id": product["id"], "sku_id": sku, "quantity": 2}
    )
    assert added.headers["location"] == f"/p/{product['id']}?added=1"
    assert "已加入购物车" in await page(client, f"/p/{product['id']}", added=1)
    cart = await page(client, "/cart")
    assert f'href="/s/{store_id}"' in cart and "山野农场" in cart and "¥176.00" in cart
    item_id = re.search(r'action="/cart/items/(\d+)"', cart).group(1)
    await post(client, f"/cart/items/{item_id}", {"quantity": 2, "delta": 1})
    assert "¥264.00" in await page(client, "/cart")
    too_many = await post(client, f"/cart/items/{item_id}", {"quantity": 9, "delta": 0})
    assert "error=not_enough_stock" in too_many.headers["location"]
    refused = await page(client, too_many.headers["location"])
    assert "库存不足" in refused and "¥264.00" in refused
    await post(client, f"/cart/items/{item_id}/remove")
    assert "购物车还是空的" in await page(client, "/cart")


async def test_a_sold_out_item_is_refused_in_words(api, client) -> None:
    _, product = await on_sale(api, stock=0)
    await sign_in_page(client)
    answer = await post(
        client, "/cart/items", {"product_id": product["id"], "sku_id": product["skus"][0]["id"]}
    )
    assert answer.headers["location"] == f"/p/{product['id']}?error=out_of_stock"
    assert "购物车还是空的" in await page(client, "/cart")


async def test_buy_now_goes_to_checkout_without_the_cart(api, client) -> None:
    _, product = await on_sale(api)
    sku = product["skus"][0]["id"]
    await sign_in_page(client)
    answer = await post(
        client,
        "/cart/items",
        {"product_id": product["id"], "sku_id": sku, "quantity": 3, "intent": "buy"},
    )
    assert answer.headers["location"] == f"/checkout?sku={sku}&quantity=3"
    assert "购物车还是空的" in await page(client, "/cart")


async def test_another_shoppers_cart_line_answers_404(api, client) -> None:
    _, product = await on_sale(api)
    other = await api.sign_in()
    line = expect(
        await client.post(
            "/api/v1/me/cart/items",
            json={"sku_id": product["skus"][0]["id"], "quantity": 1},
            headers=other,
        ),
        201,
    )
    await shopper(api, client)
    token = await csrf_token(client)
    answer = await client.post(
        f"/cart/items/{line['id']}/remove", data={"csrf_token": token}, headers=HTML
    )
    assert answer.status_code == 404
