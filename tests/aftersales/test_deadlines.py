"""Every waiting state has a deadline (an outbox row) that acts once for whoever did not
answer, and leaves alone a request that moved on; the ledger does not settle an order
while one of its requests is under way."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.aftersales.support import (
    PARCEL,
    RETURN_POLICY,
    ask,
    seen_by_shopper,
    set_policy,
    shopper_does,
    store_does,
)
from tests.ledger.support import (
    complete,
    entry_kinds,
    open_market,
    paid_order,
    refund,
    report,
    ship,
)
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.core.money import allocate
from weshop.core.outbox import OutboxMessage
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


async def _deadline_rows(runtime, request_id: int) -> list[tuple[str, int]]:
    async with runtime.db.session(write=False) as session:
        rows = await session.execute(
            select(OutboxMessage.status, OutboxMessage.attempts).where(
                OutboxMessage.topic == "aftersales.deadline",
                OutboxMessage.payload["request_id"].as_integer() == request_id,
            )
        )
        return [(str(status), attempts) for status, attempts in rows]


async def test_a_deadline_lowers_a_request_a_staff_refund_took_part_of(api, runtime, runner):
    market = await _slow_market(api)
    order = await paid_order(market, [(market.skus[0], 2)])
    await ship(market, order["id"])
    line = order["lines"][0]
    asked = expect(await ask(market, order), 201)
    assert asked["amount_fen"] == allocate(line["payable_fen"], [1, 1])[0]
    await refund(runner, market, order["id"], {line["id"]: line["payable_fen"] - 100})

    await runner.run(utcnow() + timedelta(hours=49))
    done = await seen_by_shopper(market, asked["id"])
    assert done["status"] == "refunded" and done["amount_fen"] == done["max_fen"] == 100
    steps = [(s["actor"], s["action"], s["amount_fen"]) for s in done["history"]]
    assert steps[1:3] == [("system", "lower_to_left", 100), ("system", "approve_refund", 100)]
    assert (await api.order(market.shopper, order["id"]))["refunded_fen"] == line["payable_fen"]
    assert all(status == "done" for status, _ in await _deadline_rows(runtime, asked["id"]))
    assert (await report(runtime)).violations == []


async def test_a_deadline_closes_a_request_nothing_is_left_of(api, runtime, runner):
    market = await _slow_market(api)
    await set_policy(market, **RETURN_POLICY)
    order = await paid_order(market, [(market.skus[0], 1)])
    await complete(market, order["id"])
    line = order["lines"][0]
    asked = expect(await ask(market, order, kind="return_and_refund"), 201)
    await store_does(market, asked["id"], "approve")
    await shopper_does(market, asked["id"], "return-shipment", PARCEL)
    await refund(runner, market, order["id"], {line["id"]: line["payable_fen"]})

    # The store's receipt is deemed after its 7 days: nothing is left to refund.
    await runner.run(utcnow() + timedelta(days=8))
    closed = await seen_by_shopper(market, asked["id"])
    assert closed["status"] == "closed" and closed["refund_id"] is None
    assert closed["history"][-1]["action"] == "close_nothing_left"
    rows = await _deadline_rows(runtime, asked["id"])
    assert rows and all(status == "done" for status, _ in rows)
    assert (await report(runtime)).violations == []
