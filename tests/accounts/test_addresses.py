from __future__ import annotations

from tests.support import expect


async def test_the_first_address_is_the_default_and_defaults_move(api, client):
    shopper = await api.sign_in()
    first = await api.add_address(shopper)
    assert first["is_default"] is True
    second = expect(
        await client.post(
            "/api/v1/me/addresses",
            json={
                "recipient": "李四",
                "phone": "13700000000",
                "province": "广东省",
                "city": "深圳市",
                "detail": "科技园 1 号",
                "is_default": True,
            },
            headers=shopper,
        ),
        201,
    )
    listed = expect(await client.get("/api/v1/me/addresses", headers=shopper), 200)
    assert [a["id"] for a in listed] == [second["id"], first["id"]]
    assert [a["is_default"] for a in listed] == [True, False]


async def test_the_owner_sees_edits_and_deletes_their_address_in_full(api, client):
    shopper = await api.sign_in()
    address = await api.add_address(shopper)
    path = f"/api/v1/me/addresses/{address['id']}"
    # Their own: in full, without asking (``reveal`` is still accepted).
    assert address["recipient"] == "张三" and address["phone"] == "13912345678"
    for params in ({}, {"reveal": "true"}):
        full = expect(await client.get(path, params=params, headers=shopper), 200)
        assert full["recipient"] == "张三" and full["phone"] == "13912345678"
    other = await api.sign_in()
    assert (await client.get(path, headers=other)).status_code == 404
    changed = expect(await client.patch(path, json={"city": "宁波市"}, headers=shopper), 200)
    assert changed["city"] == "宁波市"
    assert (await client.delete(path, headers=shopper)).status_code == 204
    assert (await client.get(path, headers=shopper)).status_code == 404
    assert expect(await client.get("/api/v1/me/addresses", headers=shopper), 200) == []


async def test_bad_addresses_are_refused(api, client):
    shopper = await api.sign_in()
    base = {
        "recipient": "张三",
        "phone": "13912345678",
        "province": "浙江省",
        "city": "杭州市",
        "detail": "x",
    }
    for change in (
        {"phone": "12345"},
        {"recipient": ""},
        {"detail": "长" * 121},
        {"postal_code": "abc"},
        {"extra": 1},
    ):
        answer = await client.post("/api/v1/me/addresses", json=base | change, headers=shopper)
        assert answer.status_code == 422, change
    assert expect(await client.get("/api/v1/me/addresses", headers=shopper), 200) == []
