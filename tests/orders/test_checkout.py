from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from tests.orders.conftest import Shop, open_shop
from tests.support import expect


async def available(client, product_id: int, sku_id: int) -> int:
    product = expect(await client.get(f"/api/v1/shop/products/{product_id}"), 200)
    return next(s["available"] for s in product["skus"] if s["id"] == sku_id)


async def test_checkout_places_an_order_and_reserves_stock(api, client, shop: Shop):
    placed = expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 3)]), 201
    )
    [order] = placed["orders"]
    assert order["status"] == "pending_payment"
    assert order["subtotal_fen"] == order["payable_fen"] == 3 * 1999 == placed["payable_fen"]
    assert order["lines"][0]["quantity"] == 3
    assert order["shipping_address"]["phone"] == "13912345678"  # the shopper's own, in full
    assert order["allowed_actions"] == ["pay", "cancel"]
    assert order["price_breakdown"]["lines"][0]["payable_fen"] == 3 * 1999
    assert await available(client, shop.product["id"], shop.sku_id) == 7


async def test_one_checkout_makes_one_order_per_store(api, client):
    first = await open_shop(api)
    operator = await api.operator()
    other_store, other_owner = await api.create_store(operator, "另一家店")
    other = await api.create_product(other_store["id"], other_owner, price_fen=500)
    placed = expect(
        await api.place_order(
            first.shopper,
            first.address["id"],
            [(first.sku_id, 1), (other["skus"][0]["id"], 2)],
        ),
        201,
    )
    assert sorted(o["store_id"] for o in placed["orders"]) == sorted(
        [first.store["id"], other_store["id"]]
    )
    assert len({o["checkout_no"] for o in placed["orders"]}) == 1
    assert placed["payable_fen"] == 1999 + 1000


async def test_a_checkout_reserves_every_line_or_none(api, client, shop: Shop):
    scarce = await api.create_product(shop.store["id"], shop.owner, title="限量款", stock=1)
    scarce_sku = scarce["skus"][0]["id"]
    answer = await api.place_order(
        shop.shopper, shop.address["id"], [(shop.sku_id, 2), (scarce_sku, 2)]
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "out_of_stock"
    assert await available(client, shop.product["id"], shop.sku_id) == 10
    assert await available(client, scarce["id"], scarce_sku) == 1
    orders = expect(await client.get("/api/v1/me/orders", headers=shop.shopper), 200)
    assert orders["items"] == []


@pytest.mark.parametrize(
    ("quantity", "code"),
    [
        (0, "invalid_input"),
        (-5, "invalid_input"),
        (10_000, "invalid_input"),
        ("many", "invalid_input"),
        (2.5, "invalid_input"),
    ],
)
async def test_bad_quantities_are_refused_and_change_nothing(
    api, client, shop: Shop, quantity, code
):
    answer = await client.post(
        "/api/v1/me/orders",
        json={
            "address_id": shop.address["id"],
            "items": [{"sku_id": shop.sku_id, "quantity": quantity}],
        },
        headers=shop.shopper,
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == code
    assert await available(client, shop.product["id"], shop.sku_id) == 10


async def test_unknown_skus_and_unpublished_products_are_refused(api, client, shop: Shop):
    answer = await api.place_order(shop.shopper, shop.address["id"], [(999_999, 1)])
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "unknown_sku"
    draft = await api.create_product(shop.store["id"], shop.owner, title="草稿商品", publish=False)
    answer = await api.place_order(shop.shopper, shop.address["id"], [(draft["skus"][0]["id"], 1)])
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "product_unavailable"


async def test_a_suspended_store_takes_no_orders(api, client, shop: Shop):
    operator = await api.operator()
    expect(
        await client.post(f"/api/v1/platform/stores/{shop.store['id']}/suspend", headers=operator),
        200,
    )
    answer = await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)])
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "store_suspended"


async def test_someone_elses_address_is_not_found(api, client, shop: Shop):
    stranger = await api.sign_in()
    answer = await api.place_order(stranger, shop.address["id"], [(shop.sku_id, 1)])
    assert answer.status_code == 404


async def test_same_idempotency_key_places_one_order(api, client, shop: Shop):
    first = expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)], key="k-1"), 201
    )
    again = await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)], key="k-1")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first
    orders = expect(await client.get("/api/v1/me/orders", headers=shop.shopper), 200)
    assert len(orders["items"]) == 1
    assert await available(client, shop.product["id"], shop.sku_id) == 9


async def test_same_idempotency_key_with_another_body_is_a_conflict(api, client, shop: Shop):
    expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)], key="k-2"), 201
    )
    other = await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 2)], key="k-2")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert await available(client, shop.product["id"], shop.sku_id) == 9


async def test_keys_of_different_shoppers_do_not_collide(api, client, shop: Shop):
    expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)], key="same"), 201
    )
    other = await api.sign_in()
    address = await api.add_address(other)
    placed = expect(
        await api.place_order(other, address["id"], [(shop.sku_id, 1)], key="same"), 201
    )
    assert placed["orders"][0]["payable_fen"] == 1999
    assert await available(client, shop.product["id"], shop.sku_id) == 8


async def test_the_price_snapshot_does_not_follow_later_price_changes(api, client, shop: Shop):
    placed = expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)]), 201
    )
    order_id = placed["orders"][0]["id"]
    expect(
        await client.patch(
            f"/api/v1/merchant/stores/{shop.store['id']}/products/{shop.product['id']}/skus/{shop.sku_id}",
            json={"price_fen": 1},
            headers=shop.owner,
        ),
        200,
    )
    order = await api.order(shop.shopper, order_id)
    assert order["payable_fen"] == 1999
    assert order["price_breakdown"] == placed["orders"][0]["price_breakdown"]
    assert (await api.start_payment(shop.shopper, order_id))["amount_fen"] == 1999


async def test_a_quote_does_not_wait_for_a_writer(api, client, runtime, shop: Shop):
    """A quote only reads: while another transaction holds the write lock (a checkout on
    SQLite), it still answers, and it writes nothing."""
    body = {"address_id": shop.address["id"], "items": [{"sku_id": shop.sku_id, "quantity": 2}]}
    async with runtime.db.transaction() as writer:
        await writer.execute(text("UPDATE stores SET name = name WHERE id = :id"), {"id": 0})
        quote = expect(
            await asyncio.wait_for(
                client.post("/api/v1/me/checkout/quote", json=body, headers=shop.shopper), 5
            ),
            200,
        )
    assert quote["payable_fen"] == 2 * 1999
