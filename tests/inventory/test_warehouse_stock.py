"""Stock per warehouse under random orders and cancellations, and under real concurrent
checkouts: a warehouse's stock never goes below zero, the SKU's row is always the sum of its
warehouses, and every unit is in a warehouse or held for an order allocated to it."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.inventory.warehouse_shop import WarehouseShop, check_sums, warehouse_shop
from tests.support import expect
from weshop.inventory.allocation import Site, allocate
from weshop.inventory.models import ReservationStatus, StockReservation, WarehouseStock

PROVINCES = ("浙江省", "广东省", "四川省")


async def accounted(runtime, shop: WarehouseShop, received: dict[tuple[int, int], int]) -> None:
    """What each warehouse received is what it has plus what is held there for orders."""
    async with runtime.db.session(write=False) as session:
        rows = await session.scalars(
            select(WarehouseStock).where(WarehouseStock.store_id == shop.store_id)
        )
        have = {(row.warehouse_id, row.sku_id): (row.available, row.reserved) for row in rows}
        held: dict[tuple[int, int], int] = defaultdict(int)
        for reservation in await session.scalars(
            select(StockReservation).where(
                StockReservation.store_id == shop.store_id,
                StockReservation.status == ReservationStatus.HELD,
            )
        ):
            held[(reservation.warehouse_id, reservation.sku_id)] += reservation.quantity
    for key, units in received.items():
        available, reserved = have.get(key, (0, 0))
        assert reserved == held[key], key
        assert available + reserved == units, key


stocks = st.lists(st.lists(st.integers(0, 3), min_size=2, max_size=2), min_size=2, max_size=3)
actions = st.lists(
    st.tuples(
        st.sampled_from(["order", "order", "cancel"]),
        st.sampled_from(PROVINCES),
        st.integers(0, 3),
        st.integers(0, 3),
        st.integers(0, 20),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(stocks=stocks, actions=actions)
async def test_random_orders_and_cancellations_keep_every_warehouse_whole(
    api, client, runtime, stocks, actions
):
    shop = await warehouse_shop(api, skus=2)
    received: dict[tuple[int, int], int] = {}
    located: dict[int, str] = {}
    for index, units in enumerate(stocks):
        warehouse_id = await shop.warehouse(f"仓{index}", PROVINCES[index % len(PROVINCES)])
        located[warehouse_id] = PROVINCES[index % len(PROVINCES)]
        for sku_id, quantity in zip(shop.sku_ids, units, strict=True):
            received[(warehouse_id, sku_id)] = quantity
            if quantity:
                expect(await shop.move(sku_id, warehouse_id, quantity), 201)
    buyers = {province: await shop.buyer(province) for province in PROVINCES}
    placed: list[tuple[int, dict]] = []
    for action, province, first, second, pick in actions:
        shopper, address_id = buyers[province]
        if action == "cancel" and placed:
            order_id, headers = placed.pop(pick % len(placed))
            cancel = f"/api/v1/me/orders/{order_id}/cancel"
            expect(await client.post(cancel, json={}, headers=headers), 200)
        items = [(sku, n) for sku, n in zip(shop.sku_ids, (first, second), strict=True) if n]
        if action == "order" and items:
            stock = {sku: await shop.stock(sku) for sku in shop.sku_ids}
            sites = [
                Site(
                    warehouse_id=warehouse_id,
                    province=province_of,
                    is_default=warehouse_id == min(located),
                    available={sku: stock[sku].get(warehouse_id, (0, 0))[0] for sku in stock},
                )
                for warehouse_id, province_of in located.items()
            ]
            expected = allocate(dict(items), sites, province)
            answer = await api.place_order(shopper, address_id, items)
            assert answer.status_code == (409 if expected is None else 201), answer.text
            if expected is not None:
                order_id = answer.json()["orders"][0]["id"]
                placed.append((order_id, shopper))
                parts = await shop.allocation(order_id)
                assert parts == [
                    (sku, warehouse_id, n, "held")
                    for sku in sorted(expected)
                    for warehouse_id, n in sorted(expected[sku])
                ]
        await check_sums(runtime, shop.store_id)
        await accounted(runtime, shop, received)


async def test_concurrent_checkouts_against_two_small_warehouses_never_oversell(
    api, runtime, live_url
):
    shop = await warehouse_shop(api)
    (sku,) = shop.sku_ids
    east = await shop.warehouse("杭州仓", "浙江省")
    south = await shop.warehouse("广州仓", "广东省")
    expect(await shop.move(sku, east, 3), 201)
    expect(await shop.move(sku, south, 4), 201)
    received = {(east, sku): 3, (south, sku): 4}
    buyers = [await shop.buyer(PROVINCES[i % 2]) for i in range(8)]

    limits = httpx.Limits(max_connections=60, max_keepalive_connections=60)
    async with httpx.AsyncClient(base_url=live_url, limits=limits, timeout=120) as http:

        async def checkout(i: int) -> tuple[int, httpx.Response]:
            headers, address_id = buyers[i % len(buyers)]
            quantity = 1 + i % 2
            answer = await http.post(
                "/api/v1/me/orders",
                json={"address_id": address_id, "items": [{"sku_id": sku, "quantity": quantity}]},
                headers=headers,
            )
            return quantity, answer

        answers = await asyncio.gather(*(checkout(i) for i in range(60)))
        statuses = Counter(answer.status_code for _, answer in answers)
        assert set(statuses) <= {201, 409}, statuses
        assert {a.json()["error"]["code"] for _, a in answers if a.status_code == 409} == {
            "out_of_stock"
        }
        sold = sum(quantity for quantity, a in answers if a.status_code == 201)
        left = await shop.stock(sku)
        assert sold + sum(available for available, _ in left.values()) == 7
        assert sum(reserved for _, reserved in left.values()) == sold
        await check_sums(runtime, shop.store_id)
        await accounted(runtime, shop, received)

        placed = [
            (a.json()["orders"][0]["id"], buyers[i % len(buyers)][0])
            for i, (_, a) in enumerate(answers)
            if a.status_code == 201
        ]
        cancels = await asyncio.gather(
            *(
                http.post(f"/api/v1/me/orders/{order_id}/cancel", json={}, headers=headers)
                for order_id, headers in placed
            )
        )
        assert {c.status_code for c in cancels} == {200}
    assert await shop.stock(sku) == {east: (3, 0), south: (4, 0)}
    await check_sums(runtime, shop.store_id)
