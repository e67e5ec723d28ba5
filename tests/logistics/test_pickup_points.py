"""Pickup points (自提点): a store's own, written whole, listed publicly when open."""

from __future__ import annotations

from tests.support import Api, expect

POINT = {
    "name": "文三路门店",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "address": "学院路 8 号 1 楼前台",
    "opening_hours": "每天 09:00-21:00",
    "phone": "0571-88886666",
}


def points_path(store_id: int) -> str:
    return f"/api/v1/merchant/stores/{store_id}/pickup-points"


async def add_point(api: Api, store_id: int, owner, **changes) -> dict:
    return expect(
        await api.client.post(points_path(store_id), json={**POINT, **changes}, headers=owner), 201
    )


async def test_a_store_adds_edits_and_closes_pickup_points(api, client):
    store_id, owner = await api.new_store()
    point = await add_point(api, store_id, owner)
    assert point["is_active"] is True and point["store_id"] == store_id
    other = await add_point(api, store_id, owner, name="滨江仓库")
    shown = f"/api/v1/shop/stores/{store_id}/pickup-points"
    assert [p["name"] for p in expect(await client.get(shown), 200)] == ["文三路门店", "滨江仓库"]

    closed = expect(
        await client.put(
            f"{points_path(store_id)}/{other['id']}",
            json={**POINT, "name": "滨江仓库", "is_active": False},
            headers=owner,
        ),
        200,
    )
    assert closed["is_active"] is False
    assert [p["id"] for p in expect(await client.get(shown), 200)] == [point["id"]]
    listed = expect(await client.get(points_path(store_id), headers=owner), 200)
    assert [p["id"] for p in listed] == [point["id"], other["id"]]


async def test_pickup_point_refusals_have_stable_codes(api, client):
    store_id, owner = await api.new_store()
    await add_point(api, store_id, owner)
    twice = await client.post(points_path(store_id), json=POINT, headers=owner)
    assert (twice.status_code, twice.json()["error"]["code"]) == (
        409,
        "duplicate_pickup_point_name",
    )
    unknown = await client.post(
        points_path(store_id), json={**POINT, "name": "别处", "province": "浙江"}, headers=owner
    )
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (422, "unknown_province")
    finance = await api.add_staff(store_id, owner, "finance")
    denied = await client.post(points_path(store_id), json={**POINT, "name": "x"}, headers=finance)
    assert denied.status_code == 403


async def test_another_stores_point_is_not_found(api, client):
    store_id, owner = await api.new_store()
    point = await add_point(api, store_id, owner)
    other_id, other_owner = await api.new_store("别家")
    answer = await client.get(f"{points_path(other_id)}/{point['id']}", headers=other_owner)
    assert answer.status_code == 404
