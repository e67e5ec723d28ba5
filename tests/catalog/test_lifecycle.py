"""The product state machine: draft -> published <-> unpublished; draft|unpublished -> archived
-> (restore) unpublished."""

import pytest

from tests.support import expect


def url(store_id: int, product_id: int, action: str = "") -> str:
    suffix = f"/{action}" if action else ""
    return f"/api/v1/merchant/stores/{store_id}/products/{product_id}{suffix}"


async def act(client, owner, store_id, product_id, action):
    return await client.post(url(store_id, product_id, action), headers=owner)


async def test_the_happy_path_through_every_state(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, publish=False)
    pid = product["id"]
    assert expect(await act(client, owner, store_id, pid, "publish"), 200)["status"] == "published"
    assert (
        expect(await act(client, owner, store_id, pid, "unpublish"), 200)["status"] == "unpublished"
    )
    assert expect(await act(client, owner, store_id, pid, "publish"), 200)["status"] == "published"
    expect(await act(client, owner, store_id, pid, "unpublish"), 200)
    assert expect(await act(client, owner, store_id, pid, "archive"), 200)["status"] == "archived"

    # Archived: no action but restore, no edit.
    for action in ("publish", "unpublish", "archive"):
        response = await act(client, owner, store_id, pid, action)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "illegal_transition"
    edit = await client.patch(url(store_id, pid), json={"title": "复活"}, headers=owner)
    assert edit.status_code == 409 and edit.json()["error"]["code"] == "product_archived"


@pytest.mark.parametrize(
    ("start", "action"),
    [
        ("draft", "unpublish"),
        ("published", "publish"),
        ("published", "archive"),
        ("unpublished", "unpublish"),
    ],
)
async def test_illegal_transitions_are_409_and_change_nothing(api, client, start, action):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, publish=start != "draft")
    if start == "unpublished":
        expect(await act(client, owner, store_id, product["id"], "unpublish"), 200)
    response = await act(client, owner, store_id, product["id"], action)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "illegal_transition"
    assert error["details"] == {"state": start, "action": action}
    after = expect(await client.get(url(store_id, product["id"]), headers=owner), 200)
    assert after["status"] == start


async def test_a_draft_can_be_archived(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, publish=False)
    archived = expect(await act(client, owner, store_id, product["id"], "archive"), 200)
    assert archived["status"] == "archived"


async def test_publishing_needs_an_active_priced_sku(api, client, runtime):
    store_id, owner = await api.new_store()
    free = await api.create_product(store_id, owner, price_fen=0, publish=False)
    response = await act(client, owner, store_id, free["id"], "publish")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_publishable"

    # Publishing at creation is the same rule, and a refused create writes nothing.
    refused = await client.post(
        f"/api/v1/merchant/stores/{store_id}/products",
        json={
            "title": "免费",
            "specs": [],
            "default_price_fen": 0,
            "default_stock": 1,
            "publish": True,
        },
        headers=owner,
    )
    assert refused.status_code == 409
    listed = expect(
        await client.get(f"/api/v1/merchant/stores/{store_id}/products", headers=owner), 200
    )
    assert [p["id"] for p in listed["items"]] == [free["id"]]

    sku_id = free["skus"][0]["id"]
    expect(
        await client.patch(
            f"{url(store_id, free['id'])}/skus/{sku_id}", json={"price_fen": 990}, headers=owner
        ),
        200,
    )
    published = expect(await act(client, owner, store_id, free["id"], "publish"), 200)
    assert published["status"] == "published" and published["price_from_fen"] == 990
