"""Products: the generated SKU matrix, overrides, edits, and bad input that changes nothing."""

from sqlalchemy import func, select

from tests.support import expect
from weshop.catalog.models import Product, Sku
from weshop.inventory.models import MovementKind, StockMovement

COLOURS = {"name": "颜色", "values": ["红", "蓝", "黑"]}
SIZES = {"name": "尺码", "values": ["S", "M", "L", "XL"]}


def products_url(store_id: int) -> str:
    return f"/api/v1/merchant/stores/{store_id}/products"


async def count(runtime, model) -> int:
    async with runtime.db.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_specs_generate_the_full_sku_matrix(api, runtime):
    store_id, owner = await api.new_store()
    product = await api.create_product(
        store_id, owner, specs=[COLOURS, SIZES], price_fen=5900, stock=7, publish=False
    )
    assert product["status"] == "draft"
    assert product["specs"] == [COLOURS, SIZES]
    skus = product["skus"]
    assert len(skus) == 12
    combos = {(s["spec_values"]["颜色"], s["spec_values"]["尺码"]) for s in skus}
    assert combos == {(c, z) for c in COLOURS["values"] for z in SIZES["values"]}
    assert all(s["price_fen"] == 5900 and s["available"] == 7 for s in skus)
    assert all(s["reserved"] == 0 and s["is_active"] for s in skus)
    assert len({s["sku_code"] for s in skus}) == 12
    first = skus[0]
    assert list(first["spec_values"]) == ["颜色", "尺码"]
    assert (
        first["spec_text"]
        == f"颜色:{first['spec_values']['颜色']} / 尺码:{first['spec_values']['尺码']}"
    )
    assert product["price_from_fen"] == 5900

    # Every SKU's initial stock is a recorded receipt by the person who created it.
    async with runtime.db.session() as session:
        movements = list(await session.scalars(select(StockMovement)))
    assert len(movements) == 12
    assert {m.kind for m in movements} == {MovementKind.RECEIVE}
    assert {m.available_delta for m in movements} == {7}
    assert len({m.actor_id for m in movements}) == 1 and movements[0].actor_id is not None


async def test_a_product_without_specs_has_one_sku(api):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, specs=[], price_fen=1200, stock=3)
    assert len(product["skus"]) == 1
    sku = product["skus"][0]
    assert sku["spec_values"] == {} and sku["spec_text"] == ""
    assert sku["price_fen"] == 1200 and sku["available"] == 3
    assert product["status"] == "published"


async def test_overrides_set_price_stock_and_code_of_named_combinations(api):
    store_id, owner = await api.new_store()
    product = await api.create_product(
        store_id,
        owner,
        specs=[COLOURS, SIZES],
        price_fen=5900,
        stock=10,
        skus=[
            {"spec_values": {"颜色": "红", "尺码": "XL"}, "price_fen": 6900, "sku_code": "RED-XL"},
            {"spec_values": {"尺码": "S", "颜色": "黑"}, "stock": 0, "price_fen": 4900},
        ],
    )
    by_combo = {(s["spec_values"]["颜色"], s["spec_values"]["尺码"]): s for s in product["skus"]}
    assert by_combo[("红", "XL")]["price_fen"] == 6900
    assert by_combo[("红", "XL")]["sku_code"] == "RED-XL"
    assert by_combo[("黑", "S")]["available"] == 0
    assert by_combo[("蓝", "M")]["price_fen"] == 5900
    assert product["price_from_fen"] == 4900


async def test_overrides_of_unknown_combinations_are_refused_and_nothing_is_written(
    api, client, runtime
):
    store_id, owner = await api.new_store()
    base = {
        "title": "卫衣",
        "specs": [COLOURS, SIZES],
        "default_price_fen": 100,
        "default_stock": 1,
    }
    cases = [
        ({"颜色": "绿", "尺码": "M"}, "unknown_combination"),
        ({"颜色": "红"}, "unknown_combination"),
        ({"颜色": "红", "尺码": "M", "材质": "棉"}, "unknown_combination"),
        ({}, "unknown_combination"),
    ]
    for spec_values, code in cases:
        body = {**base, "skus": [{"spec_values": spec_values, "price_fen": 1}]}
        response = await client.post(products_url(store_id), json=body, headers=owner)
        assert response.status_code == 422, spec_values
        assert response.json()["error"]["code"] == code
    twice = {"spec_values": {"颜色": "红", "尺码": "M"}, "price_fen": 1}
    response = await client.post(
        products_url(store_id), json={**base, "skus": [twice, twice]}, headers=owner
    )
    assert response.json()["error"]["code"] == "duplicate_override"
    assert await count(runtime, Product) == 0
    assert await count(runtime, Sku) == 0


async def test_sku_codes_are_unique_in_the_store(api, client):
    store_id, owner = await api.new_store()
    await api.create_product(
        store_id, owner, skus=[{"spec_values": {}, "sku_code": "TEE-1"}], publish=False
    )
    body = {
        "title": "另一件",
        "specs": [],
        "default_price_fen": 100,
        "default_stock": 1,
        "skus": [{"spec_values": {}, "sku_code": "TEE-1"}],
    }
    taken = await client.post(products_url(store_id), json=body, headers=owner)
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "sku_code_taken"

    # Another store may use the same code.
    other_id, other_owner = await api.new_store("别家")
    expect(await client.post(products_url(other_id), json=body, headers=other_owner), 201)


async def test_bad_product_input_is_a_4xx_with_a_code(api, client, runtime):
    store_id, owner = await api.new_store()
    good = {"title": "T恤", "specs": [], "default_price_fen": 100, "default_stock": 1}
    bad_bodies = [
        {**good, "title": "长" * 61},
        {**good, "title": "   "},
        {**good, "default_price_fen": 10**19},
        {**good, "default_price_fen": 10_000_000_001},
        {**good, "default_price_fen": -1},
        {**good, "default_price_fen": "9.9"},
        {**good, "default_price_fen": 9.5},
        {**good, "default_stock": -1},
        {**good, "default_stock": 10**12},
        {**good, "category_id": 10**19},
        {**good, "image_ids": [10**19]},
        {**good, "unexpected": True},
        {**good, "specs": [{"name": "颜色", "values": []}]},
        {**good, "specs": [{"name": "颜色", "values": ["红", "红"]}]},
        {**good, "specs": [{"name": "颜色", "values": ["红"]}, {"name": "颜色", "values": ["蓝"]}]},
        {**good, "specs": [{"name": f"维度{i}", "values": ["a"]} for i in range(4)]},
        {**good, "specs": [{"name": "颜色", "values": [str(i) for i in range(21)]}]},
        {**good, "specs": [{"name": "颜:色", "values": ["红"]}]},
        {**good, "specs": [{"name": "颜色", "values": ["红|蓝"]}]},
        {**good, "specs": [{"name": "颜色", "values": [""]}]},
        {**good, "skus": [{"spec_values": {}, "price_fen": 10**19}]},
        {**good, "skus": [{"spec_values": {}, "sku_code": "带空格 的"}]},
        {**good, "category_id": 12345},
        {**good, "image_ids": [12345]},
        [good],
        "not an object",
    ]
    for body in bad_bodies:
        response = await client.post(products_url(store_id), json=body, headers=owner)
        assert 400 <= response.status_code < 500, (body, response.text)
        assert response.json()["error"]["code"], body
    malformed = await client.post(
        products_url(store_id),
        content=b"{not json",
        headers={**owner, "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400
    assert await count(runtime, Product) == 0


async def test_an_over_long_matrix_is_refused(api, client):
    store_id, owner = await api.new_store()
    body = {
        "title": "大矩阵",
        "specs": [{"name": n, "values": [str(i) for i in range(20)]} for n in ("a", "b", "c")],
        "default_price_fen": 100,
        "default_stock": 1,
    }
    response = await client.post(products_url(store_id), json=body, headers=owner)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "too_many_skus"


async def test_edit_product_and_sku(api, client):
    store_id, owner = await api.new_store()
    url = products_url(store_id)
    category = expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/categories", json={"name": "上衣"}, headers=owner
        ),
        201,
    )
    product = await api.create_product(store_id, owner, specs=[COLOURS], price_fen=3000)
    changed = expect(
        await client.patch(
            f"{url}/{product['id']}",
            json={"title": "新标题", "subtitle": "副标题", "category_id": category["id"]},
            headers=owner,
        ),
        200,
    )
    assert changed["title"] == "新标题" and changed["category_id"] == category["id"]
    cleared = expect(
        await client.patch(f"{url}/{product['id']}", json={"category_id": None}, headers=owner),
        200,
    )
    assert cleared["category_id"] is None and cleared["title"] == "新标题"

    red, blue, _black = product["skus"]
    sku = expect(
        await client.patch(
            f"{url}/{product['id']}/skus/{red['id']}",
            json={"price_fen": 1500, "sku_code": "RED", "weight_grams": 200},
            headers=owner,
        ),
        200,
    )
    assert sku["price_fen"] == 1500 and sku["sku_code"] == "RED" and sku["weight_grams"] == 200
    expect(
        await client.patch(
            f"{url}/{product['id']}/skus/{red['id']}", json={"is_active": False}, headers=owner
        ),
        200,
    )
    detail = expect(await client.get(f"{url}/{product['id']}", headers=owner), 200)
    assert detail["price_from_fen"] == 3000  # the cheap SKU is inactive, so it does not count

    taken = await client.patch(
        f"{url}/{product['id']}/skus/{blue['id']}", json={"sku_code": "RED"}, headers=owner
    )
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "sku_code_taken"
    too_much = await client.patch(
        f"{url}/{product['id']}/skus/{blue['id']}", json={"price_fen": 10**19}, headers=owner
    )
    assert too_much.status_code == 422
    missing = await client.patch(
        f"{url}/{product['id']}/skus/999999", json={"price_fen": 1}, headers=owner
    )
    assert missing.status_code == 404
    huge_id = await client.get(f"{url}/{10**19}", headers=owner)
    assert huge_id.status_code == 422


async def test_a_published_product_keeps_something_to_sell(api, client):
    store_id, owner = await api.new_store()
    url = products_url(store_id)
    product = await api.create_product(store_id, owner, price_fen=1000)
    sku_id = product["skus"][0]["id"]
    for change in ({"is_active": False}, {"price_fen": 0}):
        response = await client.patch(
            f"{url}/{product['id']}/skus/{sku_id}", json=change, headers=owner
        )
        assert response.status_code == 409, change
        assert response.json()["error"]["code"] == "not_publishable"
    detail = expect(await client.get(f"{url}/{product['id']}", headers=owner), 200)
    assert detail["skus"][0]["is_active"] and detail["skus"][0]["price_fen"] == 1000


async def test_merchant_list_filters_and_pages(api, client):
    store_id, owner = await api.new_store()
    url = products_url(store_id)
    for index in range(5):
        await api.create_product(store_id, owner, title=f"商品{index}", publish=index % 2 == 0)
    first = expect(await client.get(url, params={"limit": 2}, headers=owner), 200)
    assert [p["title"] for p in first["items"]] == ["商品4", "商品3"]
    second = expect(
        await client.get(url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=owner),
        200,
    )
    third = expect(
        await client.get(url, params={"limit": 2, "cursor": second["next_cursor"]}, headers=owner),
        200,
    )
    assert [p["title"] for p in second["items"] + third["items"]] == ["商品2", "商品1", "商品0"]
    assert third["next_cursor"] is None
    drafts = expect(await client.get(url, params={"status": "draft"}, headers=owner), 200)
    assert {p["title"] for p in drafts["items"]} == {"商品1", "商品3"}
    found = expect(await client.get(url, params={"q": "品3"}, headers=owner), 200)
    assert [p["title"] for p in found["items"]] == ["商品3"]
    bad = await client.get(url, params={"cursor": "!!!"}, headers=owner)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_cursor"
