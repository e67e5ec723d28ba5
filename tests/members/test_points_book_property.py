"""Property: over any sequence of earns, spends, refunds, adjustments and expiry runs, the
cached balance equals the ledger's sum and the unspent lots, never drops below zero, and
matches a plain model of first-to-expire-first-out lots."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.members.support import bare_member, ledger_totals
from weshop.core.errors import Conflict
from weshop.core.tenancy import StoreScope
from weshop.members import service
from weshop.members.models import MemberRules
from weshop.members.points_book import ensure_membership
from weshop.members.schemas import RulesIn

START = datetime(2025, 1, 1, tzinfo=UTC)
EXPIRE_DAYS = 10
ORDER_IDS = itertools.count(1)

steps = st.lists(
    st.tuples(
        st.sampled_from(["earn", "spend", "refund", "grant", "take", "expire"]),
        st.integers(min_value=0, max_value=40_000),  # fen, points or which order
        st.integers(min_value=0, max_value=6),  # days that pass first
    ),
    min_size=1,
    max_size=25,
)


@dataclass
class Model:
    """Lots as [expires_at, remaining, seq]; spends remember their latest lot expiry."""

    lots: list[list] = field(default_factory=list)
    spends: dict[int, tuple[int, datetime]] = field(default_factory=dict)
    refunded: set[int] = field(default_factory=set)
    seq: int = 0

    def lapse(self, now: datetime) -> None:
        self.lots = [lot for lot in self.lots if lot[0] > now and lot[1] > 0]

    def balance(self) -> int:
        return sum(lot[1] for lot in self.lots)

    def add(self, points: int, expires_at: datetime, now: datetime) -> None:
        self.seq += 1
        if points:
            self.lots.append([expires_at, points, self.seq])
        self.lapse(now)

    def take(self, points: int, now: datetime) -> datetime | None:
        self.lapse(now)
        if self.balance() < points:
            return None
        latest = None
        for lot in sorted(self.lots, key=lambda lot: (lot[0], lot[2])):
            taken = min(lot[1], points)
            if taken:
                lot[1] -= taken
                points -= taken
                latest = lot[0] if latest is None else max(latest, lot[0])
        return latest


async def take(runtime, scope: StoreScope, model: Model, action, points, order_id, now) -> None:
    """A spend or a manual take in its own transaction: a refusal rolls it back."""
    expected = model.take(points, now)
    try:
        async with runtime.db.transaction() as session:
            if action == "spend":
                await service.spend_points(
                    session, scope.store_id, scope.actor_id, points, order_id, now
                )
            else:
                await service.adjust_points(session, scope, scope.actor_id, -points, "扣", now)
    except Conflict as exc:
        assert exc.code == "not_enough_points" and expected is None
        return
    assert expected is not None, "spent more than the model holds"
    if action == "spend":
        model.spends[order_id] = (points, expected)


async def refund(session, model: Model, pick: int, now: datetime) -> None:
    target = sorted(model.spends)[pick % len(model.spends)] if model.spends else 0
    back = await service.refund_points(session, target, now)
    if target in model.spends and target not in model.refunded:
        points, expires_at = model.spends[target]
        assert back == points
        model.refunded.add(target)
        model.add(points, expires_at, now)
    else:
        assert back == 0


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
async def test_ledger_sums_equal_the_balance(runtime, steps):
    store_id, user_id = await bare_member(runtime)
    async with runtime.db.transaction() as session:
        rules = RulesIn(points_expire_days=EXPIRE_DAYS).model_dump()
        session.add(MemberRules(store_id=store_id, **rules))
        await ensure_membership(session, store_id, user_id)
    scope = StoreScope(store_id=store_id, actor_id=user_id, role="owner")
    model, now = Model(), START
    for action, amount, days in steps:
        order_id = next(ORDER_IDS)  # order ids are global, as the orders table makes them
        now += timedelta(days=days)
        if action in ("spend", "take"):
            await take(runtime, scope, model, action, amount // 100 + 1, order_id, now)
        async with runtime.db.transaction() as session:
            if action == "earn":
                await service.earn_for_completed_order(
                    session, store_id, user_id, order_id, amount, now
                )
                model.add(amount // 100, now + timedelta(days=EXPIRE_DAYS), now)
            elif action == "grant":
                points = amount // 100 + 1
                await service.adjust_points(session, scope, user_id, points, "赠", now)
                model.add(points, now + timedelta(days=EXPIRE_DAYS), now)
            elif action == "refund":
                await refund(session, model, amount, now)
            elif action == "expire":
                await service.expire_points(session, now)
                model.lapse(now)
        balance, deltas, remaining, _ = await ledger_totals(runtime, store_id, user_id)
        assert balance == deltas == remaining >= 0
        # After a sweep, the balance is exactly what the model's live lots hold.
        async with runtime.db.transaction() as session:
            await service.expire_points(session, now)
        model.lapse(now)
        balance, deltas, remaining, _ = await ledger_totals(runtime, store_id, user_id)
        assert balance == deltas == remaining == model.balance()
