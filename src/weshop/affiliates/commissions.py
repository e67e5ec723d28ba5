"""Commission rows: one per attributed order line and level, moved along by the order's
events in their own transactions (:mod:`weshop.affiliates.events`).

    estimated (order placed) -> frozen (paid) -> settled (after-sales window closed)
    estimated | frozen -> cancelled (closed unpaid, or refunded in full before settlement)

Amounts come only from :mod:`weshop.affiliates.commission`, recomputed from the facts (the
line's payable at order and its succeeded refunds), never incremented: a replayed event
finds them already right. A refund after settlement cannot take the promoter's money back
at the provider (WeChat Pay returns splits from merchant receivers only), so it is carried:
``clawed_back_fen`` is set against the promoter's next settlement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates.commission import (
    MAX_RATE_BPS,
    Level,
    claw_back,
    commission_base,
    commissions,
)
from weshop.affiliates.models import (
    AffiliatePlan,
    Commission,
    CommissionStatus,
    LineAttribution,
    Promoter,
    PromoterStatus,
)
from weshop.affiliates.promoters import Policy
from weshop.affiliates.state import COMMISSION_MACHINE
from weshop.ledger.announcements import (
    CommissionClawedBack,
    CommissionDue,
    CommissionPaid,
    OwedCommissionPaid,
)
from weshop.orders.events import OrdersPlaced
from weshop.payments.models import Refund, RefundPart, RefundStatus

C = CommissionStatus
log = structlog.get_logger(__name__)


async def estimate(
    session: AsyncSession,
    placed: OrdersPlaced,
    attributions: Sequence[LineAttribution],
    policy: Policy,
) -> list[Commission]:
    """The order was placed: an estimated commission for every attributed line's promoter,
    and for their inviter when the platform's policy pays two levels (at the rate plan's
    agency rate; a level at 0 bps gets no row)."""
    attributed = [row for row in attributions if row.promoter_id and row.rate_plan_id]
    if not attributed:
        return []
    payable = {line.order_line_id: line.payable_fen for line in placed.lines}
    two_levels = policy.max_depth >= 2
    plans = await _plans(session, {row.rate_plan_id for row in attributed if row.rate_plan_id})
    parents = await _parents(session, {row.promoter_id for row in attributed if row.promoter_id})
    rows = []
    for attribution in attributed:
        assert attribution.promoter_id is not None and attribution.rate_plan_id is not None
        levels = [Level(attribution.promoter_id, attribution.rate_bps)]
        parent = parents.get(attribution.promoter_id)
        agency_rate = plans[attribution.rate_plan_id].agency_rate_bps or 0
        if two_levels and parent is not None and agency_rate:
            # Plans are checked rate by rate; the levels together never pass the bound.
            levels.append(Level(parent, min(agency_rate, MAX_RATE_BPS - attribution.rate_bps)))
        base = payable[attribution.order_line_id]
        for number, (level, amount) in enumerate(
            zip(levels, commissions(base, levels), strict=True), start=1
        ):
            if level.rate_bps == 0 and number > 1:
                continue
            rows.append(
                Commission(
                    order_id=attribution.order_id,
                    order_line_id=attribution.order_line_id,
                    store_id=attribution.store_id,
                    attribution_id=attribution.id,
                    promoter_id=level.promoter_id,
                    level=number,
                    rate_bps=level.rate_bps,
                    base_fen=base,
                    amount_fen=amount,
                )
            )
    session.add_all(rows)
    await session.flush()
    return rows


async def freeze(session: AsyncSession, order_id: int, now: datetime) -> None:
    """The order was paid: its estimated commissions are frozen until it settles."""
    for row in await _rows(session, order_id, C.ESTIMATED):
        await COMMISSION_MACHINE.apply(session, row, "freeze", frozen_at=now)


async def close_unpaid(session: AsyncSession, order_id: int, now: datetime) -> None:
    """The order was cancelled or expired before payment: nothing will be earned on it."""
    for row in await _rows(session, order_id, C.ESTIMATED):
        await COMMISSION_MACHINE.apply(session, row, "cancel", cancelled_at=now)


async def void_line(session: AsyncSession, order_line_id: int, now: datetime) -> None:
    """The platform voided the line's held commission: it is cancelled, whatever it came to
    (the store keeps the money)."""
    rows = await session.scalars(
        select(Commission).where(
            Commission.order_line_id == order_line_id,
            Commission.status.in_((C.ESTIMATED, C.FROZEN)),
        )
    )
    for row in rows:
        await COMMISSION_MACHINE.apply(session, row, "cancel", cancelled_at=now, amount_fen=0)


async def follow_refunds(session: AsyncSession, order_id: int, now: datetime) -> None:
    """A refund of the order succeeded: every commission comes to what its line's kept money
    earns. Before settlement the amount falls (a line refunded in full cancels its
    commissions); after it, the difference from what was settled is clawed back."""
    rows = await _rows(session, order_id, C.ESTIMATED, C.FROZEN, C.SETTLED)
    refunded = await _refunded_by_line(session, order_id)
    by_line: dict[int, list[Commission]] = defaultdict(list)
    for row in rows:
        by_line[row.order_line_id].append(row)
    for line_id, line_rows in by_line.items():
        line_rows.sort(key=lambda row: row.level)
        first = line_rows[0]
        base = commission_base(first.base_fen, refunded.get(line_id, 0))
        due = commissions(base, [Level(row.promoter_id, row.rate_bps) for row in line_rows])
        for row, amount in zip(line_rows, due, strict=True):
            row.refunded_fen = refunded.get(line_id, 0)
            row.amount_fen = amount
            if row.status == C.SETTLED:
                row.clawed_back_fen = -claw_back(row.settled_fen, amount)
            elif base == 0:
                await COMMISSION_MACHINE.apply(
                    session,
                    row,
                    "cancel",
                    cancelled_at=now,
                    amount_fen=0,
                    refunded_fen=row.refunded_fen,
                )
    await session.flush()


async def due_at_settlement(session: AsyncSession, order_id: int) -> list[CommissionDue]:
    """What the ledger cuts from the store's share at settlement: each frozen commission,
    with the promoter's payout account (None: owed, not split). An order settled again
    after the ledger reversed its settlement gets what was settled then, as it was paid."""
    rows = await _rows(session, order_id, C.FROZEN, C.SETTLED)
    openids = await _payout_openids(session, {row.promoter_id for row in rows})
    dues = []
    for row in sorted(rows, key=lambda row: (row.order_line_id, row.level)):
        if row.status == C.FROZEN:
            amount, openid = row.amount_fen, openids[row.promoter_id]
        else:
            amount = row.settled_fen
            openid = openids[row.promoter_id] if row.paid_out_fen else None
        if amount > 0:
            dues.append(CommissionDue(row.promoter_id, row.order_line_id, amount, openid))
    return dues


async def settle(
    session: AsyncSession, order_id: int, now: datetime, paid: Sequence[CommissionPaid]
) -> None:
    """The ledger settled the order: each frozen commission is settled at its amount, with
    what the provider sent the promoter and what was set against their claw-backs, as the
    ledger decided."""
    outcome = {(item.promoter_id, item.order_line_id): item for item in paid}
    for row in await _rows(session, order_id, C.FROZEN):
        done = outcome.get((row.promoter_id, row.order_line_id))
        await COMMISSION_MACHINE.apply(
            session,
            row,
            "settle",
            settled_at=now,
            settled_fen=row.amount_fen,
            paid_out_fen=done.paid_out_fen if done else 0,
            carried_fen=done.carried_fen if done else 0,
        )


async def settle_owed(session: AsyncSession, owed_paid: Sequence[OwedCommissionPaid]) -> None:
    """A settlement of the store netted or paid commission it owed the promoter from earlier
    settlements: the owed rows, oldest first, take what was netted as carried (claw-backs
    repaid) and what was sent as paid out, until each is no longer owed."""
    for item in owed_paid:
        carried, paid_out = item.carried_fen, item.paid_out_fen
        owed = Commission.settled_fen - Commission.paid_out_fen - Commission.carried_fen
        rows = await session.scalars(
            select(Commission)
            .where(
                Commission.promoter_id == item.promoter_id,
                Commission.store_id == item.store_id,
                Commission.status == C.SETTLED,
                owed > 0,
            )
            .order_by(Commission.settled_at, Commission.id)
        )
        for row in rows:
            left = row.settled_fen - row.paid_out_fen - row.carried_fen
            take = min(left, carried)
            row.carried_fen += take
            carried -= take
            take = min(left - take, paid_out)
            row.paid_out_fen += take
            paid_out -= take
        if carried or paid_out:
            # The ledger's owed account and these rows disagree: a person must look.
            log.error("affiliates.owed_beyond_rows", item=item, carried=carried, paid=paid_out)
    await session.flush()


async def payout_accounts(session: AsyncSession, promoter_ids: frozenset[int]) -> dict[int, str]:
    """The payout openid of each of these promoters who has set one."""
    return {
        promoter: openid
        for promoter, openid in (await _payout_openids(session, set(promoter_ids))).items()
        if openid is not None
    }


async def _rows(session: AsyncSession, order_id: int, *states: C) -> list[Commission]:
    found = await session.scalars(
        select(Commission)
        .where(Commission.order_id == order_id, Commission.status.in_(states))
        .order_by(Commission.id)
    )
    return list(found)


async def _refunded_by_line(session: AsyncSession, order_id: int) -> dict[int, int]:
    rows = await session.execute(
        select(RefundPart.order_line_id, func.sum(RefundPart.amount_fen))
        .join(Refund, Refund.id == RefundPart.refund_id)
        .where(
            RefundPart.order_id == order_id,
            Refund.status == RefundStatus.SUCCEEDED,
            RefundPart.order_line_id.is_not(None),
        )
        .group_by(RefundPart.order_line_id)
    )
    return {line_id: int(amount) for line_id, amount in rows}


async def _plans(session: AsyncSession, ids: set[int]) -> dict[int, AffiliatePlan]:
    found = await session.scalars(select(AffiliatePlan).where(AffiliatePlan.id.in_(ids)))
    return {plan.id: plan for plan in found}


async def _parents(session: AsyncSession, promoter_ids: set[int]) -> dict[int, int]:
    """Each promoter's approved parent (the second level), if they have one."""
    parent = Promoter.__table__.alias("parent")
    rows = await session.execute(
        select(Promoter.id, Promoter.parent_id)
        .join(parent, parent.c.id == Promoter.parent_id)
        .where(Promoter.id.in_(promoter_ids), parent.c.status == PromoterStatus.APPROVED)
    )
    return {promoter_id: parent_id for promoter_id, parent_id in rows}


async def _payout_openids(session: AsyncSession, promoter_ids: set[int]) -> dict[int, str | None]:
    rows = await session.execute(
        select(Promoter.id, Promoter.payout_openid).where(Promoter.id.in_(promoter_ids))
    )
    return {key: value for key, value in rows}


async def claw_backs(
    session: AsyncSession, order_id: int, now: datetime
) -> list[CommissionClawedBack]:
    """The claw-back of each settled commission of the order, refunds counted (the ledger
    asks while posting a refund, before this domain hears of it: counted here first)."""
    await follow_refunds(session, order_id, now)
    return [
        CommissionClawedBack(row.promoter_id, row.order_line_id, row.clawed_back_fen)
        for row in await _rows(session, order_id, C.SETTLED)
    ]
