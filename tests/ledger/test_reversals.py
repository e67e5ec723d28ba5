"""A correction is a reversal entry, never an edit: the entry's exact opposite, then its
source posted anew (a settlement queued again)."""

from __future__ import annotations

from sqlalchemy import select

from tests.ledger.support import (
    after_sales_closed,
    complete,
    entry_kinds,
    fee_of,
    open_market,
    order_kinds,
    paid_order,
    refund,
    report,
)
from tests.support import expect
from weshop.ledger import service as ledger
from weshop.ledger.models import AccountKind as K
from weshop.ledger.models import EntryKind, JournalEntry

REVERSALS = "/api/v1/platform/ledger/entries/{}/reversals"


async def entry_id(runtime, order_id: int, kind: EntryKind) -> int:
    async with runtime.db.session(write=False) as session:
        return await session.scalar(
            select(JournalEntry.id)
            .where(JournalEntry.order_id == order_id, JournalEntry.kind == kind)
            .order_by(JournalEntry.id)
        )


async def test_reversing_a_settlement_settles_it_anew(api, runtime, runner, worker):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[0], 1), (market.skus[2], 1)])
    await complete(market, order["id"])
    await worker.drain(after_sales_closed())
    # A refund after settlement, so the reversal meets money that moved on since.
    await refund(runner, market, order["id"], {order["lines"][1]["id"]: 2345})
    settled = await order_kinds(runtime, order["id"])
    settlement = await entry_id(runtime, order["id"], EntryKind.SETTLEMENT)
    async with runtime.db.transaction() as session:  # the window has closed by now
        reversal, reposted = await ledger.reverse_entry(
            session, settlement, reason="重新结算", actor_id=1, now=after_sales_closed()
        )
    assert reversal.kind == EntryKind.REVERSAL and reversal.reverses_entry_id == settlement
    assert reposted.kind == EntryKind.SETTLEMENT
    assert await order_kinds(runtime, order["id"]) == settled
    assert await entry_kinds(runtime, order["id"]) == [
        EntryKind.PAYMENT,
        EntryKind.SETTLEMENT,
        EntryKind.REFUND,
        EntryKind.REVERSAL,
        EntryKind.SETTLEMENT,
    ]
    operator = await api.operator()
    again = await api.client.post(
        REVERSALS.format(settlement), json={"reason": "再来"}, headers=operator
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_reversed"
    of_reversal = await api.client.post(
        REVERSALS.format(reversal.id), json={"reason": "再来"}, headers=operator
    )
    assert of_reversal.json()["error"]["code"] == "not_reversible"
    assert (await report(runtime)).violations == []


async def test_a_settlement_reversed_before_its_window_closed_waits_for_it(api, runtime, worker):
    market = await open_market(api, shipping=False)
    order = await paid_order(market, [(market.skus[0], 1)])
    await complete(market, order["id"])
    async with runtime.db.transaction() as session:  # settled too early, as by a bug
        early = await ledger.settle_order(session, order["id"])
    answer = expect(
        await api.client.post(
            REVERSALS.format(early.id), json={"reason": "结算提前"}, headers=await api.operator()
        ),
        201,
    )
    assert answer["reposted"] is None
    unsettled = await order_kinds(runtime, order["id"])
    assert unsettled[K.STORE_AVAILABLE] == unsettled[K.PLATFORM_FEE] == 0
    assert (await report(runtime)).violations == []
    await worker.drain(after_sales_closed())
    assert (await entry_kinds(runtime, order["id"]))[-1] == EntryKind.SETTLEMENT
    assert (await order_kinds(runtime, order["id"]))[K.PLATFORM_FEE] == fee_of(1999)
    assert (await report(runtime)).violations == []


async def test_reversing_a_payment_posts_it_anew(api, runtime):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[0], 1), (market.skus[1], 1)])
    before = await order_kinds(runtime, order["id"])
    payment = await entry_id(runtime, order["id"], EntryKind.PAYMENT)
    answer = expect(
        await api.client.post(
            REVERSALS.format(payment), json={"reason": "重记"}, headers=await api.operator()
        ),
        201,
    )
    assert answer["reposted"]["kind"] == "payment"
    assert sorted(p["amount_fen"] for p in answer["reposted"]["postings"]) == sorted(
        -p["amount_fen"] for p in answer["reversal"]["postings"]
    )
    assert await order_kinds(runtime, order["id"]) == before
    assert (await report(runtime)).violations == []


async def test_only_an_operator_reverses_and_only_an_existing_entry(api):
    missing = await api.client.post(
        REVERSALS.format(999999), json={"reason": "无"}, headers=await api.operator()
    )
    assert missing.status_code == 404
    shopper = await api.client.post(
        REVERSALS.format(1), json={"reason": "无"}, headers=await api.sign_in()
    )
    assert shopper.status_code == 403
