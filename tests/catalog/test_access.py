"""Who may see and change a store's catalogue; another store's objects answer 404."""

from tests.support import expect


def url(store_id: int, path: str) -> str:
    return f"/api/v1/merchant/stores/{store_id}{path}"


async def test_roles_decide_who_reads_and_who_writes(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner)
    operator = await api.add_staff(store_id, owner, "operator")
    finance = await api.add_staff(store_id, owner, "finance")
    service = await api.add_staff(store_id, owner, "customer_service")
    body = {"title": "新品", "specs": [], "default_price_fen": 100, "default_stock": 1}

    expect(await client.post(url(store_id, "/products"), json=body, headers=operator), 201)
    for reader in (finance, service):
        expect(await client.get(url(store_id, "/products"), headers=reader), 200)
        expect(await client.get(url(store_id, f"/products/{product['id']}"), headers=reader), 200)
        expect(await client.get(url(store_id, "/categories"), headers=reader), 200)
        refused = [
            await client.post(url(store_id, "/products"), json=body, headers=reader),
            await client.patch(
                url(store_id, f"/products/{product['id']}"), json={"title": "x"}, headers=reader
            ),
            await client.post(
                url(store_id, f"/products/{product['id']}/unpublish"), headers=reader
            ),
            await client.post(url(store_id, "/categories"), json={"name": "x"}, headers=reader),
            await client.post(
                url(store_id, f"/skus/{product['skus'][0]['id']}/stock-movements"),
                json={"kind": "receive", "quantity": 1, "reason": "到货"},
                headers=reader,
            ),
        ]
        for response in refused:
            assert response.status_code == 403, response.text
            assert response.json()["error"]["code"] == "permission_denied"


async def test_people_outside_the_store_get_404(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner)
    stranger = await api.sign_in()
    anonymous = await client.get(url(store_id, "/products"))
    assert anonymous.status_code == 401
    for path in ("/products", f"/products/{product['id']}", "/categories", "/stock/low"):
        response = await client.get(url(store_id, path), headers=stranger)
        assert response.status_code == 404, path
    created = await client.post(
        url(store_id, "/products"),
        json={"title": "x", "specs": [], "default_price_fen": 1, "default_stock": 1},
        headers=stranger,
    )
    assert created.status_code == 404


async def test_another_stores_objects_answer_404(api, client):
    store_a, owner_a = await api.new_store("甲店")
    store_b, owner_b = await api.new_store("乙店")
    product_b = await api.create_product(store_b, owner_b, title="乙的商品")
    sku_b = product_b["skus"][0]["id"]
    category_b = expect(
        await client.post(url(store_b, "/categories"), json={"name": "乙类"}, headers=owner_b),
        201,
    )

    # Owner A asks for B's objects through A's store.
    probes = [
        client.get(url(store_a, f"/products/{product_b['id']}"), headers=owner_a),
        client.patch(
            url(store_a, f"/products/{product_b['id']}"), json={"title": "抢"}, headers=owner_a
        ),
        client.patch(
            url(store_a, f"/products/{product_b['id']}/skus/{sku_b}"),
            json={"price_fen": 1},
            headers=owner_a,
        ),
        client.post(url(store_a, f"/products/{product_b['id']}/unpublish"), headers=owner_a),
        client.patch(
            url(store_a, f"/categories/{category_b['id']}"), json={"name": "抢"}, headers=owner_a
        ),
        client.delete(url(store_a, f"/categories/{category_b['id']}"), headers=owner_a),
        client.get(url(store_a, f"/skus/{sku_b}/stock"), headers=owner_a),
        client.get(url(store_a, f"/skus/{sku_b}/stock-movements"), headers=owner_a),
        client.post(
            url(store_a, f"/skus/{sku_b}/stock-movements"),
            json={"kind": "adjust", "quantity": -1, "reason": "偷"},
            headers=owner_a,
        ),
        client.put(
            url(store_a, f"/skus/{sku_b}/low-stock-threshold"),
            json={"threshold": 1},
            headers=owner_a,
        ),
    ]
    for probe in probes:
        response = await probe
        assert response.status_code == 404, response.text
        assert "乙" not in response.text

    # A's product may not use B's category either.
    bad = await client.post(
        url(store_a, "/products"),
        json={
            "title": "x",
            "specs": [],
            "default_price_fen": 1,
            "default_stock": 1,
            "category_id": category_b["id"],
        },
        headers=owner_a,
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_category"
    unchanged = expect(
        await client.get(url(store_b, f"/products/{product_b['id']}"), headers=owner_b), 200
    )
    assert unchanged["title"] == "乙的商品" and unchanged["skus"][0]["available"] == 100
    assert unchanged["status"] == "published"
