"""Points through the service contracts: once per order, never below zero, FIFO expiry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.members.support import bare_member, ledger_totals
from weshop.core.clock import utcnow
from weshop.core.errors import Conflict, InvalidInput
from weshop.core.outbox import OutboxMessage
from weshop.core.tenancy import StoreScope
from weshop.core.worker import Worker
from weshop.members import service
from weshop.members.models import MemberRules, PointsEntry, PointsKind
from weshop.members.points_book import EXPIRE_TOPIC
from weshop.members.schemas import RulesIn
from weshop.members.tasks import registry as members_tasks
from weshop.pricing.inputs import PointsOffer

T0 = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)


async def earn(runtime, store_id, user_id, order_id, paid_fen, now=T0):
    async with runtime.db.transaction() as session:
        return await service.earn_for_completed_order(
            session, store_id, user_id, order_id, paid_fen, now
        )


async def spend(runtime, store_id, user_id, points, order_id, now=T0):
    async with runtime.db.transaction() as session:
        return await service.spend_points(session, store_id, user_id, points, order_id, now)


async def refund(runtime, order_id, now=T0):
    async with runtime.db.transaction() as session:
        return await service.refund_points(session, order_id, now)


async def set_rules(runtime, store_id, **values):
    async with runtime.db.transaction() as session:
        session.add(MemberRules(store_id=store_id, **{**RulesIn().model_dump(), **values}))


async def entries(runtime, store_id, user_id) -> list[PointsEntry]:
    async with runtime.db.session(write=False) as session:
        rows = await session.scalars(
            select(PointsEntry)
            .where(PointsEntry.store_id == store_id, PointsEntry.user_id == user_id)
            .order_by(PointsEntry.id)
        )
        return list(rows)


async def assert_consistent(runtime, store_id, user_id) -> int:
    balance, deltas, remaining, _ = await ledger_totals(runtime, store_id, user_id)
    assert balance == deltas == remaining >= 0
    return balance


async def test_earning_happens_once_per_order(runtime):
    store_id, user_id = await bare_member(runtime)
    await set_rules(runtime, store_id, growth_per_yuan=3, points_per_yuan=2)
    first = await earn(runtime, store_id, user_id, 77, 12345)
    assert (first.points, first.growth) == (246, 370)  # 123.45 yuan, rounded down
    assert await earn(runtime, store_id, user_id, 77, 12345) is None
    assert await earn(runtime, store_id, user_id, 77, 99999) is None
    balance, _, _, growth = await ledger_totals(runtime, store_id, user_id)
    assert (balance, growth) == (246, 370)
    (entry,) = await entries(runtime, store_id, user_id)
    assert entry.kind == PointsKind.EARN and entry.order_id == 77
    assert entry.expires_at == T0 + timedelta(days=365) and entry.remaining == 246


async def test_concurrent_earns_for_one_order_count_once(runtime):
    store_id, user_id = await bare_member(runtime)
    results = await asyncio.gather(
        *(earn(runtime, store_id, user_id, 5, 10000) for _ in range(5)), return_exceptions=True
    )
    assert [r for r in results if isinstance(r, Exception)] == []
    assert sum(1 for r in results if r is not None) == 1
    assert await assert_consistent(runtime, store_id, user_id) == 100


async def test_spending_checks_the_balance_and_the_order(runtime):
    store_id, user_id = await bare_member(runtime)
    with pytest.raises(Conflict) as raised:
        await spend(runtime, store_id, user_id, 1, 1)  # not even a member yet
    assert raised.value.code == "not_enough_points"
    await earn(runtime, store_id, user_id, 1, 10000)  # 100 points
    with pytest.raises(Conflict) as raised:
        await spend(runtime, store_id, user_id, 101, 2)
    assert raised.value.code == "not_enough_points"
    with pytest.raises(InvalidInput):
        await spend(runtime, store_id, user_id, 0, 2)
    entry = await spend(runtime, store_id, user_id, 60, 2)
    assert entry.delta == -60 and entry.kind == PointsKind.SPEND
    with pytest.raises(Conflict) as raised:
        await spend(runtime, store_id, user_id, 10, 2)
    assert raised.value.code == "points_already_spent"
    assert await assert_consistent(runtime, store_id, user_id) == 40


async def test_ten_concurrent_spends_never_go_below_zero(runtime):
    store_id, user_id = await bare_member(runtime)
    await earn(runtime, store_id, user_id, 1, 10000)  # 100 points

    async def attempt(order_id: int) -> str:
        try:
            await spend(runtime, store_id, user_id, 30, order_id)
        except Conflict as exc:
            return exc.code
        return "spent"

    outcomes = await asyncio.gather(*(attempt(1000 + i) for i in range(10)))
    assert outcomes.count("spent") == 3
    assert outcomes.count("not_enough_points") == 7
    assert await assert_consistent(runtime, store_id, user_id) == 10


async def test_concurrent_spends_across_one_order_count_once(runtime):
    store_id, user_id = await bare_member(runtime)
    await earn(runtime, store_id, user_id, 1, 100000)

    async def attempt() -> str:
        try:
            await spend(runtime, store_id, user_id, 10, 42)
        except Conflict as exc:
            return exc.code
        return "spent"

    outcomes = await asyncio.gather(*(attempt() for _ in range(10)))
    assert outcomes.count("spent") == 1
    assert await assert_consistent(runtime, store_id, user_id) == 990


async def test_refund_gives_back_once(runtime):
    store_id, user_id = await bare_member(runtime)
    await earn(runtime, store_id, user_id, 1, 10000)
    await spend(runtime, store_id, user_id, 70, 2)
    assert await refund(runtime, 404) == 0  # an order that spent nothing
    results = await asyncio.gather(*(refund(runtime, 2) for _ in range(5)))
    assert sorted(results) == [0, 0, 0, 0, 70]
    assert await refund(runtime, 2) == 0
    assert await assert_consistent(runtime, store_id, user_id) == 100
    kinds = [(e.kind, e.delta) for e in await entries(runtime, store_id, user_id)]
    assert kinds == [(PointsKind.EARN, 100), (PointsKind.SPEND, -70), (PointsKind.REFUND, 70)]
    # The refunded points keep the expiry of the lot they came from.
    refund_entry = (await entries(runtime, store_id, user_id))[-1]
    assert refund_entry.expires_at == T0 + timedelta(days=365)
    assert refund_entry.source_entry_id == (await entries(runtime, store_id, user_id))[1].id


async def test_points_expire_first_in_first_out(runtime):
    store_id, user_id = await bare_member(runtime)
    await set_rules(runtime, store_id, points_expire_days=30)
    await earn(runtime, store_id, user_id, 1, 10000, now=T0)  # 100, lapse T0+30d
    await earn(runtime, store_id, user_id, 2, 5000, now=T0 + timedelta(days=10))  # 50, T0+40d
    # A spend takes the lot that lapses first.
    await spend(runtime, store_id, user_id, 80, 3, now=T0 + timedelta(days=20))
    lots = {e.order_id: e.remaining for e in await entries(runtime, store_id, user_id)}
    assert (lots[1], lots[2]) == (20, 50)

    async with runtime.db.transaction() as session:
        assert await service.expire_points(session, T0 + timedelta(days=29)) == 0
    async with runtime.db.transaction() as session:
        assert await service.expire_points(session, T0 + timedelta(days=30)) == 20
    assert await assert_consistent(runtime, store_id, user_id) == 50
    async with runtime.db.transaction() as session:
        assert await service.expire_points(session, T0 + timedelta(days=30)) == 0  # once
    async with runtime.db.transaction() as session:
        assert await service.expire_points(session, T0 + timedelta(days=41)) == 50
    assert await assert_consistent(runtime, store_id, user_id) == 0
    expired = [e for e in await entries(runtime, store_id, user_id) if e.kind == "expire"]
    assert [(e.delta, e.created_at) for e in expired] == [
        (-20, T0 + timedelta(days=30)),
        (-50, T0 + timedelta(days=41)),
    ]

    # Refunding a spend whose lots have lapsed meanwhile gives the points back already lapsed.
    assert await refund(runtime, 3, now=T0 + timedelta(days=50)) == 80
    assert await assert_consistent(runtime, store_id, user_id) == 0


async def test_a_spend_never_uses_lapsed_points_the_job_has_not_swept(runtime):
    store_id, user_id = await bare_member(runtime)
    await set_rules(runtime, store_id, points_expire_days=1)
    await earn(runtime, store_id, user_id, 1, 10000)
    later = T0 + timedelta(days=2)
    async with runtime.db.session(write=False) as session:
        assert (await service.member_pricing(session, user_id, [store_id], {}, later)).points == ()
    with pytest.raises(Conflict):
        await spend(runtime, store_id, user_id, 1, 2, now=later)


async def test_the_expiry_job_runs_from_the_outbox(runtime):
    store_id, user_id = await bare_member(runtime)
    await set_rules(runtime, store_id, points_expire_days=7)
    await earn(runtime, store_id, user_id, 1, 10000)
    await earn(runtime, store_id, user_id, 2, 10000, now=T0 + timedelta(minutes=5))
    async with runtime.db.session(write=False) as session:
        queued = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.topic == EXPIRE_TOPIC))
        ).all()
    # Both lots lapse in the same hour: one run, at the top of the next hour.
    assert [m.due_at for m in queued] == [datetime(2025, 3, 8, 9, 0, tzinfo=UTC)]

    worker = Worker(runtime.db, members_tasks, runtime)
    assert await worker.run_once(T0 + timedelta(days=6)) == 0
    assert await worker.run_once(datetime(2025, 3, 8, 9, 0, tzinfo=UTC)) == 1
    assert await assert_consistent(runtime, store_id, user_id) == 0


async def test_points_offers_for_pricing(runtime):
    store_id, user_id = await bare_member(runtime)
    other_store, _ = await bare_member(runtime)
    stingy_store, _ = await bare_member(runtime)
    await set_rules(runtime, store_id, fen_per_point=2, max_share_percent=30)
    await set_rules(runtime, stingy_store, max_share_percent=0)
    await earn(runtime, store_id, user_id, 1, 10000)
    await earn(runtime, stingy_store, user_id, 2, 10000)
    async with runtime.db.session(write=False) as session:
        offers = (
            await service.member_pricing(
                session, user_id, [store_id, other_store, stingy_store], {store_id: 40, 999: 5}, T0
            )
        ).points
        with pytest.raises(InvalidInput):
            await service.member_pricing(session, user_id, [store_id], {store_id: -1})
        everything = (
            await service.member_pricing(
                session, user_id, [store_id], {store_id: service.ALL_POINTS}, T0
            )
        ).points
    assert offers == (
        PointsOffer(
            store_id=store_id, balance=100, requested=40, fen_per_point=2, max_share_percent=30
        ),
    )
    # "all" asks for the whole balance; pricing then caps it by the store's share.
    assert [(offer.balance, offer.requested) for offer in everything] == [(100, 100)]


async def test_manual_adjustments_through_the_service(runtime):
    store_id, user_id = await bare_member(runtime)
    scope = StoreScope(store_id=store_id, actor_id=user_id, role="owner")
    async with runtime.db.transaction() as session:
        with pytest.raises(Exception) as raised:
            await service.adjust_points(session, scope, user_id, 10, "补偿")
    assert raised.value.status_code == 404  # not a member
    await earn(runtime, store_id, user_id, 1, 1000, now=utcnow())  # 10 points
    async with runtime.db.transaction() as session:
        entry, membership = await service.adjust_points(session, scope, user_id, 25, "补偿")
    assert (entry.delta, entry.reason, entry.actor_id) == (25, "补偿", user_id)
    assert membership.points_balance == 35
    with pytest.raises(Conflict):
        async with runtime.db.transaction() as session:
            await service.adjust_points(session, scope, user_id, -36, "扣回")
    async with runtime.db.transaction() as session:
        await service.adjust_points(session, scope, user_id, -35, "扣回")
    assert await assert_consistent(runtime, store_id, user_id) == 0
