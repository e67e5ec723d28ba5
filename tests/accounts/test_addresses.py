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


async def test_the_owner_can_reveal_edit_and_delete_an_address(api, client):
    shopper = await api.sign_in()
    address = await api.add_address(shopper)
    path = f"/api/v1/me/addresses/{address['id']}"
    assert address["recipient"] == "张*"
    full = expect(await client.get(path, params={"reveal": "true"}, headers=shopper), 200)
    assert full["recipient"] == "张三" and full["phone"] == "13912345678"
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
