"""Checkout priced in a read transaction and placed in a short write transaction: a change
landing in between is priced again, never charged stale; one Idempotency-Key places one
order however many requests race; distinct SKUs sell exactly their stock under load."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from tests.orders.conftest import Shop, open_shop
from tests.orders.test_no_oversell import stock_of
from tests.support import expect
from weshop.accounts import service as accounts
from weshop.core.errors import Conflict
from weshop.orders.checkout import PreparedCheckout, place_prepared, prepare_checkout
from weshop.orders.schemas import CheckoutIn


def checkout_body(shop: Shop, quantity: int = 2) -> CheckoutIn:
    return CheckoutIn.model_validate(
        {"address_id": shop.address["id"], "items": [{"sku_id": shop.sku_id, "quantity": quantity}]}
    )


async def prepared_in_a_read(runtime, shop: Shop, body: CheckoutIn):
    token = shop.shopper["Authorization"].removeprefix("Bearer ")
    async with runtime.db.session(write=False) as reader, reader.begin():
        user = await accounts.authenticate(reader, token)
        return user, await prepare_checkout(reader, user, body)


async def place(runtime, user, body: CheckoutIn, prepared: PreparedCheckout):
    async with runtime.db.transaction() as writer:
        return await place_prepared(writer, user, body, prepared)


async def test_an_unchanged_basket_is_placed_at_the_price_read_before(api, runtime, shop: Shop):
    body = checkout_body(shop)
    user, prepared = await prepared_in_a_read(runtime, shop, body)
    placed = await place(runtime, user, body, prepared)
    assert [order.payable_fen for order in placed.orders] == [2 * 1999]
    assert placed.orders[0].price_snapshot == prepared.priced.quote.for_store(
        shop.store["id"]
    ).model_dump(mode="json")


async def test_a_price_changed_after_pricing_is_charged_as_it_is_when_placed(
    api, client, runtime, shop: Shop
):
    body = checkout_body(shop)
    user, prepared = await prepared_in_a_read(runtime, shop, body)
    assert prepared.priced.quote.payable_fen == 2 * 1999
    expect(
        await client.patch(
            f"/api/v1/merchant/stores/{shop.store['id']}/products/{shop.product['id']}"
            f"/skus/{shop.sku_id}",
            json={"price_fen": 2500},
            headers=shop.owner,
        ),
        200,
    )
    placed = await place(runtime, user, body, prepared)
    [order] = placed.orders
    assert order.payable_fen == 2 * 2500
    assert order.price_snapshot["lines"][0]["unit_price_fen"] == 2500
    assert [line.unit_price_fen for line in placed.lines[order.id]] == [2500]


async def test_a_store_suspended_after_pricing_takes_no_order(api, client, runtime, shop: Shop):
    body = checkout_body(shop)
    user, prepared = await prepared_in_a_read(runtime, shop, body)
    operator = await api.operator()
    expect(
        await client.post(f"/api/v1/platform/stores/{shop.store['id']}/suspend", headers=operator),
        200,
    )
    try:
        await place(runtime, user, body, prepared)
    except Conflict as refused:
        assert refused.code == "store_suspended"
    else:
        raise AssertionError("a suspended store took an order")
    assert (await stock_of(runtime, shop.sku_id)).available == 10


async def test_racing_requests_with_one_key_place_one_order(api, runtime, live_url, shop: Shop):
    async with httpx.AsyncClient(base_url=live_url, timeout=60) as http:
        answers = await asyncio.gather(
            *(
                http.post(
                    "/api/v1/me/orders",
                    json={
                        "address_id": shop.address["id"],
                        "items": [{"sku_id": shop.sku_id, "quantity": 1}],
                    },
                    headers={**shop.shopper, "Idempotency-Key": "one-key"},
                )
                for _ in range(10)
            )
        )
        assert {answer.status_code for answer in answers} == {201}
        assert len({answer.json()["orders"][0]["id"] for answer in answers}) == 1
        replayed = [answer.headers.get("Idempotent-Replayed") for answer in answers]
        assert replayed.count("true") == 9
        mine = expect(await http.get("/api/v1/me/orders", headers=shop.shopper), 200)
        assert len(mine["items"]) == 1
    stock = await stock_of(runtime, shop.sku_id)
    assert (stock.available, stock.reserved) == (9, 1)


async def test_concurrent_checkouts_of_distinct_skus_sell_exactly_their_stock(
    api, runtime, live_url
):
    shop = await open_shop(api, stock=4)
    skus = [shop.sku_id]
    for number in range(4):
        product = await api.create_product(
            shop.store["id"], shop.owner, title=f"款式 {number}", stock=4
        )
        skus.append(product["skus"][0]["id"])
    buyers = [(shop.shopper, shop.address["id"])]
    buyers += [await api.buyer() for _ in range(9)]

    limits = httpx.Limits(max_connections=60, max_keepalive_connections=60)
    async with httpx.AsyncClient(base_url=live_url, limits=limits, timeout=120) as http:

        async def checkout(i: int) -> tuple[int, httpx.Response]:
            headers, address_id = buyers[i % len(buyers)]
            sku_id = skus[i % len(skus)]
            answer = await http.post(
                "/api/v1/me/orders",
                json={"address_id": address_id, "items": [{"sku_id": sku_id, "quantity": 1}]},
                headers={**headers, "Idempotency-Key": f"distinct-{i}"},
            )
            return sku_id, answer

        answers = await asyncio.gather(*(checkout(i) for i in range(60)))
    sold = Counter(sku_id for sku_id, answer in answers if answer.status_code == 201)
    assert sold == {sku_id: 4 for sku_id in skus}
    assert {
        answer.json()["error"]["code"] for _, answer in answers if answer.status_code != 201
    } == {"out_of_stock"}
    for sku_id in skus:
        stock = await stock_of(runtime, sku_id)
        assert (stock.available, stock.reserved) == (0, 4)
