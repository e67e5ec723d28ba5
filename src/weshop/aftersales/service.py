"""After-sales use cases: the shopper asks, edits, accepts, withdraws, escalates and ships a
return; the store approves, rejects, proposes, confirms receipt and ships an exchange; the
platform decides disputes; deadlines act for whoever did not answer.

Rules:
- A shopper asks per order line and quantity while the order is paid, shipped or completed
  (completed: within the store's ``aftersales_days``); one open request per line at a time
  (checked under the order's row lock, which shipping takes too). A refund-only request is
  for goods not received (the order is not completed); a return or exchange is for units
  shipped.
- The amount is at most the refundable share (:mod:`weshop.aftersales.amounts`); the
  shopper may only lower it (422 ``amount_above_refundable``).
- Fast refund (极速退款): a refund-only request for a line not shipped, or for less than the
  store's threshold (0 turns it off), by a shopper with a clean record (never lost a
  dispute, at most :data:`FAST_REFUND_MAX_RECENT` refunded requests in
  :data:`FAST_REFUND_LOOKBACK`), is approved in the request that asks: the refund is
  recorded there and goes to the provider right after it commits.
- The return parcel (the shopper's) and the exchange parcel (the store's) are followed by
  logistics like shipments, for their timelines; a return delivered to the store completes
  nothing by itself (staff confirm receipt, or its deadline does).
- A deadline that would send a refund (the store's silence approving, or its receipt
  deemed) first fits the request to what is left of the line and shipping (a staff refund
  outside after-sales may have taken part meanwhile): the request is lowered to it, with a
  ``lower_to_left`` history step, or closed (``close_nothing_left``) when nothing is left;
  the deadline never fails into retries over money that is gone.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.aftersales import repository as repo
from weshop.aftersales.amounts import refundable
from weshop.aftersales.announcements import AftersalesRequested
from weshop.aftersales.models import (
    AftersalesRequest,
    DisputeOutcome,
    RequestKind,
    RequestStatus,
)
from weshop.aftersales.policies import policy_for
from weshop.aftersales.reasons import REASONS
from weshop.aftersales.schemas import DecisionIn, EditIn, ParcelIn, ProposeIn, RequestIn
from weshop.aftersales.state import OPEN_STATUSES
from weshop.aftersales.steps import arm_deadline, record_step, return_received, transition
from weshop.core.clock import utcnow
from weshop.core.db import lock_row
from weshop.core.errors import Conflict, InvalidInput, NotFound
from weshop.core.events import announce
from weshop.core.pagination import paginate
from weshop.core.tenancy import StoreScope
from weshop.logistics.tracking import track as track_parcel
from weshop.orders import service as orders
from weshop.orders.models import Order, OrderLine, OrderStatus
from weshop.payments.refunds import order_left_to_refund

FAST_REFUND_LOOKBACK = timedelta(days=90)
FAST_REFUND_MAX_RECENT = 3
ELIGIBLE_ORDER_STATUSES = frozenset(
    {OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.COMPLETED}
)
# The system's name in a request's history when a deadline or a fast refund acts.
SYSTEM = "system"


@dataclass(frozen=True)
class RequestFilters:
    status: RequestStatus | None = None
    due_before: datetime | None = None


def _request_no() -> str:
    return f"AS{utcnow():%Y%m%d%H%M%S}{secrets.token_hex(4).upper()}"


async def create_request(session: AsyncSession, user: User, body: RequestIn) -> AftersalesRequest:
    """The shopper asks (see the module's rules); a fast refund is approved at once."""
    order = await orders.shopper_order(session, user, body.order_id)
    if order.status not in ELIGIBLE_ORDER_STATUSES:
        raise Conflict(f"a {order.status} order has no after-sales", code="order_not_eligible")
    now = utcnow()
    if order.status == OrderStatus.COMPLETED:
        assert order.completed_at is not None
        if now >= await orders.aftersales_window_end(session, order, order.completed_at):
            raise Conflict(
                "the after-sales window of this order has closed", code="aftersales_window_closed"
            )
        if body.kind == RequestKind.REFUND_ONLY:
            raise InvalidInput(
                "the goods were received: ask for a return or an exchange",
                code="kind_not_allowed",
            )
    if body.reason_code not in REASONS:
        raise InvalidInput("choose one of the listed reasons", code="unknown_reason")
    line = await session.get(OrderLine, body.order_line_id)
    if line is None or line.order_id != order.id:
        raise InvalidInput("an item is not a line of this order", code="unknown_order_line")
    # Requests of the same order take turns from here on, with its shipping (which takes
    # the same lock) and with the refunds of its other requests (order first, then payment).
    await lock_row(session, Order, order.id)
    await session.refresh(line)
    received = await orders.units_received(session, line)
    if body.kind != RequestKind.REFUND_ONLY and body.quantity > received:
        raise InvalidInput(
            "only units shipped or collected can be returned or exchanged",
            code="not_shipped",
            details={"shipped": received},
        )
    photo_ids = list(dict.fromkeys(body.photo_ids))
    if await repo.shoppers_photos(session, order.store_id, user.id, photo_ids) != set(photo_ids):
        raise InvalidInput("a photo is not one you uploaded for this store", code="unknown_photo")
    if await repo.open_request_of_line(session, line.id) is not None:
        raise Conflict("this item already has an open after-sales request", code="request_open")
    most = await refundable(session, order, line, body.quantity)
    if body.kind == RequestKind.EXCHANGE:
        amount = 0
    elif most.total_fen == 0:
        raise Conflict("nothing is left to give back of these units", code="nothing_to_refund")
    else:
        amount = most.total_fen if body.amount_fen is None else body.amount_fen
        _check_amount(amount, most.total_fen)
    policy = await policy_for(session, order.store_id)
    request = AftersalesRequest(
        request_no=_request_no(),
        store_id=order.store_id,
        order_id=order.id,
        order_line_id=line.id,
        user_id=user.id,
        kind=body.kind,
        status=RequestStatus.REQUESTED,
        reason_code=body.reason_code,
        note=body.note,
        photo_ids=photo_ids,
        quantity=body.quantity,
        max_fen=most.total_fen,
        shipping_fen=most.shipping_fen,
        amount_fen=amount,
        step=0,
        deadline_at=now + timedelta(hours=policy.store_answer_hours),
    )
    session.add(request)
    await session.flush()
    record_step(
        session, request, "request", f"shopper:{user.id}", amount_fen=amount, note=body.note
    )
    if await _fast_refund(session, request, line, policy.fast_refund_threshold_fen):
        request.fast = True
        await transition(session, request, "approve_refund", SYSTEM, note="fast refund")
    else:
        arm_deadline(session, request)
    await announce(
        session,
        AftersalesRequested(request.id, order.store_id, order.id, body.kind, amount, now),
    )
    return request


def _check_amount(amount: int, most: int) -> None:
    if amount > most:
        raise InvalidInput(
            "the amount is more than may be given back",
            code="amount_above_refundable",
            details={"max_fen": most},
        )
    if amount <= 0:
        raise InvalidInput("ask for a positive amount", code="invalid_amount")


async def _fast_refund(
    session: AsyncSession, request: AftersalesRequest, line: OrderLine, threshold: int
) -> bool:
    if request.kind != RequestKind.REFUND_ONLY:
        return False
    if line.shipped_quantity > 0 and not 0 < request.amount_fen < threshold:
        return False
    lost, refunded = await repo.shoppers_record(
        session, request.user_id, utcnow() - FAST_REFUND_LOOKBACK
    )
    return lost == 0 and refunded <= FAST_REFUND_MAX_RECENT


# Reads


async def my_request(session: AsyncSession, user: User, request_id: int) -> AftersalesRequest:
    request = await session.get(AftersalesRequest, request_id)
    if request is None or request.user_id != user.id:
        raise NotFound("no such after-sales request")
    return request


async def store_request(
    session: AsyncSession, scope: StoreScope, request_id: int
) -> AftersalesRequest:
    request = await session.get(AftersalesRequest, request_id)
    if request is None or request.store_id != scope.store_id:
        raise NotFound("no such after-sales request")
    return request


async def any_request(session: AsyncSession, request_id: int) -> AftersalesRequest:
    """A request of any store (the platform's view)."""
    request = await session.get(AftersalesRequest, request_id)
    if request is None:
        raise NotFound("no such after-sales request")
    return request


async def list_requests(
    session: AsyncSession,
    *,
    user: User | None = None,
    scope: StoreScope | None = None,
    filters: RequestFilters,
    cursor: str | None,
    limit: int,
) -> list[AftersalesRequest]:
    """A shopper's, a store's or (neither given: the platform) every request, newest first
    (``limit + 1`` rows)."""
    query = repo.listed(
        user_id=user.id if user is not None else None,
        store_id=scope.store_id if scope is not None else None,
        status=filters.status,
        due_before=filters.due_before,
    )
    return list(await session.scalars(paginate(query, AftersalesRequest, cursor, limit)))


async def under_way(session: AsyncSession, order_id: int) -> bool:
    return await repo.open_requests_of_order(session, order_id) > 0


# The shopper


async def edit(
    session: AsyncSession, user: User, request_id: int, body: EditIn
) -> AftersalesRequest:
    """Lower the amount (of the request, or of the store's proposal): back to the store."""
    request = await my_request(session, user, request_id)
    ceiling = request.amount_fen
    if request.status == RequestStatus.PROPOSED and request.proposed_fen is not None:
        ceiling = max(ceiling, request.proposed_fen)
    if request.kind == RequestKind.EXCHANGE:
        raise InvalidInput("an exchange has no amount", code="invalid_amount")
    _check_amount(body.amount_fen, ceiling)
    await transition(
        session,
        request,
        "edit",
        f"shopper:{user.id}",
        shown_fen=body.amount_fen,
        note=body.note,
        amount_fen=body.amount_fen,
    )
    return request


async def accept(session: AsyncSession, user: User, request_id: int) -> AftersalesRequest:
    """Take the store's proposal: a refund goes out, or a return goes on at that amount."""
    request = await my_request(session, user, request_id)
    action = "accept_refund" if request.kind == RequestKind.REFUND_ONLY else "accept_return"
    amount = request.proposed_fen if request.proposed_fen is not None else request.amount_fen
    await transition(
        session, request, action, f"shopper:{user.id}", shown_fen=amount, amount_fen=amount
    )
    return request


async def withdraw(
    session: AsyncSession, user: User, request_id: int, note: str
) -> AftersalesRequest:
    request = await my_request(session, user, request_id)
    await transition(session, request, "withdraw", f"shopper:{user.id}", note=note)
    return request


async def escalate_as_shopper(
    session: AsyncSession, user: User, request_id: int, note: str
) -> AftersalesRequest:
    request = await my_request(session, user, request_id)
    return await _escalate(session, request, f"shopper:{user.id}", note)


async def _escalate(
    session: AsyncSession, request: AftersalesRequest, actor: str, note: str
) -> AftersalesRequest:
    await transition(session, request, "escalate", actor, note=note, escalated_at=utcnow())
    return request


async def ship_return(
    session: AsyncSession, user: User, request_id: int, body: ParcelIn
) -> AftersalesRequest:
    request = await my_request(session, user, request_id)
    await transition(
        session,
        request,
        "ship_return",
        f"shopper:{user.id}",
        note=f"{body.carrier} {body.tracking_no}",
        return_carrier=body.carrier,
        return_tracking_no=body.tracking_no,
    )
    await track_parcel(session, request.store_id, body.carrier, body.tracking_no)
    return request


# The store


async def approve(
    session: AsyncSession, scope: StoreScope, request_id: int, note: str
) -> AftersalesRequest:
    """Refund-only: the refund goes out. Return or exchange: the shopper sends the goods."""
    request = await store_request(session, scope, request_id)
    await approve_request(session, request, f"staff:{scope.actor_id}", note)
    return request


async def approve_request(
    session: AsyncSession, request: AftersalesRequest, actor: str, note: str = ""
) -> None:
    action = "approve_refund" if request.kind == RequestKind.REFUND_ONLY else "approve_return"
    await transition(session, request, action, actor, shown_fen=request.amount_fen, note=note)


async def reject(
    session: AsyncSession, scope: StoreScope, request_id: int, reason: str
) -> AftersalesRequest:
    request = await store_request(session, scope, request_id)
    await transition(session, request, "reject", f"staff:{scope.actor_id}", note=reason)
    return request


async def propose(
    session: AsyncSession, scope: StoreScope, request_id: int, body: ProposeIn
) -> AftersalesRequest:
    """Offer another amount (at most the request's maximum) for the shopper to accept."""
    request = await store_request(session, scope, request_id)
    if request.kind == RequestKind.EXCHANGE:
        raise InvalidInput("an exchange has no amount", code="invalid_amount")
    _check_amount(body.amount_fen, request.max_fen)
    await transition(
        session,
        request,
        "propose",
        f"staff:{scope.actor_id}",
        shown_fen=body.amount_fen,
        note=body.note,
        proposed_fen=body.amount_fen,
    )
    return request


async def escalate_as_store(
    session: AsyncSession, scope: StoreScope, request_id: int, note: str
) -> AftersalesRequest:
    request = await store_request(session, scope, request_id)
    return await _escalate(session, request, f"staff:{scope.actor_id}", note)


async def confirm_receipt(
    session: AsyncSession, scope: StoreScope, request_id: int
) -> AftersalesRequest:
    """The returned goods arrived: they are back in stock; a return's refund goes out, an
    exchange waits for the new parcel."""
    request = await store_request(session, scope, request_id)
    await receive(session, request, f"staff:{scope.actor_id}", scope.actor_id)
    return request


async def receive(
    session: AsyncSession, request: AftersalesRequest, actor: str, actor_id: int | None
) -> None:
    action = "receive_exchange" if request.kind == RequestKind.EXCHANGE else "receive_refund"
    await transition(session, request, action, actor, shown_fen=request.amount_fen or None)
    await return_received(session, request, actor_id)


async def ship_exchange(
    session: AsyncSession, scope: StoreScope, request_id: int, body: ParcelIn
) -> AftersalesRequest:
    request = await store_request(session, scope, request_id)
    await transition(
        session,
        request,
        "ship_exchange",
        f"staff:{scope.actor_id}",
        note=f"{body.carrier} {body.tracking_no}",
        exchange_carrier=body.carrier,
        exchange_tracking_no=body.tracking_no,
    )
    await track_parcel(session, request.store_id, body.carrier, body.tracking_no)
    return request


# The platform


async def decide(
    session: AsyncSession, operator: User, request_id: int, body: DecisionIn
) -> AftersalesRequest:
    """The platform's final word on a dispute: a refund of up to the request's maximum (the
    money goes out at once), or a rejection."""
    request = await any_request(session, request_id)
    actor = f"platform:{operator.id}"
    if body.refund_fen == 0:
        await transition(
            session,
            request,
            "decide_reject",
            actor,
            note=body.note,
            dispute_outcome=DisputeOutcome.SHOPPER_LOST,
        )
        return request
    _check_amount(body.refund_fen, request.max_fen)
    await transition(
        session,
        request,
        "decide_refund",
        actor,
        shown_fen=body.refund_fen,
        note=body.note,
        amount_fen=body.refund_fen,
        dispute_outcome=DisputeOutcome.SHOPPER_WON,
    )
    return request


# What happens by itself


async def refund_succeeded(session: AsyncSession, refund_id: int) -> None:
    """The provider paid a request's refund: the request is refunded."""
    request = await repo.by_refund(session, refund_id)
    if request is not None and request.status == RequestStatus.REFUNDING:
        await transition(session, request, "refund_succeeded", "payment")


async def deadline_passed(session: AsyncSession, request_id: int, step: int, now: datetime) -> bool:
    """The deadline written at ``step`` has come: act for whoever did not answer, once. A
    request that moved on since (another step) or is not yet due is left alone; the
    transition's compare-and-set makes a racing answer and this act exclusive."""
    request = await session.get(AftersalesRequest, request_id)
    if request is None or request.step != step or request.status not in OPEN_STATUSES:
        return False
    if request.deadline_at is None or now < request.deadline_at:
        return False
    sends_refund = request.status in (RequestStatus.REQUESTED, RequestStatus.RETURN_SHIPPED)
    if sends_refund and not await _fit_to_what_is_left(session, request):
        # A return deemed received is back in stock all the same.
        goods_back = request.status == RequestStatus.RETURN_SHIPPED
        await transition(session, request, "close_nothing_left", SYSTEM, note=NOTHING_LEFT)
        if goods_back:
            await return_received(session, request, None)
        return True
    if request.status == RequestStatus.REQUESTED:
        await approve_request(session, request, SYSTEM, "the store did not answer in time")
    elif request.status == RequestStatus.RETURN_SHIPPED:
        await receive(session, request, SYSTEM, None)
    else:
        await transition(session, request, "expire", SYSTEM, note="no answer in time")
    return True


NOTHING_LEFT = "a refund outside after-sales gave back what this request asked"


async def _fit_to_what_is_left(session: AsyncSession, request: AftersalesRequest) -> bool:
    """Lower a request that would refund more than is left of its line (and of the shipping
    it includes) to what is left, under the payment's lock; False when nothing is left. An
    exchange refunds nothing and always fits."""
    if request.kind == RequestKind.EXCHANGE:
        return True
    left = await order_left_to_refund(session, request.order_id, lock=True)
    line_most = request.max_fen - request.shipping_fen
    line_fen = min(line_most, max(left.get(request.order_line_id, 0), 0))
    shipping_fen = min(request.shipping_fen, max(left.get(None, 0), 0))
    most = line_fen + shipping_fen
    if most == 0:
        return False
    if request.amount_fen <= most and line_fen == line_most:
        return True
    request.max_fen, request.shipping_fen = most, shipping_fen
    request.amount_fen = min(request.amount_fen, most)
    record_step(
        session,
        request,
        "lower_to_left",
        SYSTEM,
        amount_fen=request.amount_fen,
        note="a refund outside after-sales took part of this item",
    )
    await session.flush()
    return True
