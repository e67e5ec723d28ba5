"""Fraud rules that hold a line's commission for the platform's review: never dropped
silently, always with the evidence that made the rule fire.

Screened at checkout, for every line attributed to a promoter:

- ``click_burst``: the click the line rests on came from a client (a keyed hash of address
  and user agent) that clicked this promoter's links ``CLICK_BURST_LIMIT`` times or more
  within ``CLICK_BURST_WINDOW`` before it: a bot or a click farm inflating a promoter.
- ``shared_address``: the order ships to the promoter's own phone, or to a phone the
  promoter's own orders ship to: a self-referral through another account.
- ``shared_device``: the click the line rests on came from a client the promoter's own
  account clicked from: another account on the promoter's device.
- ``repeated_claw_backs``: ``CLAW_BACK_LIMIT`` or more of the promoter's commissions of the
  last ``CLAW_BACK_WINDOW`` were clawed back by refunds after settlement: orders bought to
  earn commission and returned once it was paid.

The platform releases a hold (the commission goes on) or voids it (the commission is
cancelled), with a note; both are final. While a hold waits, so does its order's settlement.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.repository import phone_index
from weshop.affiliates import commissions
from weshop.affiliates.models import (
    Click,
    Commission,
    CommissionHold,
    HoldStatus,
    LineAttribution,
    Promoter,
)
from weshop.affiliates.state import HOLD_MACHINE
from weshop.core.errors import NotFound
from weshop.core.pagination import paginate
from weshop.ledger.settlement import schedule_settlement
from weshop.orders.models import Order, OrderStatus

CLICK_BURST_LIMIT = 30
CLICK_BURST_WINDOW = timedelta(minutes=10)
CLAW_BACK_LIMIT = 3
CLAW_BACK_WINDOW = timedelta(days=90)


class HoldRule(enum.StrEnum):
    CLICK_BURST = "click_burst"
    SHARED_ADDRESS = "shared_address"
    SHARED_DEVICE = "shared_device"
    REPEATED_CLAW_BACKS = "repeated_claw_backs"


async def screen(session: AsyncSession, rows: Sequence[LineAttribution]) -> list[CommissionHold]:
    """Hold the attributed lines the rules flag (one hold per line, every finding in it)."""
    holds = []
    for row in rows:
        if row.promoter_id is None or row.click_id is None:
            continue
        promoter = await session.get_one(Promoter, row.promoter_id)
        order = await session.get_one(Order, row.order_id)
        click = await session.get_one(Click, row.click_id)
        findings = _findings(await _signals(session, promoter, order, click), click, order)
        if findings:
            holds.append(
                CommissionHold(
                    order_id=row.order_id,
                    order_line_id=row.order_line_id,
                    store_id=row.store_id,
                    promoter_id=row.promoter_id,
                    findings=findings,
                )
            )
    session.add_all(holds)
    return holds


@dataclass(frozen=True)
class Signals:
    """What the rules look at for one attributed line, read in one statement."""

    clicks_from_client: int  # the decisive click's client's clicks on the promoter's links
    shared_device: bool  # the promoter's own account clicked from that client
    shared_address: bool  # the order ships to the promoter's phone or their own orders'
    claw_backs: int  # the promoter's recent commissions clawed back after settlement


async def _signals(
    session: AsyncSession, promoter: Promoter, order: Order, click: Click
) -> Signals:
    # A promoter buying for themselves is a self-purchase, which the plan rules on: the
    # device and address rules look for another account of theirs.
    other_account = order.user_id != promoter.user_id
    burst = (
        select(func.count())
        .select_from(Click)
        .where(
            Click.promoter_id == click.promoter_id,
            Click.client_key == click.client_key,
            Click.at > click.at - CLICK_BURST_WINDOW,
            Click.at <= click.at,
        )
        .scalar_subquery()
    )
    device = exists().where(
        Click.user_id == promoter.user_id,
        Click.client_key == click.client_key,
        Click.client_key != "",
    )
    address = exists().where(
        Order.user_id == promoter.user_id, Order.ship_phone_index == order.ship_phone_index
    )
    claw_backs = (
        select(func.count())
        .select_from(Commission)
        .where(
            Commission.promoter_id == promoter.id,
            Commission.clawed_back_fen > 0,
            Commission.created_at >= order.created_at - CLAW_BACK_WINDOW,
        )
        .scalar_subquery()
    )
    found = (await session.execute(select(burst, device, address, claw_backs))).one()
    return Signals(
        clicks_from_client=int(found[0]) if click.client_key else 0,
        shared_device=other_account and bool(found[1]),
        shared_address=other_account
        and (bool(found[2]) or order.ship_phone_index == phone_index(promoter.phone)),
        claw_backs=int(found[3]),
    )


def _findings(signals: Signals, click: Click, order: Order) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = []
    if signals.clicks_from_client >= CLICK_BURST_LIMIT:
        findings.append(
            {
                "rule": HoldRule.CLICK_BURST,
                "evidence": {
                    "click_id": click.id,
                    "clicks_from_client": signals.clicks_from_client,
                    "window_minutes": int(CLICK_BURST_WINDOW.total_seconds() // 60),
                },
            }
        )
    if signals.shared_device:
        findings.append(
            {
                "rule": HoldRule.SHARED_DEVICE,
                "evidence": {"click_id": click.id, "client": click.client_key[:12]},
            }
        )
    if signals.shared_address:
        findings.append(
            {
                "rule": HoldRule.SHARED_ADDRESS,
                "evidence": {"order_id": order.id, "ships_to": "the promoter's phone"},
            }
        )
    if signals.claw_backs >= CLAW_BACK_LIMIT:
        findings.append(
            {
                "rule": HoldRule.REPEATED_CLAW_BACKS,
                "evidence": {
                    "claw_backs": signals.claw_backs,
                    "window_days": CLAW_BACK_WINDOW.days,
                },
            }
        )
    return findings


def holds_query(status: HoldStatus | None) -> Any:
    query = select(CommissionHold)
    if status is not None:
        query = query.where(CommissionHold.status == status)
    return query


async def list_holds(
    session: AsyncSession, status: HoldStatus | None, cursor: str | None, limit: int
) -> list[CommissionHold]:
    query = paginate(holds_query(status), CommissionHold, cursor, limit)
    return list(await session.scalars(query))


async def decide_hold(
    session: AsyncSession, operator_id: int, hold_id: int, action: str, note: str, now: datetime
) -> CommissionHold:
    """Release or void a held commission (``action``: ``release`` | ``void``): voided, the
    line's commission is cancelled; either way the order's settlement, which waited for the
    decision, is asked for again."""
    hold = await session.get(CommissionHold, hold_id)
    if hold is None:
        raise NotFound("no such hold")
    await HOLD_MACHINE.apply(
        session, hold, action, decision_note=note, decided_at=now, decided_by=operator_id
    )
    if action == "void":
        await commissions.void_line(session, hold.order_line_id, now)
    order = await session.get_one(Order, hold.order_id)
    if order.status == OrderStatus.COMPLETED and order.completed_at is not None:
        # The settlement waited for this decision: it may go on (when the window closes).
        await schedule_settlement(session, order, order.completed_at, after=f"hold:{hold.id}")
    return hold


async def order_under_review(session: AsyncSession, order_id: int) -> bool:
    found = await session.scalar(
        select(CommissionHold.id).where(
            CommissionHold.order_id == order_id, CommissionHold.status == HoldStatus.HELD
        )
    )
    return found is not None


async def held_lines(session: AsyncSession, order_line_ids: Sequence[int]) -> dict[int, HoldStatus]:
    """The hold status of these lines, for the lines that have one."""
    if not order_line_ids:
        return {}
    rows = await session.execute(
        select(CommissionHold.order_line_id, CommissionHold.status).where(
            CommissionHold.order_line_id.in_(set(order_line_ids))
        )
    )
    return {line_id: status for line_id, status in rows}
