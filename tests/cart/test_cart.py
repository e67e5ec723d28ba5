"""The shopper's cart: merging, limits, problems shown per line, and privacy between shoppers."""

from sqlalchemy import func, select

from tests.support import expect
from weshop.cart import service as cart_service
from weshop.cart.models import CartItem
from weshop.core.money import MAX_LINE_QUANTITY

CART = "/api/v1/me/cart"
ITEMS = f"{CART}/items"


def merchant(store_id: int, path: str) -> str:
    return f"/api/v1/merchant/stores/{store_id}{path}"


async def add(client, shopper, sku_id: int, quantity: int):
    return await client.post(ITEMS, json={"sku_id": sku_id, "quantity": quantity}, headers=shopper)


async def test_adding_twice_merges_into_one_line_and_groups_by_store(api, client):
    store_a, owner_a = await api.new_store("甲店")
    store_b, owner_b = await api.new_store("乙店")
    shirt = await api.create_product(
        store_a,
        owner_a,
        title="衬衫",
        specs=[{"name": "尺码", "values": ["M", "L"]}],
        price_fen=100,
    )
    mug = await api.create_product(store_b, owner_b, title="杯子", price_fen=250)
    shopper = await api.sign_in()
    m_size = shirt["skus"][0]["id"]

    first = expect(await add(client, shopper, m_size, 2), 201)
    merged = expect(await add(client, shopper, m_size, 3), 201)
    assert merged["id"] == first["id"] and merged["quantity"] == 5
    expect(await add(client, shopper, mug["skus"][0]["id"], 1), 201)

    view = expect(await client.get(CART, headers=shopper), 200)
    assert view["count"] == 2 and view["total_fen"] == 5 * 100 + 250
    assert [g["store"] for g in view["groups"]] == [
        {"id": store_b, "name": "乙店"},
        {"id": store_a, "name": "甲店"},
    ]
    line = view["groups"][1]["items"][0]
    assert line == {
        "id": first["id"],
        "sku_id": m_size,
        "product_id": shirt["id"],
        "title": "衬衫",
        "spec_text": "尺码:M",
        "image_url": None,
        "unit_price_fen": 100,
        "quantity": 5,
        "available": 100,
        "line_total_fen": 500,
        "purchasable": True,
        "problem": None,
    }
    assert view["groups"][1]["subtotal_fen"] == 500


async def test_quantity_limits(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, stock=20_000)
    sku_id = product["skus"][0]["id"]
    shopper = await api.sign_in()
    for quantity in (0, -1, MAX_LINE_QUANTITY + 1, 10**19, "two", 1.5, None, [1]):
        response = await add(client, shopper, sku_id, quantity)
        assert response.status_code == 422, quantity
    expect(await add(client, shopper, sku_id, MAX_LINE_QUANTITY - 1), 201)
    merged_too_far = await add(client, shopper, sku_id, 2)
    assert merged_too_far.status_code == 422
    assert merged_too_far.json()["error"]["code"] == "quantity_too_large"
    view = expect(await client.get(CART, headers=shopper), 200)
    item = view["groups"][0]["items"][0]
    assert item["quantity"] == MAX_LINE_QUANTITY - 1
    for quantity in (0, -5, MAX_LINE_QUANTITY + 1):
        response = await client.patch(
            f"{ITEMS}/{item['id']}", json={"quantity": quantity}, headers=shopper
        )
        assert response.status_code == 422
    bad_sku = await add(client, shopper, 10**19, 1)
    assert bad_sku.status_code == 422
    assert (await client.post(ITEMS, json={"sku_id": sku_id}, headers=shopper)).status_code == 422


async def test_only_what_is_on_sale_and_in_stock_goes_in(api, client):
    store_id, owner = await api.new_store()
    draft = await api.create_product(store_id, owner, publish=False)
    product = await api.create_product(
        store_id, owner, specs=[{"name": "颜色", "values": ["红", "蓝"]}], stock=3
    )
    red, blue = product["skus"]
    expect(
        await client.patch(
            merchant(store_id, f"/products/{product['id']}/skus/{blue['id']}"),
            json={"is_active": False},
            headers=owner,
        ),
        200,
    )
    shopper = await api.sign_in()
    assert (await add(client, shopper, draft["skus"][0]["id"], 1)).status_code == 404
    assert (await add(client, shopper, 999_999, 1)).status_code == 404
    inactive = await add(client, shopper, blue["id"], 1)
    assert inactive.status_code == 409 and inactive.json()["error"]["code"] == "sku_inactive"
    too_many = await add(client, shopper, red["id"], 4)
    assert too_many.status_code == 409 and too_many.json()["error"]["code"] == "not_enough_stock"
    assert expect(await client.get(CART, headers=shopper), 200)["count"] == 0


async def test_lines_show_why_they_cannot_be_bought(api, client):
    store_id, owner = await api.new_store()
    shopper = await api.sign_in()
    products = [
        await api.create_product(store_id, owner, title=title, price_fen=100, stock=5)
        for title in ("下架", "售罄", "不够", "正常")
    ]
    stopped = await api.create_product(
        store_id, owner, title="停售", specs=[{"name": "款", "values": ["旧", "新"]}], stock=5
    )
    sku = {p["title"]: p["skus"][0] for p in [*products, stopped]}
    for line in sku.values():
        expect(await add(client, shopper, line["id"], 3), 201)

    unpublish = merchant(store_id, f"/products/{products[0]['id']}/unpublish")
    expect(await client.post(unpublish, headers=owner), 200)
    for title, delta in (("售罄", -5), ("不够", -3)):
        expect(
            await client.post(
                merchant(store_id, f"/skus/{sku[title]['id']}/stock-movements"),
                json={"kind": "adjust", "quantity": delta, "reason": "盘点"},
                headers=owner,
            ),
            201,
        )
    expect(
        await client.patch(
            merchant(store_id, f"/products/{stopped['id']}/skus/{sku['停售']['id']}"),
            json={"is_active": False},
            headers=owner,
        ),
        200,
    )

    view = expect(await client.get(CART, headers=shopper), 200)
    lines = {item["title"]: item for item in view["groups"][0]["items"]}
    assert {title: line["problem"] for title, line in lines.items()} == {
        "下架": "unpublished",
        "售罄": "out_of_stock",
        "不够": "not_enough_stock",
        "停售": "sku_inactive",
        "正常": None,
    }
    assert [t for t, line in lines.items() if line["purchasable"]] == ["正常"]
    assert lines["不够"]["available"] == 2
    assert view["total_fen"] == view["groups"][0]["subtotal_fen"] == 300


async def test_change_and_remove_lines(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, stock=5)
    shopper = await api.sign_in()
    item = expect(await add(client, shopper, product["skus"][0]["id"], 2), 201)
    changed = expect(
        await client.patch(f"{ITEMS}/{item['id']}", json={"quantity": 4}, headers=shopper), 200
    )
    assert changed["quantity"] == 4 and changed["line_total_fen"] == 4 * 9900
    over = await client.patch(f"{ITEMS}/{item['id']}", json={"quantity": 6}, headers=shopper)
    assert over.status_code == 409
    expect(await client.delete(f"{ITEMS}/{item['id']}", headers=shopper), 204)
    assert expect(await client.get(CART, headers=shopper), 200)["count"] == 0
    gone = await client.delete(f"{ITEMS}/{item['id']}", headers=shopper)
    assert gone.status_code == 404


async def test_another_shoppers_item_is_404(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner)
    alice, bob = await api.sign_in(), await api.sign_in()
    item = expect(await add(client, alice, product["skus"][0]["id"], 1), 201)
    assert (
        await client.patch(f"{ITEMS}/{item['id']}", json={"quantity": 2}, headers=bob)
    ).status_code == 404
    assert (await client.delete(f"{ITEMS}/{item['id']}", headers=bob)).status_code == 404
    assert expect(await client.get(CART, headers=bob), 200) == {
        "groups": [],
        "total_fen": 0,
        "count": 0,
    }
    assert (
        expect(await client.get(CART, headers=alice), 200)["groups"][0]["items"][0]["quantity"] == 1
    )
    assert (await client.get(CART)).status_code == 401


async def test_at_most_100_lines(api, client, runtime):
    store_id, owner = await api.new_store()
    product = await api.create_product(
        store_id,
        owner,
        specs=[
            {"name": "A", "values": [str(i) for i in range(10)]},
            {"name": "B", "values": [str(i) for i in range(11)]},
        ],
        stock=5,
    )
    shopper = await api.sign_in()
    for sku in product["skus"][:100]:
        expect(await add(client, shopper, sku["id"], 1), 201)
    full = await add(client, shopper, product["skus"][100]["id"], 1)
    assert full.status_code == 409 and full.json()["error"]["code"] == "cart_full"
    # Adding to an existing line still works.
    expect(await add(client, shopper, product["skus"][0]["id"], 1), 201)
    async with runtime.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(CartItem)) == 100


async def test_remove_skus_after_checkout(api, client, runtime):
    store_id, owner = await api.new_store()
    product = await api.create_product(
        store_id, owner, specs=[{"name": "颜色", "values": ["红", "蓝", "白"]}]
    )
    alice, bob = await api.sign_in(), await api.sign_in()
    red, blue, white = (s["id"] for s in product["skus"])
    for shopper in (alice, bob):
        for sku_id in (red, blue, white):
            expect(await add(client, shopper, sku_id, 1), 201)
    alice_id = expect(await client.get("/api/v1/me", headers=alice), 200)["id"]
    async with runtime.db.transaction() as session:
        removed = await cart_service.remove_skus(session, alice_id, [red, white, 999])
    assert removed == 2
    alice_cart = expect(await client.get(CART, headers=alice), 200)
    assert [i["sku_id"] for i in alice_cart["groups"][0]["items"]] == [blue]
    assert expect(await client.get(CART, headers=bob), 200)["count"] == 3
