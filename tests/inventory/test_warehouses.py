"""Warehouses through the merchant and shopper APIs: the first takes the store's stock, goods
are received and counted per warehouse, orders are allocated nearest first and give their
units back to the warehouse they came from."""

from __future__ import annotations

from sqlalchemy import select

from tests.inventory.warehouse_shop import check_sums, warehouse_shop
from tests.logistics.test_pickup_points import add_point
from tests.support import expect
from weshop.inventory.models import StockMovement


async def test_the_first_warehouse_takes_the_stock_and_later_ones_receive(api, client, runtime):
    shop = await warehouse_shop(api, stock=10)
    (sku,) = shop.sku_ids
    assert await shop.stock(sku) == {}
    main = await shop.warehouse("杭州仓", "浙江省")
    second = await shop.warehouse("广州仓", "广东省", regions=("广东省", "广西壮族自治区"))
    assert await shop.stock(sku) == {main: (10, 0)}

    listed = expect(await client.get(shop.url("/warehouses"), headers=shop.owner), 200)
    assert [(w["id"], w["is_default"]) for w in listed] == [(main, True), (second, False)]
    assert listed[1]["regions"] == ["广东省", "广西壮族自治区"]

    moved = expect(await shop.move(sku, second, 4), 201)
    assert (moved["warehouse_id"], moved["available_after"]) == (second, 14)
    refused = await shop.move(sku, second, -5, kind="adjust")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "stock_would_go_negative"
    assert await shop.stock(sku) == {main: (10, 0), second: (4, 0)}
    total = expect(await client.get(shop.url(f"/skus/{sku}/stock"), headers=shop.owner), 200)
    assert total["available"] == 14

    # A movement naming no warehouse goes to the default one.
    no_warehouse = {"kind": "receive", "quantity": 1, "reason": "补货"}
    expect(
        await client.post(
            shop.url(f"/skus/{sku}/stock-movements"), json=no_warehouse, headers=shop.owner
        ),
        201,
    )
    assert await shop.stock(sku) == {main: (11, 0), second: (4, 0)}
    page = expect(
        await client.get(shop.url(f"/warehouses/{second}/stock"), headers=shop.owner), 200
    )
    assert page == {
        "items": [{"sku_id": sku, "warehouse_id": second, "available": 4, "reserved": 0}],
        "next_after_sku_id": None,
    }
    await check_sums(runtime, shop.store_id)


async def test_new_skus_open_in_the_default_warehouse(api, runtime):
    shop = await warehouse_shop(api, stock=1)
    main = await shop.warehouse("主仓", "上海市")
    product = await api.create_product(shop.store_id, shop.owner, title="新品", stock=6)
    assert await shop.stock(product["skus"][0]["id"]) == {main: (6, 0)}
    await check_sums(runtime, shop.store_id)


async def test_warehouse_rules_answer_with_codes(api, client):
    shop = await warehouse_shop(api, stock=3)
    main = await shop.warehouse("主仓", "上海市")
    other = await shop.warehouse("北仓", "北京市")

    async def post(body: dict) -> dict:
        return (await client.post(shop.url("/warehouses"), json=body, headers=shop.owner)).json()

    async def patch(warehouse_id: int, body: dict) -> dict:
        answer = await client.patch(
            shop.url(f"/warehouses/{warehouse_id}"), json=body, headers=shop.owner
        )
        return answer.json()

    taken = await post({"name": "主仓", "province": "浙江省", "city": "杭州市"})
    assert taken["error"]["code"] == "warehouse_name_taken"
    unknown = await post({"name": "南仓", "province": "浙江", "city": "杭州市"})
    assert unknown["error"]["code"] == "unknown_province"
    assert (await patch(main, {"is_active": False}))["error"]["code"] == "default_warehouse"
    expect(await shop.move(shop.sku_ids[0], other, 2), 201)
    assert (await patch(other, {"is_active": False}))["error"]["code"] == "warehouse_not_empty"
    expect(await shop.move(shop.sku_ids[0], other, -2, kind="adjust"), 201)
    assert (await patch(other, {"is_active": False, "regions": ["天津市"]}))["is_active"] is False
    refused = await shop.move(shop.sku_ids[0], other, 1)
    assert refused.json()["error"]["code"] == "warehouse_inactive"
    assert (await patch(other, {"is_active": True}))["regions"] == ["天津市"]


async def test_orders_go_to_the_region_then_the_province_then_the_default(api, runtime):
    shop = await warehouse_shop(api)
    (sku,) = shop.sku_ids
    default = await shop.warehouse("上海仓", "上海市")
    local = await shop.warehouse("杭州仓", "浙江省")
    serving = await shop.warehouse("苏州仓", "江苏省", regions=("浙江省",))
    for warehouse_id in (default, local, serving):
        expect(await shop.move(sku, warehouse_id, 1), 201)

    async def order_from(province: str) -> int:
        shopper, address_id = await shop.buyer(province)
        placed = expect(await api.place_order(shopper, address_id, [(sku, 1)]), 201)
        return placed["orders"][0]["id"]

    first = await order_from("浙江省")
    assert await shop.allocation(first) == [(sku, serving, 1, "held")]
    second = await order_from("浙江省")
    assert await shop.allocation(second) == [(sku, local, 1, "held")]
    third = await order_from("浙江省")
    assert await shop.allocation(third) == [(sku, default, 1, "held")]
    assert await shop.stock(sku) == {default: (0, 1), local: (0, 1), serving: (0, 1)}
    await check_sums(runtime, shop.store_id)


async def test_one_warehouse_for_the_order_and_a_split_only_when_needed(api, runtime):
    shop = await warehouse_shop(api, skus=2)
    a, b = shop.sku_ids
    near = await shop.warehouse("杭州仓", "浙江省")
    far = await shop.warehouse("成都仓", "四川省")
    # The near warehouse has only A; the far one has both: the whole order goes far.
    expect(await shop.move(a, near, 5), 201)
    expect(await shop.move(a, far, 2), 201)
    expect(await shop.move(b, far, 2), 201)
    shopper, address_id = await shop.buyer("浙江省")
    placed = expect(await api.place_order(shopper, address_id, [(a, 1), (b, 1)]), 201)
    order_id = placed["orders"][0]["id"]
    assert await shop.allocation(order_id) == [(a, far, 1, "held"), (b, far, 1, "held")]

    # 6 of A: no warehouse has them all (near 5, far 1), so the line is split, near first.
    placed = expect(await api.place_order(shopper, address_id, [(a, 6)]), 201)
    split = await shop.allocation(placed["orders"][0]["id"])
    assert split == [(a, near, 5, "held"), (a, far, 1, "held")]
    assert await shop.stock(a) == {near: (0, 5), far: (0, 2)}
    await check_sums(runtime, shop.store_id)


async def test_cancelled_and_returned_units_go_back_to_their_warehouse(
    api, client, runtime, runner
):
    shop = await warehouse_shop(api)
    (sku,) = shop.sku_ids
    near = await shop.warehouse("杭州仓", "浙江省")
    far = await shop.warehouse("成都仓", "四川省")
    expect(await shop.move(sku, near, 2), 201)
    expect(await shop.move(sku, far, 3), 201)
    shopper, address_id = await shop.buyer("浙江省")

    placed = expect(await api.place_order(shopper, address_id, [(sku, 4)]), 201)
    order_id = placed["orders"][0]["id"]
    assert await shop.stock(sku) == {near: (0, 2), far: (1, 2)}
    expect(await client.post(f"/api/v1/me/orders/{order_id}/cancel", json={}, headers=shopper), 200)
    assert await shop.stock(sku) == {near: (2, 0), far: (3, 0)}
    assert await shop.allocation(order_id) == [
        (sku, near, 2, "released"),
        (sku, far, 2, "released"),
    ]

    # Paid, then cancelled by the store before shipping: the sold units return.
    placed = expect(await api.place_order(shopper, address_id, [(sku, 3)]), 201)
    order_id = placed["orders"][0]["id"]
    await api.confirm_in_cashier(await api.start_payment(shopper, order_id))
    await runner.run()
    assert await shop.stock(sku) == {near: (2, 0), far: (0, 0)}
    expect(
        await client.post(
            shop.url(f"/orders/{order_id}/cancel"), json={"reason": "缺货"}, headers=shop.owner
        ),
        200,
    )
    await runner.run()
    assert await shop.stock(sku) == {near: (2, 0), far: (3, 0)}
    async with runtime.db.session(write=False) as session:
        kinds = [
            (m.kind, m.warehouse_id, m.available_delta)
            for m in await session.scalars(
                select(StockMovement)
                .where(StockMovement.order_id == order_id)
                .order_by(StockMovement.id)
            )
        ]
    assert kinds == [("reserve", far, -3), ("sale", far, 0), ("return", far, 3)]
    await check_sums(runtime, shop.store_id)


async def test_stock_held_before_the_first_warehouse_is_allocated_to_it(api, client, runtime):
    shop = await warehouse_shop(api, stock=5)
    (sku,) = shop.sku_ids
    shopper, address_id = await shop.buyer("浙江省")
    placed = expect(await api.place_order(shopper, address_id, [(sku, 2)]), 201)
    order_id = placed["orders"][0]["id"]
    assert await shop.allocation(order_id) == []
    main = await shop.warehouse("主仓", "浙江省")
    assert await shop.stock(sku) == {main: (3, 2)}
    assert await shop.allocation(order_id) == [(sku, main, 2, "held")]
    expect(await client.post(f"/api/v1/me/orders/{order_id}/cancel", json={}, headers=shopper), 200)
    assert await shop.stock(sku) == {main: (5, 0)}
    await check_sums(runtime, shop.store_id)


async def test_units_refunded_one_by_one_go_back_once_to_their_warehouse(
    api, client, runtime, runner
):
    """An after-sales refund of unshipped units puts them back in the warehouse they were
    allocated from; cancelling the order afterwards gives back only the rest."""
    shop = await warehouse_shop(api)
    (sku,) = shop.sku_ids
    near = await shop.warehouse("杭州仓", "浙江省")
    far = await shop.warehouse("成都仓", "四川省")
    expect(await shop.move(sku, near, 2), 201)
    expect(await shop.move(sku, far, 3), 201)
    shopper, address_id = await shop.buyer("浙江省")
    placed = expect(await api.place_order(shopper, address_id, [(sku, 4)]), 201)
    order = placed["orders"][0]
    await api.confirm_in_cashier(await api.start_payment(shopper, order["id"]))
    await runner.run()
    assert await shop.stock(sku) == {near: (0, 0), far: (1, 0)}

    for key in ("first", "second"):
        asked = await client.post(
            "/api/v1/me/aftersales",
            json={
                "order_id": order["id"],
                "order_line_id": order["lines"][0]["id"],
                "quantity": 1,
                "kind": "refund_only",
                "reason_code": "changed_mind",
            },
            headers={**shopper, "Idempotency-Key": key},
        )
        assert expect(asked, 201)["status"] == "refunding"
        await runner.run()
    back = await shop.stock(sku)
    assert sum(available for available, _ in back.values()) == 3
    await check_sums(runtime, shop.store_id)

    expect(
        await client.post(
            shop.url(f"/orders/{order['id']}/cancel"), json={"reason": "缺货"}, headers=shop.owner
        ),
        200,
    )
    await runner.run()
    assert await shop.stock(sku) == {near: (2, 0), far: (3, 0)}
    await check_sums(runtime, shop.store_id)


async def test_a_pickup_order_takes_its_goods_from_the_warehouse_near_the_point(api, client):
    shop = await warehouse_shop(api)
    (sku,) = shop.sku_ids
    default = await shop.warehouse("杭州仓", "浙江省")
    near_point = await shop.warehouse("成都仓", "四川省")
    for warehouse_id in (default, near_point):
        expect(await shop.move(sku, warehouse_id, 2), 201)
    point = await add_point(api, shop.store_id, shop.owner, province="四川省", city="成都市")
    shopper = await api.sign_in()
    placed = await client.post(
        "/api/v1/me/orders",
        json={
            "items": [{"sku_id": sku, "quantity": 1}],
            "pickup": [{"store_id": shop.store_id, "pickup_point_id": point["id"]}],
            "pickup_contact": {"name": "李小龙", "phone": "13811112222"},
        },
        headers=shopper,
    )
    order_id = expect(placed, 201)["orders"][0]["id"]
    assert await shop.allocation(order_id) == [(sku, near_point, 1, "held")]
