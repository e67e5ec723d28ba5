"""The flash sale at its peak, over real concurrent connections, on SQLite (the database's
guarded UPDATE decides) and on PostgreSQL + Redis (the Lua gate decides, the database's guard
is the last word): exactly the flash stock is sold, one order per accepted attempt, nobody
above the limit; expired orders give their units back once and they sell again; a Redis flush
or a process dying between the gate and its commit never oversells, and the reconciler puts
Redis back in step."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

from tests.conftest import TEST_REDIS_URL
from tests.flashsale.conftest import (
    Flash,
    burst,
    flash_orders,
    item_row,
    live_burst,
    live_orders,
    open_flash,
    redis_stock,
    regular_stock,
    shoppers,
)
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.flashsale import reconcile
from weshop.flashsale.gate import gate_of

needs_redis = pytest.mark.skipif(not TEST_REDIS_URL, reason="the Redis gate needs Redis")


def accepted_of(answers) -> list[dict]:
    return [answer.json() for answer in answers if answer.status_code == 201]


def refusals_of(answers) -> Counter:
    unexpected = [a for a in answers if a.status_code not in (201, 409)]
    assert not unexpected, (len(unexpected), unexpected[0].status_code, unexpected[0].text)
    return Counter(a.json()["error"]["code"] for a in answers if a.status_code == 409)


async def assert_no_oversell(runtime, flash: Flash, expected_sold: int) -> None:
    item = await item_row(runtime, flash.item_id)
    orders = await flash_orders(runtime, flash.session["id"])
    live = [order for order in orders if order.status != "cancelled"]
    assert item.sold == expected_sold == len(live)
    assert max(Counter(order.user_id for order in live).values(), default=0) <= 1
    assert all(order.payable_fen - order.shipping_fen == 990 for order in live)


async def test_2000_attempts_of_500_shoppers_on_100_units_sell_exactly_100(api, runtime, runner):
    flash = await open_flash(api, regular_stock=300, flash_stock=100, limit=1)
    assert await regular_stock(runtime, flash.shop.sku_id) == 200  # taken for the session
    crowd = await shoppers(runtime, 500)

    answers = await burst(api.client, flash.item_id, crowd, rounds=4)

    accepted = accepted_of(answers)
    refusals = refusals_of(answers)
    assert len(accepted) == 100, (refusals, await redis_stock(runtime, flash.item_id))
    assert set(refusals) <= {"sold_out", "limit_reached"}
    assert sum(refusals.values()) == 1900
    orders = await flash_orders(runtime, flash.session["id"])
    assert sorted(order.id for order in orders) == sorted(a["order_id"] for a in accepted)
    assert len({a["attempt_id"] for a in accepted}) == 100
    await assert_no_oversell(runtime, flash, 100)
    assert await redis_stock(runtime, flash.item_id) in (None, 0)

    # Each winner finds the order in "my orders" the moment the answer arrives.
    who = {order.id: shopper for order, shopper in _winners(answers, crowd, orders)}
    for order_id, shopper in list(who.items())[:5]:
        mine = expect(await api.client.get("/api/v1/me/orders", headers=shopper[0]), 200)
        assert [order["id"] for order in mine["items"]] == [order_id]

    # Half pay; the other half let the payment window (5 minutes) pass.
    paid = list(who.items())[:50]
    for order_id, shopper in paid:
        await api.confirm_in_cashier(await api.start_payment(shopper[0], order_id))
    await runner.run()
    await runner.run(utcnow() + timedelta(minutes=6))
    await assert_no_oversell(runtime, flash, 50)
    assert await redis_stock(runtime, flash.item_id) in (None, 50)
    assert await regular_stock(runtime, flash.shop.sku_id) == 200  # flash units stay flash
    await runner.run(utcnow() + timedelta(minutes=7))  # nothing is given back twice
    await assert_no_oversell(runtime, flash, 50)

    # Exactly those 50 units sell again (the 50 who let theirs expire may try again).
    again = await burst(api.client, flash.item_id, crowd, rounds=1)
    assert len(accepted_of(again)) == 50
    assert set(refusals_of(again)) <= {"sold_out", "limit_reached"}
    await assert_no_oversell(runtime, flash, 100)
    assert await live_orders(runtime, flash.session["id"]) == 100


def _winners(answers, crowd, orders):
    """(order, shopper) for every accepted attempt: the tries went in crowd order."""
    tries = [shopper for _ in range(len(answers) // len(crowd)) for shopper in crowd]
    by_id = {order.id: order for order in orders}
    return [
        (by_id[answer.json()["order_id"]], shopper)
        for answer, shopper in zip(answers, tries, strict=True)
        if answer.status_code == 201
    ]


@needs_redis
async def test_a_redis_flush_mid_burst_never_oversells_and_reconcile_repairs(api, runtime):
    flash = await open_flash(api, flash_stock=100, limit=1)
    crowd = await shoppers(runtime, 400)

    async def flush_soon() -> None:
        await asyncio.sleep(0.1)
        await runtime.redis.flushdb()

    answers, _ = await asyncio.gather(
        burst(api.client, flash.item_id, crowd, rounds=1), flush_soon()
    )
    sold = len(accepted_of(answers))
    assert sold <= 100
    await assert_no_oversell(runtime, flash, sold)

    await runtime.redis.flushdb()  # and once more, after the burst
    [check] = await reconcile.reconcile(runtime, gate_of(runtime), utcnow())
    assert check.redis_stock is None and check.repaired and check.consistent
    assert await redis_stock(runtime, flash.item_id) == 100 - sold
    [check] = await reconcile.reconcile(runtime, gate_of(runtime), utcnow())
    assert not check.repaired and check.drift == 0 and check.consistent

    rest = await burst(api.client, flash.item_id, crowd, rounds=1)
    assert len(accepted_of(rest)) == 100 - sold
    await assert_no_oversell(runtime, flash, 100)
    assert await redis_stock(runtime, flash.item_id) == 0


@needs_redis
async def test_units_of_a_process_killed_between_gate_and_commit_come_back(api, runtime, live_url):
    """A server that dies after the Lua script accepted and before its transaction
    committed leaves units taken in Redis that no order holds: the reconciler finds them
    (pending past the grace, unknown to the database) and gives them back."""
    flash = await open_flash(api, flash_stock=100, limit=1)
    crowd = await shoppers(runtime, 120)
    gate = gate_of(runtime)
    async with runtime.db.session(write=False) as db:
        await reconcile.load_gate(db, gate, flash.item_id)
    dead = await shoppers(runtime, 10)
    accepted_ms = int((utcnow() - timedelta(minutes=1)).timestamp() * 1000)
    for index in range(10):
        verdict = await gate.attempt(flash.item_id, 900_000 + index, f"lost{index}", 1, accepted_ms)
        assert verdict == "accepted"

    first = await live_burst(live_url, flash.item_id, crowd, rounds=1)
    assert len(accepted_of(first)) == 90
    await assert_no_oversell(runtime, flash, 90)

    [check] = await reconcile.reconcile(runtime, gate, utcnow(), grace_seconds=30)
    assert check.lost_units == 10 and check.repaired and check.consistent
    assert await redis_stock(runtime, flash.item_id) == 10

    second = await burst(api.client, flash.item_id, crowd + dead, rounds=1)
    assert len(accepted_of(second)) == 10
    await assert_no_oversell(runtime, flash, 100)


async def test_over_real_connections_the_stock_is_sold_once(api, runtime, live_url):
    flash = await open_flash(api, flash_stock=20, limit=1)
    crowd = await shoppers(runtime, 60)
    answers = await live_burst(live_url, flash.item_id, crowd, rounds=2, connections=16)
    assert len(accepted_of(answers)) == 20
    assert sum(refusals_of(answers).values()) == 100
    await assert_no_oversell(runtime, flash, 20)
