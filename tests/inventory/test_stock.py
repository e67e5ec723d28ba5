"""Stock through the merchant API: receive, adjust, never below zero, every change recorded."""

from sqlalchemy import func, select

from tests.support import expect
from weshop.core.idempotency import IdempotencyRecord
from weshop.inventory.models import StockMovement


def url(store_id: int, path: str) -> str:
    return f"/api/v1/merchant/stores/{store_id}{path}"


async def movement_count(runtime) -> int:
    async with runtime.db.session() as session:
        return await session.scalar(select(func.count()).select_from(StockMovement))


async def one_sku(api, stock: int = 10) -> tuple[int, dict, int]:
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, stock=stock)
    return store_id, owner, product["skus"][0]["id"]


async def test_receive_and_adjust_with_history(api, client):
    store_id, owner, sku_id = await one_sku(api, stock=10)
    operator = await api.add_staff(store_id, owner, "operator")
    moves = url(store_id, f"/skus/{sku_id}/stock-movements")

    received = expect(
        await client.post(
            moves, json={"kind": "receive", "quantity": 5, "reason": "供应商到货"}, headers=owner
        ),
        201,
    )
    assert received["available_after"] == 15 and received["kind"] == "receive"
    adjusted = expect(
        await client.post(
            moves,
            json={"kind": "adjust", "quantity": -3, "reason": "盘点少 3 件"},
            headers=operator,
        ),
        201,
    )
    assert adjusted["available_after"] == 12 and adjusted["available_delta"] == -3

    stock = expect(await client.get(url(store_id, f"/skus/{sku_id}/stock"), headers=owner), 200)
    assert (stock["available"], stock["reserved"]) == (12, 0)

    history = expect(await client.get(moves, headers=owner), 200)
    rows = history["items"]
    assert [(m["kind"], m["available_delta"], m["reason"]) for m in rows] == [
        ("adjust", -3, "盘点少 3 件"),
        ("receive", 5, "供应商到货"),
        ("receive", 10, "initial stock"),
    ]
    assert rows[0]["actor_id"] != rows[1]["actor_id"]  # operator, then owner
    assert rows[1]["actor_id"] == rows[2]["actor_id"]

    first = expect(await client.get(moves, params={"limit": 2}, headers=owner), 200)
    rest = expect(
        await client.get(moves, params={"limit": 2, "cursor": first["next_cursor"]}, headers=owner),
        200,
    )
    assert [m["id"] for m in first["items"] + rest["items"]] == [m["id"] for m in rows]
    assert rest["next_cursor"] is None


async def test_stock_never_goes_below_zero_and_nothing_is_written(api, client, runtime):
    store_id, owner, sku_id = await one_sku(api, stock=2)
    before = await movement_count(runtime)
    response = await client.post(
        url(store_id, f"/skus/{sku_id}/stock-movements"),
        json={"kind": "adjust", "quantity": -3, "reason": "丢失"},
        headers=owner,
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stock_would_go_negative"
    assert await movement_count(runtime) == before
    stock = expect(await client.get(url(store_id, f"/skus/{sku_id}/stock"), headers=owner), 200)
    assert stock["available"] == 2
    expect(
        await client.post(
            url(store_id, f"/skus/{sku_id}/stock-movements"),
            json={"kind": "adjust", "quantity": -2, "reason": "清零"},
            headers=owner,
        ),
        201,
    )


async def test_bad_movements_are_refused(api, client, runtime):
    store_id, owner, sku_id = await one_sku(api)
    moves = url(store_id, f"/skus/{sku_id}/stock-movements")
    before = await movement_count(runtime)
    cases = [
        ({"kind": "receive", "quantity": 0, "reason": "x"}, 422),
        ({"kind": "receive", "quantity": -1, "reason": "x"}, 422),
        ({"kind": "adjust", "quantity": 0, "reason": "x"}, 422),
        ({"kind": "sale", "quantity": 1, "reason": "x"}, 422),
        ({"kind": "receive", "quantity": 1, "reason": ""}, 422),
        ({"kind": "receive", "quantity": 1, "reason": "   "}, 422),
        ({"kind": "receive", "quantity": 1, "reason": "长" * 201}, 422),
        ({"kind": "receive", "quantity": 1}, 422),
        ({"kind": "receive", "quantity": 10**19, "reason": "x"}, 422),
        ({"kind": "receive", "quantity": "many", "reason": "x"}, 422),
        ({"kind": "receive", "quantity": 9_999_999, "reason": "超过上限"}, 422),
        ({"kind": "receive", "quantity": 1, "reason": "x", "extra": 1}, 422),
    ]
    for body, status in cases:
        response = await client.post(moves, json=body, headers=owner)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["code"]
    missing = await client.post(
        url(store_id, "/skus/999999/stock-movements"),
        json={"kind": "receive", "quantity": 1, "reason": "x"},
        headers=owner,
    )
    assert missing.status_code == 404
    assert await movement_count(runtime) == before


async def test_a_retried_movement_moves_stock_once(api, client, runtime):
    store_id, owner, sku_id = await one_sku(api, stock=10)
    moves = url(store_id, f"/skus/{sku_id}/stock-movements")
    body = {"kind": "receive", "quantity": 4, "reason": "到货单 A-1"}
    headers = {**owner, "Idempotency-Key": "receipt-A-1"}
    first = expect(await client.post(moves, json=body, headers=headers), 201)
    again = await client.post(moves, json=body, headers=headers)
    assert again.status_code == 201 and again.json() == first
    assert again.headers.get("Idempotent-Replayed") == "true"
    stock = expect(await client.get(url(store_id, f"/skus/{sku_id}/stock"), headers=owner), 200)
    assert stock["available"] == 14

    different = await client.post(moves, json={**body, "quantity": 5}, headers=headers)
    assert different.status_code == 409
    assert different.json()["error"]["code"] == "idempotency_key_reused"

    # A refused movement does not use up its key.
    failing = {**owner, "Idempotency-Key": "too-much"}
    drain = {"kind": "adjust", "quantity": -100, "reason": "x"}
    assert (await client.post(moves, json=drain, headers=failing)).status_code == 409
    async with runtime.db.session() as session:
        keys = set(await session.scalars(select(IdempotencyRecord.key)))
    assert keys == {"receipt-A-1"}


async def test_low_stock_list_and_threshold(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(
        store_id,
        owner,
        title="袜子",
        specs=[{"name": "颜色", "values": ["白", "黑"]}],
        stock=20,
        skus=[{"spec_values": {"颜色": "黑"}, "stock": 3}],
    )
    white, black = product["skus"]
    low = expect(await client.get(url(store_id, "/stock/low"), headers=owner), 200)
    assert low == [
        {
            "sku_id": black["id"],
            "product_id": product["id"],
            "product_status": "published",
            "title": "袜子",
            "spec_text": "颜色:黑",
            "sku_code": black["sku_code"],
            "available": 3,
            "reserved": 0,
            "low_stock_threshold": 5,
        }
    ]
    updated = expect(
        await client.put(
            url(store_id, f"/skus/{white['id']}/low-stock-threshold"),
            json={"threshold": 25},
            headers=owner,
        ),
        200,
    )
    assert updated["low_stock_threshold"] == 25
    low = expect(await client.get(url(store_id, "/stock/low"), headers=owner), 200)
    assert [row["sku_id"] for row in low] == [black["id"], white["id"]]
    bad = await client.put(
        url(store_id, f"/skus/{white['id']}/low-stock-threshold"),
        json={"threshold": -1},
        headers=owner,
    )
    assert bad.status_code == 422
    finance = await api.add_staff(store_id, owner, "finance")
    expect(await client.get(url(store_id, "/stock/low"), headers=finance), 200)
    forbidden = await client.put(
        url(store_id, f"/skus/{white['id']}/low-stock-threshold"),
        json={"threshold": 1},
        headers=finance,
    )
    assert forbidden.status_code == 403
