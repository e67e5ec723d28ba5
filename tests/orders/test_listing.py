from __future__ import annotations

from tests.orders.conftest import Shop
from tests.support import expect


async def place_many(api, shop: Shop, count: int) -> list[dict]:
    orders = []
    for _ in range(count):
        placed = expect(
            await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)]), 201
        )
        orders.append(placed["orders"][0])
    return orders


async def test_cursor_pages_walk_every_order_once_newest_first(api, client, shop: Shop):
    placed = await place_many(api, shop, 5)
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = expect(
            await client.get("/api/v1/me/orders", params=params, headers=shop.shopper), 200
        )
        seen.extend(order["id"] for order in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [order["id"] for order in reversed(placed)]


async def test_filters_by_status_time_and_number(api, client, shop: Shop):
    first, second, _ = await place_many(api, shop, 3)
    expect(
        await client.post(f"/api/v1/me/orders/{first['id']}/cancel", json={}, headers=shop.shopper),
        200,
    )
    cancelled = expect(
        await client.get("/api/v1/me/orders", params={"status": "cancelled"}, headers=shop.shopper),
        200,
    )
    assert [o["id"] for o in cancelled["items"]] == [first["id"]]
    base = f"/api/v1/merchant/stores/{shop.store['id']}/orders"
    by_number = expect(
        await client.get(base, params={"order_no": second["order_no"]}, headers=shop.owner), 200
    )
    assert [o["id"] for o in by_number["items"]] == [second["id"]]
    after = expect(
        await client.get(base, params={"created_from": second["created_at"]}, headers=shop.owner),
        200,
    )
    assert first["id"] not in {o["id"] for o in after["items"]}
    assert second["id"] in {o["id"] for o in after["items"]}
    pending = expect(
        await client.get(base, params={"status": "pending_payment"}, headers=shop.owner), 200
    )
    assert len(pending["items"]) == 2
    assert all(o["allowed_actions"] == ["cancel"] for o in pending["items"])


async def test_bad_list_parameters_are_4xx(api, client, shop: Shop):
    for params in (
        {"limit": 0},
        {"limit": 101},
        {"status": "lost"},
        {"cursor": "garbage!"},
        {"created_from": "yesterday"},
    ):
        answer = await client.get("/api/v1/me/orders", params=params, headers=shop.shopper)
        assert answer.status_code == 422, params


async def test_every_stock_change_of_an_order_is_a_recorded_movement(api, client, shop: Shop):
    order = (await place_many(api, shop, 1))[0]
    payment = await api.start_payment(shop.shopper, order["id"])
    await api.confirm_in_cashier(payment)
    cancelled = expect(
        await client.post(
            f"/api/v1/me/orders/{order['id']}/cancel",
            json={"reason": "不想要了"},
            headers=shop.shopper,
        ),
        200,
    )
    assert cancelled["status"] == "cancelled"
    history = expect(
        await client.get(
            f"/api/v1/merchant/stores/{shop.store['id']}/skus/{shop.sku_id}/stock-movements",
            headers=shop.owner,
        ),
        200,
    )
    kinds = [m["kind"] for m in reversed(history["items"])]
    assert kinds == ["receive", "reserve", "sale", "return"]
