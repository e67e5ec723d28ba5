"""The products list's bulk tools over the API: status, price and stock of a batch, all or
nothing, with the roles and the store scope of the single edits."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.support import expect
from weshop.catalog.bulk.schemas import AddToPrice, ScalePrice, SetPrice
from weshop.catalog.bulk.service import new_price
from weshop.inventory.models import StockMovement

SIZES = {"name": "尺码", "values": ["S", "M"]}


def bulk_url(store_id: int, what: str) -> str:
    return f"/api/v1/merchant/stores/{store_id}/products/bulk/{what}"


def product_url(store_id: int, product_id: int) -> str:
    return f"/api/v1/merchant/stores/{store_id}/products/{product_id}"


async def shop_with_products(api, count: int = 3, **options):
    store_id, owner = await api.new_store()
    products = [
        await api.create_product(store_id, owner, title=f"商品{n}", specs=[SIZES], **options)
        for n in range(count)
    ]
    return store_id, owner, products


async def snapshot(api, store_id, owner, products) -> list[dict]:
    return [
        expect(await api.client.get(product_url(store_id, p["id"]), headers=owner), 200)
        for p in products
    ]


async def movements(runtime) -> int:
    async with runtime.db.session() as session:
        return await session.scalar(select(func.count()).select_from(StockMovement))


async def test_unpublish_then_publish_a_batch(api):
    store_id, owner, products = await shop_with_products(api)
    ids = [p["id"] for p in products[:2]]
    done = expect(
        await api.client.post(
            bulk_url(store_id, "status"),
            json={"product_ids": ids, "action": "unpublish"},
            headers=owner,
        ),
        200,
    )
    assert [p["status"] for p in done["products"]] == ["unpublished", "unpublished"]
    after = await snapshot(api, store_id, owner, products)
    assert [p["status"] for p in after] == ["unpublished", "unpublished", "published"]
    # A product already on sale is left as it is; the others go on sale.
    again = expect(
        await api.client.post(
            bulk_url(store_id, "status"),
            json={"product_ids": [p["id"] for p in products], "action": "publish"},
            headers=owner,
        ),
        200,
    )
    assert {p["status"] for p in again["products"]} == {"published"}


async def test_one_product_that_cannot_change_refuses_the_whole_batch(api):
    store_id, owner, products = await shop_with_products(api, publish=False)
    unpriced = await api.create_product(store_id, owner, title="未定价", price_fen=0, publish=False)
    answer = await api.client.post(
        bulk_url(store_id, "status"),
        json={"product_ids": [products[0]["id"], unpriced["id"]], "action": "publish"},
        headers=owner,
    )
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "not_publishable" and error["details"]["product_id"] == unpriced["id"]
    after = await snapshot(api, store_id, owner, [products[0]])
    assert after[0]["status"] == "draft"  # published first, then rolled back with the batch


async def test_prices_set_add_and_percent_are_exact_in_fen(api):
    store_id, owner, products = await shop_with_products(api, price_fen=999)
    ids = [p["id"] for p in products]
    url = bulk_url(store_id, "price")
    lowered = expect(
        await api.client.post(
            url,
            json={"product_ids": ids, "change": {"mode": "percent", "percent": -15}},
            headers=owner,
        ),
        200,
    )
    # 999 × 0.85 = 849.15 → 849 fen.
    assert {s["price_fen"] for p in lowered["products"] for s in p["skus"]} == {849}
    assert lowered["changed_skus"] == 6 and lowered["products"][0]["price_from_fen"] == 849
    raised = expect(
        await api.client.post(
            url,
            json={"product_ids": ids[:1], "change": {"mode": "add", "amount_fen": 151}},
            headers=owner,
        ),
        200,
    )
    assert {s["price_fen"] for s in raised["products"][0]["skus"]} == {1000}
    flat = expect(
        await api.client.post(
            url,
            json={"product_ids": ids, "change": {"mode": "set", "price_fen": 5900}},
            headers=owner,
        ),
        200,
    )
    assert {s["price_fen"] for p in flat["products"] for s in p["skus"]} == {5900}


async def test_a_price_below_one_fen_refuses_the_batch(api):
    store_id, owner, products = await shop_with_products(api, price_fen=500)
    cheap = await api.create_product(store_id, owner, title="便宜货", price_fen=100)
    ids = [products[0]["id"], cheap["id"]]
    answer = await api.client.post(
        bulk_url(store_id, "price"),
        json={"product_ids": ids, "change": {"mode": "add", "amount_fen": -100}},
        headers=owner,
    )
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "price_out_of_range"
    assert {row["sku_id"] for row in error["details"]["skus"]} == {cheap["skus"][0]["id"]}
    after = await snapshot(api, store_id, owner, [products[0], cheap])
    assert {s["price_fen"] for s in after[0]["skus"]} == {500}
    assert after[1]["skus"][0]["price_fen"] == 100


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(price=st.integers(1, 10**10), percent=st.integers(-99, 1000), amount=st.integers())
def test_new_prices_are_whole_fen_rounded_half_up(price, percent, amount):
    scaled = new_price(price, ScalePrice(mode="percent", percent=percent))
    exact = price * (100 + percent)
    assert isinstance(scaled, int)
    assert abs(scaled * 100 - exact) <= 50  # the nearest fen
    if exact % 100 == 50:
        assert scaled * 100 == exact + 50  # a half fen goes up
    assert new_price(price, SetPrice(mode="set", price_fen=7)) == 7
    assert new_price(price, AddToPrice(mode="add", amount_fen=amount % 10**10)) == price + (
        amount % 10**10
    )


async def test_stock_add_and_set_are_recorded_movements(api, runtime):
    store_id, owner, products = await shop_with_products(api, count=2, stock=10)
    ids = [p["id"] for p in products]
    url = bulk_url(store_id, "stock")
    before = await movements(runtime)
    added = expect(
        await api.client.post(
            url,
            json={"product_ids": ids, "change": {"mode": "add", "quantity": 5}, "reason": "到货"},
            headers={**owner, "Idempotency-Key": "bulk-stock-1"},
        ),
        200,
    )
    assert {s["available"] for p in added["products"] for s in p["skus"]} == {15}
    assert await movements(runtime) == before + 4
    replay = await api.client.post(
        url,
        json={"product_ids": ids, "change": {"mode": "add", "quantity": 5}, "reason": "到货"},
        headers={**owner, "Idempotency-Key": "bulk-stock-1"},
    )
    assert replay.status_code == 200 and replay.headers.get("Idempotent-Replayed") == "true"
    assert await movements(runtime) == before + 4  # a retried request moves stock once
    made = expect(
        await api.client.post(
            url,
            json={"product_ids": ids, "change": {"mode": "set", "quantity": 3}, "reason": "盘点"},
            headers=owner,
        ),
        200,
    )
    assert {s["available"] for p in made["products"] for s in p["skus"]} == {3}
    assert made["changed_skus"] == 4


async def test_stock_never_goes_below_zero_and_nothing_moves(api, runtime):
    store_id, owner, products = await shop_with_products(api, count=1, stock=10)
    low = await api.create_product(store_id, owner, title="少量", stock=2)
    before = await movements(runtime)
    answer = await api.client.post(
        bulk_url(store_id, "stock"),
        json={
            "product_ids": [products[0]["id"], low["id"]],
            "change": {"mode": "add", "quantity": -5},
            "reason": "报损",
        },
        headers=owner,
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "stock_would_go_negative"
    assert answer.json()["error"]["details"]["product_id"] == low["id"]
    assert await movements(runtime) == before
    after = await snapshot(api, store_id, owner, [products[0], low])
    assert {s["available"] for p in after for s in p["skus"]} == {10, 2}


async def test_another_stores_product_in_a_batch_is_404_and_nothing_changes(api, runtime):
    store_id, owner, products = await shop_with_products(api, count=2)
    other_id, other_owner, others = await shop_with_products(api, count=1)
    ids = [products[0]["id"], others[0]["id"]]
    before = await movements(runtime)
    bodies = {
        "status": {"product_ids": ids, "action": "unpublish"},
        "price": {"product_ids": ids, "change": {"mode": "set", "price_fen": 1}},
        "stock": {"product_ids": ids, "change": {"mode": "add", "quantity": 1}, "reason": "x"},
    }
    for what, body in bodies.items():
        answer = await api.client.post(bulk_url(store_id, what), json=body, headers=owner)
        assert answer.status_code == 404, (what, answer.text)
        assert others[0]["title"] not in answer.text
    assert await movements(runtime) == before
    mine = await snapshot(api, store_id, owner, products)
    theirs = await snapshot(api, other_id, other_owner, others)
    assert {p["status"] for p in mine + theirs} == {"published"}
    assert {s["price_fen"] for p in mine + theirs for s in p["skus"]} == {9900}


async def test_roles_need_the_permission_of_the_single_edit(api):
    store_id, owner, products = await shop_with_products(api, count=1)
    finance = await api.add_staff(store_id, owner, "finance")
    service = await api.add_staff(store_id, owner, "customer_service")
    operator = await api.add_staff(store_id, owner, "operator")
    ids = [products[0]["id"]]
    bodies = {
        "status": {"product_ids": ids, "action": "unpublish"},
        "price": {"product_ids": ids, "change": {"mode": "set", "price_fen": 1}},
        "stock": {"product_ids": ids, "change": {"mode": "add", "quantity": 1}, "reason": "x"},
    }
    for staff in (finance, service):
        for what, body in bodies.items():
            answer = await api.client.post(bulk_url(store_id, what), json=body, headers=staff)
            assert answer.status_code == 403, (what, answer.text)
    after = await snapshot(api, store_id, owner, products)
    assert after[0]["status"] == "published" and after[0]["skus"][0]["price_fen"] == 9900
    for what, body in bodies.items():
        expect(await api.client.post(bulk_url(store_id, what), json=body, headers=operator), 200)


async def test_a_batch_has_a_maximum_size_and_distinct_ids(api):
    store_id, owner, _products = await shop_with_products(api, count=1)
    for ids in (list(range(1, 52)), [1, 1]):
        answer = await api.client.post(
            bulk_url(store_id, "status"),
            json={"product_ids": ids, "action": "publish"},
            headers=owner,
        )
        assert answer.status_code == 422, answer.text


async def test_a_bulk_price_change_and_concurrent_orders_see_one_price_each(api, runner):
    store_id, owner, products = await shop_with_products(api, count=2, price_fen=1000, stock=50)
    sku_id = products[0]["skus"][0]["id"]
    buyers = [await api.buyer() for _ in range(6)]

    async def buy(shopper, address_id):
        return await api.place_order(shopper, address_id, [(sku_id, 1)])

    change = api.client.post(
        bulk_url(store_id, "price"),
        json={
            "product_ids": [p["id"] for p in products],
            "change": {"mode": "percent", "percent": -20},
        },
        headers=owner,
    )
    answers = await asyncio.gather(change, *(buy(s, a) for s, a in buyers))
    assert answers[0].status_code == 200, answers[0].text
    placed = [expect(answer, 201)["orders"][0] for answer in answers[1:]]
    # Every order is priced wholly at the old price or wholly at the new one.
    assert {order["lines"][0]["unit_price_fen"] for order in placed} <= {1000, 800}
    after = await snapshot(api, store_id, owner, products)
    assert {s["price_fen"] for p in after for s in p["skus"]} == {800}
    assert after[0]["skus"][0]["available"] + after[0]["skus"][0]["reserved"] == 50


async def test_a_bulk_stock_set_and_concurrent_orders_never_lose_a_sale(api):
    store_id, owner, products = await shop_with_products(api, count=1, stock=20)
    sku_id = products[0]["skus"][0]["id"]
    buyers = [await api.buyer() for _ in range(6)]
    change = api.client.post(
        bulk_url(store_id, "stock"),
        json={
            "product_ids": [products[0]["id"]],
            "change": {"mode": "set", "quantity": 10},
            "reason": "盘点",
        },
        headers=owner,
    )
    answers = await asyncio.gather(
        change, *(api.place_order(s, a, [(sku_id, 1)]) for s, a in buyers)
    )
    assert answers[0].status_code == 200, answers[0].text
    assert all(answer.status_code == 201 for answer in answers[1:])
    after = (await snapshot(api, store_id, owner, products))[0]
    sku = next(s for s in after["skus"] if s["id"] == sku_id)
    # Orders before the count were counted by it; orders after it came off the 10. Either
    # way every held unit is held, and available is 10 minus the orders after the count.
    assert 4 <= sku["available"] <= 10
    assert sku["reserved"] == 6
