"""Archive and restore: an archived product leaves the shop and the default product list
(a filter shows it), keeps its orders, and comes back unpublished."""

from tests.support import expect


def products(store_id: int) -> str:
    return f"/api/v1/merchant/stores/{store_id}/products"


async def test_archive_hides_and_restore_brings_back_unpublished(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner)
    pid = product["id"]
    shopper, address_id = await api.buyer()
    [order] = expect(
        await api.place_order(shopper, address_id, [(product["skus"][0]["id"], 1)]), 201
    )["orders"]
    expect(await client.post(f"{products(store_id)}/{pid}/unpublish", headers=owner), 200)
    archived = expect(await client.post(f"{products(store_id)}/{pid}/archive", headers=owner), 200)
    assert archived["status"] == "archived"

    listed = expect(await client.get(products(store_id), headers=owner), 200)
    assert pid not in [row["id"] for row in listed["items"]]
    only = expect(
        await client.get(products(store_id), params={"status": "archived"}, headers=owner), 200
    )
    assert [row["id"] for row in only["items"]] == [pid]
    assert (await client.get(f"/api/v1/shop/products/{pid}")).status_code == 404
    assert (await api.order(shopper, order["id"]))["lines"][0]["product_id"] == pid

    restored = expect(await client.post(f"{products(store_id)}/{pid}/restore", headers=owner), 200)
    assert restored["status"] == "unpublished"
    listed = expect(await client.get(products(store_id), headers=owner), 200)
    assert pid in [row["id"] for row in listed["items"]]
    assert (await client.get(f"/api/v1/shop/products/{pid}")).status_code == 404
    expect(await client.post(f"{products(store_id)}/{pid}/publish", headers=owner), 200)
    assert (await client.get(f"/api/v1/shop/products/{pid}")).status_code == 200


async def test_only_an_archived_product_can_be_restored(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner)
    response = await client.post(f"{products(store_id)}/{product['id']}/restore", headers=owner)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "illegal_transition"


async def test_restoring_needs_catalogue_writing(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, publish=False)
    expect(await client.post(f"{products(store_id)}/{product['id']}/archive", headers=owner), 200)
    finance = await api.add_staff(store_id, owner, "finance")
    response = await client.post(f"{products(store_id)}/{product['id']}/restore", headers=finance)
    assert response.status_code == 403
