"""How a request moves on: every transition goes through REQUEST_MACHINE (a compare-and-set
on the status, so of two racing actors exactly one wins and the other gets a 409), writes
a history step both sides see, and arms the deadline of the state it enters as an outbox
row. What follows a transition (the refund, the stock coming back, the order's settlement
once its last request is over) is written in the same transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.aftersales import repository as repo
from weshop.aftersales.models import (
    AftersalesRequest,
    AftersalesStep,
    RequestKind,
    RequestStatus,
)
from weshop.aftersales.policies import policy_for
from weshop.aftersales.state import FINAL_STATUSES, REQUEST_MACHINE
from weshop.core.clock import utcnow
from weshop.core.db import lock_row
from weshop.core.outbox import emit
from weshop.inventory.service import return_units
from weshop.ledger.settlement import schedule_settlement
from weshop.orders.models import Order, OrderLine, OrderStatus
from weshop.orders.service import units_given_back
from weshop.payments.refunds import refund_lines

# The deadline of a waiting state; its handler (tasks.py) acts only on the step it was
# written for.
DEADLINE = "aftersales.deadline"
# Who moves the order on in its history when after-sales gives units back.
SYSTEM_AFTERSALES = "aftersales"


async def _deadline(
    session: AsyncSession, request: AftersalesRequest, status: RequestStatus, now: datetime
) -> datetime | None:
    policy = await policy_for(session, request.store_id)
    waits = {
        RequestStatus.REQUESTED: timedelta(hours=policy.store_answer_hours),
        RequestStatus.PROPOSED: timedelta(days=policy.shopper_answer_days),
        RequestStatus.REJECTED: timedelta(days=policy.shopper_answer_days),
        RequestStatus.AWAITING_RETURN: timedelta(days=policy.shopper_ship_days),
        RequestStatus.RETURN_SHIPPED: timedelta(days=policy.store_receive_days),
    }.get(status)
    return None if waits is None else now + waits


def record_step(
    session: AsyncSession,
    request: AftersalesRequest,
    action: str,
    actor: str,
    *,
    amount_fen: int | None = None,
    note: str = "",
) -> None:
    session.add(
        AftersalesStep(
            request_id=request.id,
            store_id=request.store_id,
            actor=actor,
            action=action,
            to_status=request.status,
            amount_fen=amount_fen,
            note=note[:200],
        )
    )


def arm_deadline(session: AsyncSession, request: AftersalesRequest) -> None:
    if request.deadline_at is not None:
        emit(
            session,
            DEADLINE,
            {"request_id": request.id, "step": request.step},
            due_at=request.deadline_at,
            store_id=request.store_id,
            dedupe_key=f"{DEADLINE}:{request.id}:{request.step}",
        )


async def transition(
    session: AsyncSession,
    request: AftersalesRequest,
    action: str,
    actor: str,
    *,
    shown_fen: int | None = None,
    note: str = "",
    **values: object,
) -> None:
    """Move the request on by ``action`` (409 when not allowed now, or when another actor
    moved it first), with ``values`` changed in the same UPDATE; record the step (with the
    amount it names, ``shown_fen``), arm the next deadline and do what follows."""
    now = utcnow()
    target = REQUEST_MACHINE.target(request.status, action)
    final = target in FINAL_STATUSES
    await REQUEST_MACHINE.apply(
        session,
        request,
        action,
        step=request.step + 1,
        deadline_at=await _deadline(session, request, target, now),
        finished_at=now if final else None,
        **values,
    )
    record_step(session, request, action, actor, amount_fen=shown_fen, note=note)
    arm_deadline(session, request)
    if target == RequestStatus.REFUNDING:
        await _send_refund(session, request)
    if final:
        await _settle_if_last(session, request)


async def _send_refund(session: AsyncSession, request: AftersalesRequest) -> None:
    """The refund by line through payments (checked under the payment's lock), the shipping
    given back only after the line's share; a refund-only request's units still to ship
    (as many as are left to ship of the line) go back on sale and are no longer to ship
    (the order may move on, see ``orders.service.units_given_back``)."""
    # The order's lock before the payment's, as every writer of an order's lines takes them.
    await lock_row(session, Order, request.order_id)
    order = await session.get_one(Order, request.order_id, populate_existing=True)
    line = await session.get_one(OrderLine, request.order_line_id, populate_existing=True)
    line_fen = min(request.amount_fen, request.max_fen - request.shipping_fen)
    refund = await refund_lines(
        session,
        order,
        {line.id: line_fen},
        f"售后 {request.request_no}",
        shipping_fen=request.amount_fen - line_fen,
    )
    request.refund_id = refund.id
    # Of a refund-only request's units, those still to ship are the ones it cancels.
    unshipped = min(request.quantity, line.left_to_ship)
    if request.kind == RequestKind.REFUND_ONLY and unshipped > 0:
        await return_units(
            session,
            store_id=line.store_id,
            sku_id=line.sku_id,
            quantity=unshipped,
            order_id=order.id,
            reason=f"refunded before shipping ({request.request_no})",
        )
        await units_given_back(
            session,
            order.id,
            line.id,
            unshipped,
            actor=SYSTEM_AFTERSALES,
            note=f"售后 {request.request_no}",
        )
    await session.flush()


async def return_received(
    session: AsyncSession, request: AftersalesRequest, actor_id: int | None
) -> None:
    """The returned goods are back in the store: on sale again (an exchange sends the same
    SKU out again, so its stock does not change)."""
    if request.kind != RequestKind.RETURN_AND_REFUND:
        return
    line = await session.get_one(OrderLine, request.order_line_id)
    await return_units(
        session,
        store_id=line.store_id,
        sku_id=line.sku_id,
        quantity=request.quantity,
        order_id=request.order_id,
        reason=f"after-sales return received ({request.request_no})",
        actor_id=actor_id,
    )


async def _settle_if_last(session: AsyncSession, request: AftersalesRequest) -> None:
    """The order's last open request is over: the settlement the ledger may have held back
    (it asked, and was told a request is under way) is asked for again, due when the
    after-sales window closes (at once if it has; settling twice changes nothing)."""
    order = await session.get_one(Order, request.order_id)
    if order.status != OrderStatus.COMPLETED or order.completed_at is None:
        return
    if await repo.open_requests_of_order(session, order.id):
        return
    await schedule_settlement(session, order, order.completed_at, after=f"aftersales:{request.id}")
