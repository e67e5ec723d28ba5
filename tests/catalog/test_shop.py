"""The public catalogue: only published products of active stores, search, sort and pages."""

from sqlalchemy import update

from tests.support import expect
from weshop.catalog.models import Product

SHOP = "/api/v1/shop/products"


def merchant(store_id: int, path: str) -> str:
    return f"/api/v1/merchant/stores/{store_id}{path}"


async def shop_ids(client, **params) -> list[int]:
    page = expect(await client.get(SHOP, params=params), 200)
    return [item["id"] for item in page["items"]]


async def test_only_published_products_of_active_stores_are_visible(api, client):
    operator = await api.operator()
    store, owner = await api.create_store(operator, "公开小店")
    store_id = store["id"]
    published = await api.create_product(store_id, owner, title="在售")
    draft = await api.create_product(store_id, owner, title="草稿", publish=False)
    unpublished = await api.create_product(store_id, owner, title="下架")
    expect(
        await client.post(
            merchant(store_id, f"/products/{unpublished['id']}/unpublish"), headers=owner
        ),
        200,
    )
    archived = await api.create_product(store_id, owner, title="归档", publish=False)
    expect(
        await client.post(merchant(store_id, f"/products/{archived['id']}/archive"), headers=owner),
        200,
    )

    assert await shop_ids(client) == [published["id"]]
    for hidden in (draft, unpublished, archived):
        response = await client.get(f"{SHOP}/{hidden['id']}")
        assert response.status_code == 404, hidden["title"]
    detail = expect(await client.get(f"{SHOP}/{published['id']}"), 200)
    assert detail["store"] == {"id": store_id, "name": "公开小店"}
    assert detail["skus"][0]["available"] == 100
    assert "sku_code" not in detail["skus"][0]

    # A suspended store disappears from the shop with everything in it.
    expect(await client.post(f"/api/v1/platform/stores/{store_id}/suspend", headers=operator), 200)
    assert await shop_ids(client) == []
    assert (await client.get(f"{SHOP}/{published['id']}")).status_code == 404
    assert (await client.get(f"/api/v1/shop/stores/{store_id}/categories")).status_code == 404
    expect(await client.post(f"/api/v1/platform/stores/{store_id}/resume", headers=operator), 200)
    assert await shop_ids(client) == [published["id"]]


async def test_detail_offers_only_active_skus_with_their_stock(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(
        store_id,
        owner,
        specs=[{"name": "颜色", "values": ["红", "蓝", "白"]}],
        skus=[{"spec_values": {"颜色": "蓝"}, "stock": 0}],
    )
    white = next(s for s in product["skus"] if s["spec_values"] == {"颜色": "白"})
    expect(
        await client.patch(
            merchant(store_id, f"/products/{product['id']}/skus/{white['id']}"),
            json={"is_active": False},
            headers=owner,
        ),
        200,
    )
    detail = expect(await client.get(f"{SHOP}/{product['id']}"), 200)
    offered = {s["spec_text"]: s["available"] for s in detail["skus"]}
    assert offered == {"颜色:红": 100, "颜色:蓝": 0}


async def test_chinese_keyword_search(api, client):
    store_id, owner = await api.new_store()
    tee = await api.create_product(store_id, owner, title="纯棉短袖T恤 男款")
    dress = await api.create_product(store_id, owner, title="真丝连衣裙")
    expect(
        await client.patch(
            merchant(store_id, f"/products/{dress['id']}"),
            json={"subtitle": "夏季新款 纯色"},
            headers=owner,
        ),
        200,
    )
    percent = await api.create_product(store_id, owner, title="满100%纯棉")
    underscore = await api.create_product(store_id, owner, title="型号_A1")

    assert await shop_ids(client, q="纯棉") == [percent["id"], tee["id"]]
    assert await shop_ids(client, q="短袖 男款") == [tee["id"]]
    assert await shop_ids(client, q="男款 真丝") == []
    assert await shop_ids(client, q="夏季") == [dress["id"]]
    assert await shop_ids(client, q="t恤") == [tee["id"]]
    # LIKE wildcards are searched for literally.
    assert await shop_ids(client, q="%") == [percent["id"]]
    assert await shop_ids(client, q="_") == [underscore["id"]]
    assert await shop_ids(client, q="   ") == await shop_ids(client)
    too_long = await client.get(SHOP, params={"q": "长" * 61})
    assert too_long.status_code == 422


async def test_sorting_and_cursor_pages_in_every_order(api, client, runtime):
    store_id, owner = await api.new_store()
    prices = [500, 300, 900, 300, 700]
    ids = [
        (await api.create_product(store_id, owner, title=f"商品{i}", price_fen=p))["id"]
        for i, p in enumerate(prices)
    ]
    async with runtime.db.transaction() as session:
        for product_id, sales in ((ids[0], 7), (ids[2], 7), (ids[3], 50)):
            await session.execute(
                update(Product).where(Product.id == product_id).values(sales_count=sales)
            )
    expected = {
        "newest": list(reversed(ids)),
        "price_asc": [ids[1], ids[3], ids[0], ids[4], ids[2]],
        "price_desc": [ids[2], ids[4], ids[0], ids[3], ids[1]],
        "sales": [ids[3], ids[2], ids[0], ids[4], ids[1]],  # ties: higher id first
    }
    for sort, order in expected.items():
        seen, cursor = [], None
        while True:
            params = {"sort": sort, "limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = expect(await client.get(SHOP, params=params), 200)
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == order, sort

    first = expect(await client.get(SHOP, params={"sort": "price_asc", "limit": 2}), 200)
    wrong = await client.get(SHOP, params={"sort": "sales", "cursor": first["next_cursor"]})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid_cursor"
    assert (await client.get(SHOP, params={"sort": "random"})).status_code == 422
    assert (await client.get(SHOP, params={"limit": 1000})).status_code == 422
    assert (await client.get(SHOP, params={"store_id": 10**19})).status_code == 422


async def test_filters_by_store_and_category_tree(api, client):
    store_id, owner = await api.new_store("甲")
    other_id, other_owner = await api.new_store("乙")
    clothes = expect(
        await client.post(merchant(store_id, "/categories"), json={"name": "服装"}, headers=owner),
        201,
    )
    tops = expect(
        await client.post(
            merchant(store_id, "/categories"),
            json={"name": "上衣", "parent_id": clothes["id"]},
            headers=owner,
        ),
        201,
    )
    shirt = await api.create_product(store_id, owner, title="衬衫", category_id=tops["id"])
    coat = await api.create_product(store_id, owner, title="外套", category_id=clothes["id"])
    await api.create_product(store_id, owner, title="杯子")
    elsewhere = await api.create_product(other_id, other_owner, title="别家")

    assert await shop_ids(client, category_id=clothes["id"]) == [coat["id"], shirt["id"]]
    assert await shop_ids(client, category_id=tops["id"]) == [shirt["id"]]
    assert await shop_ids(client, store_id=other_id) == [elsewhere["id"]]
    tree = expect(await client.get(f"/api/v1/shop/stores/{store_id}/categories"), 200)
    assert tree == [
        {
            "id": clothes["id"],
            "name": "服装",
            "children": [{"id": tops["id"], "name": "上衣", "children": []}],
        }
    ]
    summary = expect(await client.get(SHOP, params={"store_id": store_id, "q": "衬衫"}), 200)
    assert summary["items"][0] == {
        "id": shirt["id"],
        "store_id": store_id,
        "title": "衬衫",
        "subtitle": "",
        "price_from_fen": 9900,
        "image_url": None,
        "sales_count": 0,
    }
