"""Categories: two levels, unique sibling names, and no deleting what products use."""

from tests.support import expect


def url(store_id: int, path: str = "") -> str:
    return f"/api/v1/merchant/stores/{store_id}/categories{path}"


async def test_two_levels_at_most(api, client):
    store_id, owner = await api.new_store()
    top = expect(await client.post(url(store_id), json={"name": "食品"}, headers=owner), 201)
    child = expect(
        await client.post(
            url(store_id), json={"name": "零食", "parent_id": top["id"]}, headers=owner
        ),
        201,
    )
    assert child["parent_id"] == top["id"]
    too_deep = await client.post(
        url(store_id), json={"name": "薯片", "parent_id": child["id"]}, headers=owner
    )
    assert too_deep.status_code == 422
    assert too_deep.json()["error"]["code"] == "category_too_deep"

    other = expect(await client.post(url(store_id), json={"name": "饮料"}, headers=owner), 201)
    # A parent with children cannot itself move under another category.
    moved = await client.patch(
        url(store_id, f"/{top['id']}"), json={"parent_id": other["id"]}, headers=owner
    )
    assert moved.status_code == 422
    self_parent = await client.patch(
        url(store_id, f"/{other['id']}"), json={"parent_id": other["id"]}, headers=owner
    )
    assert self_parent.status_code == 422
    unknown = await client.post(
        url(store_id), json={"name": "x", "parent_id": 99999}, headers=owner
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_category"

    # A child can become top-level again.
    lifted = expect(
        await client.patch(
            url(store_id, f"/{child['id']}"), json={"parent_id": None}, headers=owner
        ),
        200,
    )
    assert lifted["parent_id"] is None


async def test_rename_reorder_and_list(api, client):
    store_id, owner = await api.new_store()
    a = expect(
        await client.post(url(store_id), json={"name": "甲", "sort_order": 2}, headers=owner), 201
    )
    b = expect(
        await client.post(url(store_id), json={"name": "乙", "sort_order": 1}, headers=owner), 201
    )
    listed = expect(await client.get(url(store_id), headers=owner), 200)
    assert [c["id"] for c in listed] == [b["id"], a["id"]]
    renamed = expect(
        await client.patch(
            url(store_id, f"/{a['id']}"), json={"name": "丙", "sort_order": 0}, headers=owner
        ),
        200,
    )
    assert renamed["name"] == "丙"
    listed = expect(await client.get(url(store_id), headers=owner), 200)
    assert [c["name"] for c in listed] == ["丙", "乙"]
    duplicate = await client.post(url(store_id), json={"name": "乙"}, headers=owner)
    assert (
        duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "duplicate_category"
    )
    for bad in ({"name": ""}, {"name": "长" * 31}, {"name": "x", "sort_order": -1}, {"nam": "x"}):
        response = await client.post(url(store_id), json=bad, headers=owner)
        assert response.status_code == 422, bad


async def test_deleting_a_category_in_use_is_refused(api, client):
    store_id, owner = await api.new_store()
    top = expect(await client.post(url(store_id), json={"name": "服装"}, headers=owner), 201)
    child = expect(
        await client.post(
            url(store_id), json={"name": "裤子", "parent_id": top["id"]}, headers=owner
        ),
        201,
    )
    product = await api.create_product(store_id, owner, category_id=child["id"], publish=False)

    has_children = await client.delete(url(store_id, f"/{top['id']}"), headers=owner)
    assert has_children.status_code == 409
    assert has_children.json()["error"]["code"] == "category_has_children"
    in_use = await client.delete(url(store_id, f"/{child['id']}"), headers=owner)
    assert in_use.status_code == 409 and in_use.json()["error"]["code"] == "category_in_use"

    # Archived products still count: they keep their category.
    expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/products/{product['id']}/archive", headers=owner
        ),
        200,
    )
    assert (await client.delete(url(store_id, f"/{child['id']}"), headers=owner)).status_code == 409

    empty = expect(await client.post(url(store_id), json={"name": "空"}, headers=owner), 201)
    expect(await client.delete(url(store_id, f"/{empty['id']}"), headers=owner), 204)
    assert (await client.delete(url(store_id, f"/{empty['id']}"), headers=owner)).status_code == 404
