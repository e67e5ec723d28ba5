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
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.repository import phone_index
from weshop.affiliates import commissions
from weshop.affiliates import repository as repo
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
    attributed = [row for row in rows if row.promoter_id is not None]
    if not attributed:
        return []
    holds = []
    promoters: dict[int, Promoter] = {}
    own_phones: dict[int, set[str]] = {}
    own_clients: dict[int, set[str]] = {}
    claw_backs: dict[int, int] = {}
    orders: dict[int, Order] = {}
    for row in attributed:
        assert row.promoter_id is not None and row.click_id is not None
        if row.promoter_id not in promoters:
            promoter = await repo.promoter(session, row.promoter_id)
            assert promoter is not None
            promoters[promoter.id] = promoter
            own_phones[promoter.id] = await _own_phones(session, promoter)
            own_clients[promoter.id] = await _own_clients(session, promoter)
            claw_backs[promoter.id] = await _recent_claw_backs(session, promoter.id, row.decided_at)
        if row.order_id not in orders:
            orders[row.order_id] = await session.get_one(Order, row.order_id)
        click = await session.get_one(Click, row.click_id)
        findings = await _findings(
            session,
            click,
            orders[row.order_id],
            own_phones[row.promoter_id],
            own_clients[row.promoter_id],
        )
        if claw_backs[row.promoter_id] >= CLAW_BACK_LIMIT:
            findings.append(
                {
                    "rule": HoldRule.REPEATED_CLAW_BACKS,
                    "evidence": {
                        "claw_backs": claw_backs[row.promoter_id],
                        "window_days": CLAW_BACK_WINDOW.days,
                    },
                }
            )
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


async def _findings(
    session: AsyncSession,
    click: Click,
    order: Order,
    own_phones: set[str],
    own_clients: set[str],
) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = []
    if click.client_key:
        burst = await _clicks_from_client(session, click)
        if burst >= CLICK_BURST_LIMIT:
            findings.append(
                {
                    "rule": HoldRule.CLICK_BURST,
                    "evidence": {
                        "click_id": click.id,
                        "clicks_from_client": burst,
                        "window_minutes": int(CLICK_BURST_WINDOW.total_seconds() // 60),
                    },
                }
            )
        if click.client_key in own_clients:
            findings.append(
                {
                    "rule": HoldRule.SHARED_DEVICE,
                    "evidence": {"click_id": click.id, "client": click.client_key[:12]},
                }
            )
    if order.ship_phone_index in own_phones:
        findings.append(
            {
                "rule": HoldRule.SHARED_ADDRESS,
                "evidence": {"order_id": order.id, "ships_to": "the promoter's phone"},
            }
        )
    return findings


async def _clicks_from_client(session: AsyncSession, click: Click) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Click)
        .where(
            Click.promoter_id == click.promoter_id,
            Click.client_key == click.client_key,
            Click.at > click.at - CLICK_BURST_WINDOW,
            Click.at <= click.at,
        )
    )
    return int(count or 0)


async def _recent_claw_backs(session: AsyncSession, promoter_id: int, now: datetime) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Commission)
        .where(
            Commission.promoter_id == promoter_id,
            Commission.clawed_back_fen > 0,
            Commission.created_at >= now - CLAW_BACK_WINDOW,
        )
    )
    return int(count or 0)


async def _own_phones(session: AsyncSession, promoter: Promoter) -> set[str]:
    """The promoter's own phone, and the phones their own orders ship to (blind indexes)."""
    rows = await session.scalars(
        select(Order.ship_phone_index).where(Order.user_id == promoter.user_id).distinct()
    )
    return {phone_index(promoter.phone), *rows}


async def _own_clients(session: AsyncSession, promoter: Promoter) -> set[str]:
    rows = await session.scalars(
        select(Click.client_key)
        .where(Click.user_id == promoter.user_id, Click.client_key != "")
        .distinct()
    )
    return set(rows)


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
