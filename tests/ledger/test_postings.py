"""Postings of the real flows: payment, refund, settlement, cancellation, late payment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.ledger.support import (
    after_sales_closed,
    ask_refund,
    complete,
    entry_kinds,
    fee_of,
    open_market,
    order_kinds,
    order_terms,
    paid_order,
    place,
    refund,
    report,
    ship,
)
from tests.payments.test_notifications import NOTIFY, notice, signed
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.core.outbox import OutboxMessage
from weshop.ledger import journal
from weshop.ledger import service as ledger
from weshop.ledger.chart_of_accounts import Term
from weshop.ledger.journal import Leg, Source, UnbalancedEntry
from weshop.ledger.models import AccountKind as K
from weshop.ledger.models import EntryKind, JournalEntry, Posting
from weshop.orders.service import AFTERSALES_WINDOW_CLOSED
from weshop.payments.models import Payment
from weshop.payments.provider import ProviderRefund, ProviderRefundStatus


async def entries_of(runtime, order_id: int) -> int:
    return len(await entry_kinds(runtime, order_id))


async def test_a_payment_freezes_what_was_paid_and_sets_the_fee_aside(api, runtime):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[0], 2), (market.skus[1], 1)])
    paid = order["payable_fen"]
    assert order["shipping_fen"] == 1200
    assert await entry_kinds(runtime, order["id"]) == [EntryKind.PAYMENT]
    kinds = await order_kinds(runtime, order["id"])
    assert kinds == {
        K.PROVIDER_CLEARING: -paid,
        K.STORE_FROZEN: paid - fee_of(paid),
        K.STORE_FEE_HELD: fee_of(paid),
    }
    terms = await order_terms(runtime, order["id"])
    assert terms[Term.PAID] == terms[Term.STORE_FROZEN] == paid
    assert (await report(runtime)).violations == []


async def test_a_replayed_callback_posts_nothing_new(api, client, runtime):
    market = await open_market(api, shipping=False)
    order = await place(market, [(market.skus[0], 1)])
    payment = await api.start_payment(market.shopper, order["id"])
    body, headers = signed(runtime, notice(payment))
    expect(await client.post(NOTIFY, content=body, headers=headers), 200)
    expect(await client.post(NOTIFY, content=body, headers=headers), 200)
    other_body, other_headers = signed(runtime, notice(payment))  # a second notification
    expect(await client.post(NOTIFY, content=other_body, headers=other_headers), 200)
    async with runtime.db.transaction() as session:
        row = await session.get_one(Payment, payment["id"])
        assert await ledger.record_payment(session, row, accepted=True) is None
    assert await entry_kinds(runtime, order["id"]) == [EntryKind.PAYMENT]
    assert (await report(runtime)).violations == []


async def test_settlement_splits_off_the_fee_after_the_after_sales_window(api, runtime, worker):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[2], 1), (market.skus[3], 3)])
    paid, fee = order["payable_fen"], fee_of(order["payable_fen"])
    await complete(market, order["id"])
    async with runtime.db.session(write=False) as session:
        deadline = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.topic == AFTERSALES_WINDOW_CLOSED)
        )
    assert deadline.payload == {"order_id": order["id"]}
    assert abs(deadline.due_at - (utcnow() + timedelta(days=7))) < timedelta(minutes=1)

    await worker.drain(utcnow() + timedelta(days=6))
    assert await entry_kinds(runtime, order["id"]) == [EntryKind.PAYMENT]
    await worker.drain(after_sales_closed())
    assert await entry_kinds(runtime, order["id"]) == [EntryKind.PAYMENT, EntryKind.SETTLEMENT]
    assert await order_kinds(runtime, order["id"]) == {
        K.PROVIDER_CLEARING: -paid,
        K.STORE_FROZEN: 0,
        K.STORE_FEE_HELD: 0,
        K.STORE_AVAILABLE: paid - fee,
        K.PLATFORM_FEE: fee,
    }
    async with runtime.db.transaction() as session:  # the handler again: nothing new
        assert await ledger.settle_order(session, order["id"]) is None
    assert await entries_of(runtime, order["id"]) == 2
    assert (await report(runtime)).violations == []


async def test_an_automatically_confirmed_order_settles_too(api, runtime, worker):
    market = await open_market(api, shipping=False)
    order = await paid_order(market, [(market.skus[0], 1)])
    await ship(market, order["id"])
    await worker.drain(utcnow() + timedelta(days=11))  # receipt confirmed automatically
    assert await entry_kinds(runtime, order["id"]) == [EntryKind.PAYMENT]
    await worker.drain(utcnow() + timedelta(days=19))
    assert await entry_kinds(runtime, order["id"]) == [EntryKind.PAYMENT, EntryKind.SETTLEMENT]
    assert (await report(runtime)).violations == []


async def test_a_partial_refund_by_line_returns_the_fee_on_the_refunded_money(api, runtime, runner):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[0], 2), (market.skus[2], 1)])
    first, second = (line["id"] for line in order["lines"])
    paid = order["payable_fen"]
    over = expect(await ask_refund(market, order["id"], {first: 3999}), 409)
    assert over["error"]["code"] == "refund_exceeds_line"
    assert over["error"]["details"] == {"order_line_id": first, "left_fen": 3998}
    stranger = expect(await ask_refund(market, order["id"], {second + 999: 1}), 422)
    assert stranger["error"]["code"] == "unknown_order_line"

    answer = await refund(runner, market, order["id"], {first: 1000, second: 45})
    assert answer["parts"] == [
        {"order_line_id": first, "amount_fen": 1000},
        {"order_line_id": second, "amount_fen": 45},
    ]
    kinds = await order_kinds(runtime, order["id"])
    assert kinds[K.SHOPPER_REFUNDS] == 1045
    assert kinds[K.STORE_FEE_HELD] == fee_of(paid - 1045)
    assert kinds[K.STORE_FROZEN] == paid - 1045 - fee_of(paid - 1045)
    assert (await api.order(market.shopper, order["id"]))["refunded_fen"] == 1045
    refunds = expect(
        await api.client.get(
            market.merchant(f"/orders/{order['id']}/refunds"), headers=market.owner
        ),
        200,
    )
    assert [r["status"] for r in refunds] == ["succeeded"]
    assert (await report(runtime)).violations == []


async def test_a_pending_refund_counts_against_what_is_left_and_a_key_refunds_once(api, runtime):
    market = await open_market(api, shipping=False)
    order = await paid_order(market, [(market.skus[0], 1)])
    line = order["lines"][0]["id"]
    first = expect(await ask_refund(market, order["id"], {line: 1500}, key="r-1"), 201)
    again = expect(await ask_refund(market, order["id"], {line: 1500}, key="r-1"), 201)
    assert again["id"] == first["id"]
    # Not yet sent to the provider, yet already counted: 499 fen are left.
    over = expect(await ask_refund(market, order["id"], {line: 500}), 409)
    assert over["error"]["details"]["left_fen"] == 499


async def test_a_refund_still_processing_is_asked_about_until_it_succeeds(
    api, runtime, worker, monkeypatch
):
    market = await open_market(api, shipping=False)
    order = await paid_order(market, [(market.skus[0], 1)])
    provider = runtime.components["payment_providers"]["sandbox"]
    original_refund, original_query = provider.refund, provider.query_refund
    sent, queried = [], []

    async def processing_refund(**kwargs):
        sent.append(kwargs["out_refund_no"])
        await original_refund(**kwargs)
        return ProviderRefund(refund_id="", status=ProviderRefundStatus.PROCESSING)

    async def processing_once(out_refund_no, **kwargs):
        queried.append(out_refund_no)
        if len(queried) == 1:
            return ProviderRefund(refund_id="", status=ProviderRefundStatus.PROCESSING)
        return await original_query(out_refund_no, **kwargs)

    monkeypatch.setattr(provider, "refund", processing_refund)
    monkeypatch.setattr(provider, "query_refund", processing_once)
    expect(await ask_refund(market, order["id"], {order["lines"][0]["id"]: 999}), 201)
    await worker.drain()
    assert await entry_kinds(runtime, order["id"]) == [EntryKind.PAYMENT]
    await worker.drain(utcnow() + timedelta(minutes=2))  # first query: still processing
    assert len(queried) == 1
    assert await entry_kinds(runtime, order["id"]) == [EntryKind.PAYMENT]
    await worker.drain(utcnow() + timedelta(minutes=8))  # second query: succeeded
    assert len(sent) == 1 and queried == [sent[0], sent[0]]
    assert await entry_kinds(runtime, order["id"]) == [EntryKind.PAYMENT, EntryKind.REFUND]
    assert (await report(runtime)).violations == []


async def test_cancelling_after_a_partial_refund_returns_only_the_rest(api, runtime, runner):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[0], 1), (market.skus[1], 2)])
    await refund(runner, market, order["id"], {order["lines"][1]["id"]: 300})
    expect(
        await api.client.post(
            f"/api/v1/me/orders/{order['id']}/cancel", json={}, headers=market.shopper
        ),
        200,
    )
    await runner.run()
    terms = await order_terms(runtime, order["id"])
    assert terms[Term.REFUNDED] == terms[Term.PAID] == order["payable_fen"]
    assert terms[Term.STORE_FROZEN] == terms[Term.PLATFORM] == 0
    assert (await api.order(market.shopper, order["id"]))["refunded_fen"] == order["payable_fen"]
    refused = expect(await ask_refund(market, order["id"], {order["lines"][0]["id"]: 1}), 409)
    assert refused["error"]["code"] == "order_not_refundable"
    assert (await report(runtime)).violations == []


async def test_an_order_refunded_in_full_before_settlement_settles_to_zero(
    api, runtime, runner, worker
):
    market = await open_market(api, shipping=False)
    order = await paid_order(market, [(market.skus[0], 1), (market.skus[3], 5)])
    await complete(market, order["id"])
    await refund(
        runner, market, order["id"], {line["id"]: line["payable_fen"] for line in order["lines"]}
    )
    await worker.drain(after_sales_closed())
    assert await entry_kinds(runtime, order["id"]) == [
        EntryKind.PAYMENT,
        EntryKind.REFUND,
        EntryKind.SETTLEMENT,
    ]
    async with runtime.db.session(write=False) as session:
        settlement = await session.scalar(
            select(JournalEntry).where(
                JournalEntry.order_id == order["id"], JournalEntry.kind == EntryKind.SETTLEMENT
            )
        )
        postings = await session.scalars(select(Posting).where(Posting.entry_id == settlement.id))
        assert list(postings) == []
    kinds = await order_kinds(runtime, order["id"])
    assert {kind: amount for kind, amount in kinds.items() if amount} == {
        K.PROVIDER_CLEARING: -order["payable_fen"],
        K.SHOPPER_REFUNDS: order["payable_fen"],
    }
    assert (await report(runtime)).violations == []


async def test_a_refund_after_settlement_takes_money_back_from_available_and_the_fee(
    api, runtime, runner, worker
):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[2], 2)])
    paid = order["payable_fen"]
    await complete(market, order["id"])
    await worker.drain(after_sales_closed())
    await refund(runner, market, order["id"], {order["lines"][0]["id"]: 5000})
    kinds = await order_kinds(runtime, order["id"])
    assert kinds[K.PLATFORM_FEE] == fee_of(paid - 5000)
    assert kinds[K.STORE_AVAILABLE] == paid - 5000 - fee_of(paid - 5000)
    assert kinds[K.STORE_FROZEN] == kinds[K.STORE_FEE_HELD] == 0
    assert (await report(runtime)).violations == []


async def test_paying_a_cancelled_order_is_posted_as_unexpected_and_returned(api, runtime, runner):
    market = await open_market(api, shipping=False)
    order = await place(market, [(market.skus[0], 1)])
    payment = await api.start_payment(market.shopper, order["id"])
    await runtime.components["sandbox_gateway"].pay(payment["out_trade_no"])
    # The shopper cancels while the payment's callback is on its way.
    expect(
        await api.client.post(
            f"/api/v1/me/orders/{order['id']}/cancel", json={}, headers=market.shopper
        ),
        200,
    )
    await runner.run()
    assert await entry_kinds(runtime, order["id"]) == [
        EntryKind.UNEXPECTED_PAYMENT,
        EntryKind.REFUND,
    ]
    terms = await order_terms(runtime, order["id"])
    assert terms[Term.PAID] == terms[Term.REFUNDED] == 1999
    assert terms[Term.PLATFORM] == terms[Term.STORE_FROZEN] == 0
    assert (await report(runtime)).violations == []


async def test_entries_and_postings_are_never_edited(api, runtime):
    market = await open_market(api, shipping=False)
    order = await paid_order(market, [(market.skus[0], 1)])
    with pytest.raises(RuntimeError, match="append-only"):
        async with runtime.db.transaction() as session:
            posting = await session.scalar(select(Posting).where(Posting.order_id == order["id"]))
            posting.amount_fen += 1
            await session.flush()
    with pytest.raises(RuntimeError, match="append-only"):
        async with runtime.db.transaction() as session:
            entry = await session.scalar(
                select(JournalEntry).where(JournalEntry.order_id == order["id"])
            )
            await session.delete(entry)
            await session.flush()
    assert (await report(runtime)).violations == []


async def test_an_entry_that_does_not_balance_is_refused(api, runtime):
    market = await open_market(api, shipping=False)
    order = await paid_order(market, [(market.skus[0], 1)])
    source = Source(EntryKind.REFUND, "test:unbalanced", market.store_id, order["id"], "坏账")
    with pytest.raises(UnbalancedEntry):
        async with runtime.db.transaction() as session:
            await journal.post(
                session, source, [Leg(K.STORE_FROZEN, -5), Leg(K.SHOPPER_REFUNDS, 4)]
            )
    assert await entry_kinds(runtime, order["id"]) == [EntryKind.PAYMENT]
