"""Every waiting state has a deadline (an outbox row) that acts once for whoever did not
answer, and leaves alone a request that moved on; the ledger does not settle an order
while one of its requests is under way."""

from __future__ import annotations

from datetime import timedelta

from tests.aftersales.support import ask, seen_by_shopper, set_policy, shopper_does, store_does
from tests.ledger.support import (
    complete,
    entry_kinds,
    open_market,
    paid_order,
    report,
    ship,
)
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.ledger.models import EntryKind


async def _slow_market(api):
    market = await open_market(api)
    await set_policy(market, fast_refund_threshold_fen=0)
    return market


async def test_a_store_that_does_not_answer_approves_and_the_refund_goes_once(api, runner):
    market = await _slow_market(api)
    order = await paid_order(market, [(market.skus[0], 1)])
    await ship(market, order["id"])
    asked = expect(await ask(market, order), 201)
    await runner.run(utcnow() + timedelta(hours=47))
    assert (await seen_by_shopper(market, asked["id"]))["status"] == "requested"
    await runner.run(utcnow() + timedelta(hours=49))
    done = await seen_by_shopper(market, asked["id"])
    assert done["status"] == "refunded"
    assert [(s["actor"], s["action"]) for s in done["history"]][1] == ("system", "approve_refund")
    await runner.run(utcnow() + timedelta(days=30))
    assert (await api.order(market.shopper, order["id"]))["refunded_fen"] == asked["amount_fen"]


async def test_a_deadline_leaves_a_request_that_moved_on_alone(api, runner):
    market = await _slow_market(api)
    order = await paid_order(market, [(market.skus[0], 1)])
    await ship(market, order["id"])
    asked = expect(await ask(market, order), 201)
    await store_does(market, asked["id"], "propose", {"amount_fen": 100})
    # The store's 48 hours pass: the proposal stands (its own 7 days run).
    await runner.run(utcnow() + timedelta(hours=49))
    assert (await seen_by_shopper(market, asked["id"]))["status"] == "proposed"
    await runner.run(utcnow() + timedelta(days=8))
    closed = await seen_by_shopper(market, asked["id"])
    assert closed["status"] == "closed" and closed["refund_id"] is None


async def test_a_return_not_shipped_closes_and_one_not_received_is_refunded(api, runner):
    market = await _slow_market(api)
    order = await paid_order(market, [(market.skus[0], 2)])
    await ship(market, order["id"])
    first = expect(await ask(market, order, kind="return_and_refund", reason="quality"), 201)
    await store_does(market, first["id"], "approve")
    await runner.run(utcnow() + timedelta(days=8))
    assert (await seen_by_shopper(market, first["id"]))["status"] == "closed"

    second = expect(await ask(market, order, kind="return_and_refund", reason="quality"), 201)
    await store_does(market, second["id"], "approve")
    await shopper_does(
        market, second["id"], "return-shipment", {"carrier": "顺丰", "tracking_no": "SF99990000"}
    )
    await runner.run(utcnow() + timedelta(days=8))
    assert (await seen_by_shopper(market, second["id"]))["status"] == "refunded"


async def test_settlement_waits_for_the_last_request(api, runtime, runner):
    market = await _slow_market(api)
    order = await paid_order(market, [(market.skus[0], 2)])
    await complete(market, order["id"])
    # The window closes (7 days) before the store's days to receive are over (15).
    await set_policy(market, store_receive_days=15)
    asked = expect(await ask(market, order, kind="return_and_refund", reason="damaged"), 201)
    await store_does(market, asked["id"], "approve")
    await shopper_does(
        market, asked["id"], "return-shipment", {"carrier": "顺丰", "tracking_no": "SF12121212"}
    )
    await runner.run(utcnow() + timedelta(days=8))
    assert await entry_kinds(runtime, order["id"]) == [EntryKind.PAYMENT]
    await store_does(market, asked["id"], "receipt")
    await runner.run(utcnow() + timedelta(days=9))
    assert await entry_kinds(runtime, order["id"]) == [
        EntryKind.PAYMENT,
        EntryKind.REFUND,
        EntryKind.SETTLEMENT,
    ]
    assert (await report(runtime)).violations == []


async def test_a_request_refunded_after_settlement_takes_the_fee_back(api, runtime, runner):
    market = await _slow_market(api)
    order = await paid_order(market, [(market.skus[2], 2)])
    await complete(market, order["id"])
    # The worker runs ahead of the clock: the order settles while the shopper may still ask.
    await runner.run(utcnow() + timedelta(days=8))
    assert await entry_kinds(runtime, order["id"]) == [EntryKind.PAYMENT, EntryKind.SETTLEMENT]
    asked = expect(await ask(market, order, kind="return_and_refund", reason="damaged"), 201)
    await store_does(market, asked["id"], "approve")
    await shopper_does(
        market, asked["id"], "return-shipment", {"carrier": "顺丰", "tracking_no": "SF34343434"}
    )
    await store_does(market, asked["id"], "receipt")
    await runner.run()
    assert (await seen_by_shopper(market, asked["id"]))["status"] == "refunded"
    assert await entry_kinds(runtime, order["id"]) == [
        EntryKind.PAYMENT,
        EntryKind.SETTLEMENT,
        EntryKind.REFUND,
    ]
    assert (await report(runtime)).violations == []
