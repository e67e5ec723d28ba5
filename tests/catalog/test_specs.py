"""Specs editable after creation: add, rename and retire a value, add a dimension. SKUs an
order names are retired (kept for the order), the others deleted; prices and stock follow."""

from tests.support import expect

COLOURS = [{"name": "颜色", "values": ["红", "蓝"]}, {"name": "尺码", "values": ["S", "M"]}]


def base(store_id: int, product_id: int) -> str:
    return f"/api/v1/merchant/stores/{store_id}/products/{product_id}"


async def spec_call(client, owner, store_id, product_id, action, body, status=200):
    path = {
        "add": "/specs/values",
        "rename": "/specs/values/rename",
        "retire": "/specs/values/retire",
        "dimension": "/specs",
    }[action]
    return expect(
        await client.post(base(store_id, product_id) + path, json=body, headers=owner), status
    )


def by_key(product: dict) -> dict[str, dict]:
    return {sku["spec_text"]: sku for sku in product["skus"]}


async def test_adding_a_value_makes_a_sku_for_each_new_combination(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, specs=COLOURS, price_fen=5000)
    body = {"name": "颜色", "value": "绿", "price_fen": 3990, "stock": 7}
    after = await spec_call(client, owner, store_id, product["id"], "add", body)
    assert after["specs"][0] == {"name": "颜色", "values": ["红", "蓝", "绿"]}
    skus = by_key(after)
    assert len(skus) == 6
    for size in ("S", "M"):
        new = skus[f"颜色:绿 / 尺码:{size}"]
        assert (new["price_fen"], new["available"], new["is_active"]) == (3990, 7, True)
        assert new["spec_values"] == {"颜色": "绿", "尺码": size}
    assert after["price_from_fen"] == 3990
    assert len({sku["sku_code"] for sku in after["skus"]}) == 6

    # The shop offers the new combinations at once.
    shop = expect(await client.get(f"/api/v1/shop/products/{product['id']}"), 200)
    assert {sku["spec_text"] for sku in shop["skus"]} >= {"颜色:绿 / 尺码:S"}

    again = await spec_call(client, owner, store_id, product["id"], "add", body, 409)
    assert again["error"]["code"] == "spec_value_exists"
    unknown = {**body, "name": "材质"}
    missing = await spec_call(client, owner, store_id, product["id"], "add", unknown, 404)
    assert missing["error"]["code"] == "unknown_spec"


async def test_retiring_a_value_deletes_unordered_skus_and_retires_ordered_ones(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, specs=COLOURS, price_fen=5000)
    skus = by_key(product)
    ordered = skus["颜色:红 / 尺码:S"]
    shopper, address_id = await api.buyer()
    [order] = expect(await api.place_order(shopper, address_id, [(ordered["id"], 2)]), 201)[
        "orders"
    ]

    # Another shopper keeps a never-ordered red SKU in the cart: it is retired too.
    carted = skus["颜色:红 / 尺码:M"]
    other = await api.sign_in()
    expect(
        await client.post(
            "/api/v1/me/cart/items", json={"sku_id": carted["id"], "quantity": 1}, headers=other
        ),
        201,
    )
    after = await spec_call(
        client, owner, store_id, product["id"], "retire", {"name": "颜色", "value": "红"}
    )
    assert after["specs"][0] == {"name": "颜色", "values": ["蓝"]}
    left = {sku["id"]: sku for sku in after["skus"]}
    assert left[ordered["id"]]["is_active"] is False
    assert left[carted["id"]]["is_active"] is False
    assert {sku["spec_text"] for sku in after["skus"] if sku["is_active"]} == {
        "颜色:蓝 / 尺码:S",
        "颜色:蓝 / 尺码:M",
    }
    assert len(after["skus"]) == 4  # nothing deleted: both red SKUs are named somewhere

    # The order keeps its line; the cart shows the SKU unavailable.
    placed = await api.order(shopper, order["id"])
    assert placed["lines"][0]["spec_text"] == "颜色:红 / 尺码:S"
    cart = expect(await client.get("/api/v1/me/cart", headers=other), 200)
    line = cart["groups"][0]["items"][0]
    assert line["purchasable"] is False and line["problem"] == "sku_inactive"

    # A retired SKU cannot be put back on sale by hand; adding the value again brings it back.
    refused = await client.patch(
        f"{base(store_id, product['id'])}/skus/{ordered['id']}",
        json={"is_active": True},
        headers=owner,
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "sku_retired"
    back = await spec_call(
        client,
        owner,
        store_id,
        product["id"],
        "add",
        {"name": "颜色", "value": "红", "price_fen": 4500, "stock": 3},
    )
    revived = {sku["id"]: sku for sku in back["skus"]}[ordered["id"]]
    assert revived["is_active"] is True and revived["price_fen"] == 4500
    assert len(back["skus"]) == 4


async def test_retiring_a_value_nobody_ordered_deletes_its_skus(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, specs=COLOURS, price_fen=5000)
    after = await spec_call(
        client, owner, store_id, product["id"], "retire", {"name": "尺码", "value": "M"}
    )
    assert sorted(sku["spec_text"] for sku in after["skus"]) == [
        "颜色:红 / 尺码:S",
        "颜色:蓝 / 尺码:S",
    ]
    gone = {sku["id"] for sku in product["skus"]} - {sku["id"] for sku in after["skus"]}
    for sku_id in gone:
        stock = await client.get(
            f"/api/v1/merchant/stores/{store_id}/skus/{sku_id}/stock", headers=owner
        )
        assert stock.status_code == 404

    last = await spec_call(
        client, owner, store_id, product["id"], "retire", {"name": "尺码", "value": "S"}, 409
    )
    assert last["error"]["code"] == "last_spec_value"


async def test_the_cheapest_value_retired_moves_price_from(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(
        store_id,
        owner,
        specs=[{"name": "规格", "values": ["小", "大"]}],
        skus=[
            {"spec_values": {"规格": "小"}, "price_fen": 1000},
            {"spec_values": {"规格": "大"}, "price_fen": 2500},
        ],
    )
    assert product["price_from_fen"] == 1000
    after = await spec_call(
        client, owner, store_id, product["id"], "retire", {"name": "规格", "value": "小"}
    )
    assert after["price_from_fen"] == 2500


async def test_renaming_a_value_moves_its_skus_and_keeps_order_snapshots(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, specs=COLOURS)
    red_s = by_key(product)["颜色:红 / 尺码:S"]
    shopper, address_id = await api.buyer()
    [order] = expect(await api.place_order(shopper, address_id, [(red_s["id"], 1)]), 201)["orders"]
    body = {"name": "颜色", "value": "红", "new_value": "酒红"}
    after = await spec_call(client, owner, store_id, product["id"], "rename", body)
    assert after["specs"][0]["values"] == ["酒红", "蓝"]
    renamed = {sku["id"]: sku for sku in after["skus"]}[red_s["id"]]
    assert renamed["spec_values"] == {"颜色": "酒红", "尺码": "S"}
    assert renamed["spec_text"] == "颜色:酒红 / 尺码:S"
    assert (await api.order(shopper, order["id"]))["lines"][0]["spec_text"] == "颜色:红 / 尺码:S"

    clash = {"name": "颜色", "value": "酒红", "new_value": "蓝"}
    refused = await spec_call(client, owner, store_id, product["id"], "rename", clash, 409)
    assert refused["error"]["code"] == "spec_value_exists"


async def test_adding_a_dimension_gives_every_sku_its_first_value(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, price_fen=2000)
    single = product["skus"][0]
    shopper, address_id = await api.buyer()
    expect(await api.place_order(shopper, address_id, [(single["id"], 1)]), 201)
    body = {"name": "容量", "values": ["500ml", "1L"], "price_fen": 3500, "stock": 4}
    after = await spec_call(client, owner, store_id, product["id"], "dimension", body)
    assert after["specs"] == [{"name": "容量", "values": ["500ml", "1L"]}]
    skus = by_key(after)
    assert skus["容量:500ml"]["id"] == single["id"]
    assert skus["容量:1L"]["price_fen"] == 3500 and skus["容量:1L"]["available"] == 4
    assert after["price_from_fen"] == 2000

    twice = await spec_call(client, owner, store_id, product["id"], "dimension", body, 409)
    assert twice["error"]["code"] == "spec_exists"


async def test_a_fourth_dimension_and_archived_products_are_refused(api, client):
    store_id, owner = await api.new_store()
    specs = [{"name": n, "values": ["一"]} for n in ("甲", "乙", "丙")]
    product = await api.create_product(store_id, owner, specs=specs, publish=False)
    body = {"name": "丁", "values": ["一"], "price_fen": 100, "stock": 1}
    refused = await spec_call(client, owner, store_id, product["id"], "dimension", body, 409)
    assert refused["error"]["code"] == "too_many_specs"

    expect(await client.post(base(store_id, product["id"]) + "/archive", headers=owner), 200)
    add = {"name": "甲", "value": "二", "price_fen": 100, "stock": 1}
    archived = await spec_call(client, owner, store_id, product["id"], "add", add, 409)
    assert archived["error"]["code"] == "product_archived"


async def test_staff_without_catalogue_writing_cannot_change_specs(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, specs=COLOURS)
    service_staff = await api.add_staff(store_id, owner, "customer_service")
    body = {"name": "颜色", "value": "绿", "price_fen": 100, "stock": 1}
    response = await client.post(
        base(store_id, product["id"]) + "/specs/values", json=body, headers=service_staff
    )
    assert response.status_code == 403
    after = expect(await client.get(base(store_id, product["id"]), headers=owner), 200)
    assert len(after["skus"]) == 4
