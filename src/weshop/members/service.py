"""Members: what checkout, orders and the worker call, and what shoppers and staff read.

Contracts for the callers (every function runs in the caller's transaction, never commits):

* ``member_pricing`` reads only.
* ``spend_points`` at checkout, ``refund_points`` when that order is cancelled,
  ``earn_for_completed_order`` when an order completes: each acts at most once per order.
  When one order spends at several stores, call in ascending store id (lock order).
* ``return_points_for_refund`` and ``claw_back_for_refund`` when a refund of an order
  succeeds: each computes what is due from the order's totals, so the returns (claw-backs)
  of all its refunds add up exactly, and a repeat does nothing.
* A raised error means the caller's transaction must roll back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.core.clock import utcnow
from weshop.core.db import lock_row
from weshop.core.errors import Conflict, InvalidInput, NotFound
from weshop.core.money import allocate
from weshop.core.pagination import paginate
from weshop.core.read_cache import kept_read
from weshop.core.tenancy import StoreScope
from weshop.members import points_book
from weshop.members import repository as repo
from weshop.members.levels import next_level
from weshop.members.models import MemberLevel, MemberRules, Membership, PointsEntry, PointsKind
from weshop.members.schemas import RulesIn
from weshop.pricing.inputs import MemberDiscount, PointsOffer
from weshop.stores.models import Store


@dataclass(frozen=True)
class Earned:
    points: int
    growth: int
    level_id: int | None
    level_changed: bool


@dataclass(frozen=True)
class MembershipView:
    membership: Membership
    store: Store
    level: MemberLevel | None
    next_level: MemberLevel | None
    usable_points: int
    fen_per_point: int


def default_rules(store_id: int) -> MemberRules:
    return MemberRules(store_id=store_id, **RulesIn().model_dump())


async def rules_for(session: AsyncSession, store_id: int) -> MemberRules:
    """The store's rules, or the defaults (unsaved) when it never set any."""
    return await repo.rules(session, store_id) or default_rules(store_id)


async def put_rules(session: AsyncSession, scope: StoreScope, data: RulesIn) -> MemberRules:
    await lock_row(session, Store, scope.store_id)
    rules = await repo.rules(session, scope.store_id)
    if rules is None:
        rules = default_rules(scope.store_id)
        session.add(rules)
    for name, value in data.model_dump().items():
        setattr(rules, name, value)
    await session.flush()
    return rules


# For checkout and pricing


AllPoints = Literal["all"]
# A points request for as many points as the balance holds; pricing caps them by the share.
ALL_POINTS: AllPoints = "all"


@dataclass(frozen=True)
class MemberPricing:
    """What the shopper's memberships give a checkout: level prices and points to spend."""

    discounts: tuple[MemberDiscount, ...]
    points: tuple[PointsOffer, ...]


async def member_pricing(
    session: AsyncSession,
    user_id: int,
    store_ids: Iterable[int],
    requested: Mapping[int, int | AllPoints],
    now: datetime | None = None,
) -> MemberPricing:
    """Both pricing inputs of members, from one read of the shopper's memberships.

    ``discounts``: one ``MemberDiscount`` per store of ``store_ids`` where the shopper's level
    pays less than 100%, ordered by store id, covering every line of that store; none where
    the shopper is no member or at a level without a discount.

    ``points``: one ``PointsOffer`` per store where the shopper has spendable points and the
    store lets points pay (``max_share_percent`` > 0), ordered by store id. ``balance``
    excludes points already past their expiry; ``requested`` is what the shopper asked to
    spend there (0 when absent, the whole balance for ``ALL_POINTS``; the pricing core caps
    it by the balance and the share). Requests for other stores are ignored; a negative
    request is bad input.

    The memberships, levels, rules and unspent lots are kept between calls until one of them
    changes (core.read_cache); what has lapsed is counted at ``now`` on each call."""
    if any(points != ALL_POINTS and points < 0 for points in requested.values()):
        raise InvalidInput("points to spend cannot be negative", code="invalid_points")
    now = now or utcnow()
    wanted = tuple(sorted(set(store_ids)))
    facts = await kept_read(
        session,
        ("member_pricing", user_id, wanted),
        lambda: _pricing_facts(session, user_id, wanted),
    )
    offers = []
    for fact in facts:
        lapsed = sum(left for expires_at, left in fact.lots if expires_at <= now)
        balance = fact.points_balance - lapsed
        if balance <= 0 or fact.max_share_percent == 0:
            continue
        asked = requested.get(fact.store_id, 0)
        offers.append(
            PointsOffer(
                store_id=fact.store_id,
                balance=balance,
                requested=balance if asked == ALL_POINTS else asked,
                fen_per_point=fact.fen_per_point,
                max_share_percent=fact.max_share_percent,
            )
        )
    return MemberPricing(
        discounts=tuple(fact.discount for fact in facts if fact.discount is not None),
        points=tuple(offers),
    )


@dataclass(frozen=True)
class _PricingFacts:
    """What pricing needs of one membership, as read (immutable, so it may be kept)."""

    store_id: int
    points_balance: int
    discount: MemberDiscount | None
    fen_per_point: int
    max_share_percent: int
    # (expires_at, remaining) of the lots not yet spent that will expire.
    lots: tuple[tuple[datetime, int], ...]


async def _pricing_facts(
    session: AsyncSession, user_id: int, store_ids: tuple[int, ...]
) -> tuple[_PricingFacts, ...]:
    memberships = [m for m, _ in await repo.memberships_of_user(session, user_id, store_ids)]
    if not memberships:
        return ()
    levels = await repo.levels_by_id(session, [m.level_id for m in memberships if m.level_id])
    rules = await repo.rules_of(session, [m.store_id for m in memberships])
    lots = await repo.expiring_lots(session, [(m.store_id, user_id) for m in memberships])
    facts = []
    for membership in memberships:
        level = levels.get(membership.level_id) if membership.level_id else None
        store_rules = rules.get(membership.store_id) or default_rules(membership.store_id)
        facts.append(
            _PricingFacts(
                store_id=membership.store_id,
                points_balance=membership.points_balance,
                discount=MemberDiscount(
                    store_id=membership.store_id,
                    level_id=level.id,
                    level_name=level.name,
                    pay_percent=level.pay_percent,
                )
                if level is not None and level.pay_percent < 100
                else None,
                fen_per_point=store_rules.fen_per_point,
                max_share_percent=store_rules.max_share_percent,
                lots=tuple(lots.get((membership.store_id, user_id), ())),
            )
        )
    return tuple(facts)


async def spend_points(
    session: AsyncSession,
    store_id: int,
    user_id: int,
    points: int,
    order_id: int,
    now: datetime | None = None,
) -> PointsEntry:
    """Spend ``points`` (>= 1) of the shopper's balance at the store for ``order_id``.

    Raises ``Conflict(code="not_enough_points")`` when the balance (after lapsing expired
    points) is short, however many spends race: the member's row is locked and the balance
    moves by a conditional UPDATE. Raises ``Conflict(code="points_already_spent")`` when the
    order already spent points. Returns the spend entry (``delta`` = -points).
    """
    if points < 1:
        raise InvalidInput("points to spend must be positive", code="invalid_points")
    now = now or utcnow()
    membership = await points_book.locked_membership(session, store_id, user_id)
    if membership is None:
        raise Conflict(
            "not enough points", code="not_enough_points", details={"balance": 0, "wanted": points}
        )
    if await repo.entry_for_order(session, PointsKind.SPEND, order_id, store_id) is not None:
        raise Conflict("this order already spent points", code="points_already_spent")
    return await points_book.debit(
        session, membership, PointsKind.SPEND, points, f"order {order_id}", now, order_id=order_id
    )


async def refund_points(session: AsyncSession, order_id: int, now: datetime | None = None) -> int:
    """Give back what is left of the points ``order_id`` spent (the order is cancelled):
    returns how many (0 when it spent none or they all came back already, by this or by
    refunds). They return as a new lot that expires when the latest of the lots they came
    from would have (at once if that has passed)."""
    return await _give_back_spent(session, order_id, None, lambda spent: spent, now or utcnow())


async def return_points_for_refund(
    session: AsyncSession,
    order_id: int,
    refund_id: int,
    refunded_fen: int,
    paid_fen: int,
    now: datetime,
) -> int:
    """A refund of ``order_id`` succeeded and ``refunded_fen`` of the ``paid_fen`` it paid
    have now come back: the points it spent come back in the same proportion. Counted from
    the totals (spent × refunded ÷ paid, split by the allocator, less what came back
    before), so that the returns of all its refunds add up to what it spent once the whole
    payment is refunded, and a repeat gives nothing. Returns how many came back."""
    if paid_fen <= 0:
        return 0
    kept = max(paid_fen - refunded_fen, 0)

    def due(spent: int) -> int:
        return allocate(spent, [paid_fen - kept, kept])[0]

    return await _give_back_spent(session, order_id, refund_id, due, now)


async def _give_back_spent(
    session: AsyncSession,
    order_id: int,
    refund_id: int | None,
    due: Callable[[int], int],
    now: datetime,
) -> int:
    """Credit the points ``due(spent)`` says should be back by now, less those already
    back, under the member's lock."""
    spend = await repo.entry_for_order(session, PointsKind.SPEND, order_id)
    if spend is None:
        return 0
    membership = await points_book.locked_membership(session, spend.store_id, spend.user_id)
    if membership is None:  # pragma: no cover - a spend always has its membership
        return 0
    back, _, _ = await repo.order_sums(session, PointsKind.REFUND, order_id, spend.store_id)
    points = due(-spend.delta) - back
    if points <= 0:
        return 0
    reason = f"order {order_id} refunded" if refund_id is None else f"order {order_id} refund"
    await points_book.credit(
        session,
        membership,
        PointsKind.REFUND,
        points,
        reason,
        now,
        expires_at=spend.expires_at,
        order_id=order_id,
        refund_id=refund_id,
        source_entry_id=spend.id,
    )
    return points


@dataclass(frozen=True)
class ClawedBack:
    points: int
    growth: int
    owed: int
    level_changed: bool


async def claw_back_for_refund(
    session: AsyncSession, order_id: int, refund_id: int, kept_fen: int, now: datetime
) -> ClawedBack | None:
    """A refund of the completed ``order_id`` succeeded and the shopper now keeps
    ``kept_fen`` of it: what the order earned is taken back in proportion to what was earned
    on and is no longer kept. Counted from the totals like :func:`return_points_for_refund`,
    so a whole refund takes back exactly what was earned and a repeat takes nothing.

    The policy when the balance is short (the points were spent or lapsed): take what there
    is, never below zero, and record the rest as owed; the shopper's next earnings at the
    store pay it off first (:func:`earn_for_completed_order`). Growth is always taken in full
    and the member's level follows it down. None when the order earned nothing (not
    completed, or completed for nothing) or nothing more is due."""
    earn = await repo.entry_for_order(session, PointsKind.EARN, order_id)
    if earn is None or not earn.basis_fen:
        return None
    membership = await points_book.locked_membership(session, earn.store_id, earn.user_id)
    if membership is None:  # pragma: no cover - an earning always has its membership
        return None
    kept = min(max(kept_fen, 0), earn.basis_fen)
    weights = [earn.basis_fen - kept, kept]
    taken, growth_taken, owed = await repo.order_sums(
        session, PointsKind.CLAWBACK, order_id, earn.store_id
    )
    points = allocate(earn.delta, weights)[0] - (owed - taken)
    growth = allocate(earn.growth_delta, weights)[0] + growth_taken
    if points <= 0 and growth <= 0:
        return None
    entry = await points_book.take_back(
        session,
        membership,
        PointsKind.CLAWBACK,
        max(points, 0),
        max(growth, 0),
        f"order {order_id} refund",
        now,
        order_id=order_id,
        refund_id=refund_id,
    )
    changed = await points_book.relevel(session, membership)
    return ClawedBack(-entry.delta, -entry.growth_delta, entry.owed_delta, changed)


async def earn_for_completed_order(
    session: AsyncSession,
    store_id: int,
    user_id: int,
    order_id: int,
    paid_fen: int,
    now: datetime,
) -> Earned | None:
    """Credit growth and points for a completed order, once (None on a repeat).

    growth = paid_fen × growth_per_yuan ÷ 100 and points = paid_fen × points_per_yuan ÷ 100,
    both rounded down; the points lapse ``points_expire_days`` after ``now``. Points that
    refunds' claw-backs left owed are paid off from them first (a repay entry). Makes the
    shopper a member if needed and moves them to the level their growth reaches.
    """
    if paid_fen < 0:
        raise InvalidInput("paid amount cannot be negative", code="invalid_amount")
    membership = await points_book.locked_membership(session, store_id, user_id, create=True)
    assert membership is not None
    if await repo.entry_for_order(session, PointsKind.EARN, order_id, store_id) is not None:
        return None
    rules = await rules_for(session, store_id)
    growth = paid_fen * rules.growth_per_yuan // 100
    points = paid_fen * rules.points_per_yuan // 100
    days = rules.points_expire_days
    await points_book.credit(
        session,
        membership,
        PointsKind.EARN,
        points,
        f"order {order_id} completed",
        now,
        expires_at=now + timedelta(days=days) if days else None,
        growth=growth,
        order_id=order_id,
        basis_fen=paid_fen,
    )
    repaid = min(points, membership.points_owed)
    if repaid:
        await points_book.debit(
            session,
            membership,
            PointsKind.REPAY,
            repaid,
            f"owed points paid from order {order_id}",
            now,
            owed=-repaid,
            order_id=order_id,
        )
    changed = await points_book.relevel(session, membership)
    return Earned(points, growth, membership.level_id, changed)


async def expire_points(session: AsyncSession, now: datetime, *, limit: int = 200) -> int:
    """Lapse every lot past its expiry, for at most ``limit`` members; returns the points
    taken. Members are locked one by one in (store, user) order."""
    total = 0
    for store_id, user_id in await repo.members_with_due_lots(session, now, limit):
        membership = await points_book.locked_membership(session, store_id, user_id)
        if membership is not None:
            total += await points_book.expire_member(session, membership, now)
    return total


async def more_points_due(session: AsyncSession, now: datetime) -> bool:
    """Whether some lot is still past its expiry (a capped ``expire_points`` left work)."""
    return bool(await repo.members_with_due_lots(session, now, 1))


# For staff


async def adjust_points(
    session: AsyncSession,
    scope: StoreScope,
    user_id: int,
    delta: int,
    reason: str,
    now: datetime | None = None,
) -> tuple[PointsEntry, Membership]:
    """Grant (expiring like earned points) or take points by hand, with the staff's reason."""
    now = now or utcnow()
    membership = await points_book.locked_membership(session, scope.store_id, user_id)
    if membership is None:
        raise NotFound("no such member")
    if delta < 0:
        entry = await points_book.debit(
            session, membership, PointsKind.ADJUST, -delta, reason, now, actor_id=scope.actor_id
        )
        return entry, membership
    days = (await rules_for(session, scope.store_id)).points_expire_days
    entry = await points_book.credit(
        session,
        membership,
        PointsKind.ADJUST,
        delta,
        reason,
        now,
        expires_at=now + timedelta(days=days) if days else None,
        actor_id=scope.actor_id,
    )
    return entry, membership


async def store_member(session: AsyncSession, scope: StoreScope, user_id: int) -> Membership:
    membership = await repo.membership(session, scope.store_id, user_id)
    if membership is None:
        raise NotFound("no such member")
    return membership


async def list_members(
    session: AsyncSession,
    scope: StoreScope,
    *,
    level_id: int | None,
    phone_index: str | None,
    cursor: str | None,
    limit: int,
) -> list[Membership]:
    """Newest members first (``limit + 1`` rows)."""
    query = repo.store_members_query(scope.store_id, level_id, phone_index)
    return list(await session.scalars(paginate(query, Membership, cursor, limit)))


async def member_people(
    session: AsyncSession, memberships: list[Membership], now: datetime | None = None
) -> tuple[dict[int, User], dict[int, MemberLevel], dict[tuple[int, int], int]]:
    """Users, levels and lapsed-but-unswept points of a page of members."""
    now = now or utcnow()
    users = await repo.users(session, [m.user_id for m in memberships])
    levels = await repo.levels_by_id(session, [m.level_id for m in memberships if m.level_id])
    lapsed = await repo.lapsed_points(session, [(m.store_id, m.user_id) for m in memberships], now)
    return users, levels, lapsed


async def points_ledger(
    session: AsyncSession, store_id: int, user_id: int, cursor: str | None, limit: int
) -> list[PointsEntry]:
    """A member's entries, newest first (``limit + 1`` rows); 404 for a non-member."""
    if await repo.membership(session, store_id, user_id) is None:
        raise NotFound("no membership at this store")
    query = repo.ledger_query(store_id, user_id)
    return list(await session.scalars(paginate(query, PointsEntry, cursor, limit)))


# For shoppers


async def my_memberships(
    session: AsyncSession, user_id: int, now: datetime | None = None
) -> list[MembershipView]:
    now = now or utcnow()
    rows = await repo.memberships_of_user(session, user_id)
    store_ids = [m.store_id for m, _ in rows]
    lapsed = await repo.lapsed_points(session, [(s, user_id) for s in store_ids], now)
    rules = await repo.rules_of(session, store_ids)
    ladders = await repo.levels_of_stores(session, store_ids)
    views = []
    for membership, store in rows:
        levels = ladders.get(store.id, [])
        store_rules = rules.get(store.id) or default_rules(store.id)
        views.append(
            MembershipView(
                membership=membership,
                store=store,
                level=next((lv for lv in levels if lv.id == membership.level_id), None),
                next_level=next_level(levels, membership.growth_value),
                usable_points=membership.points_balance - lapsed.get((store.id, user_id), 0),
                fen_per_point=store_rules.fen_per_point,
            )
        )
    return views


def pricing_versions(user_id: ColumnElement[Any], store_ids: Select) -> list[Select]:
    """Versions of what ``member_pricing`` reads for the shopper in the stores ``store_ids``
    selects (``core.versions``)."""
    return repo.pricing_versions(user_id, store_ids)
