"""The order's life after checkout: payment, cancellation, shipping, receipt; and order reads.

Every change goes through ORDER_MACHINE (a compare-and-set on the status), is written to the
order's history, and queues its side effects in the outbox of the same transaction.

Units refunded before they shipped (after-sales, :func:`units_given_back`) are no longer to
ship: a line has ``quantity - shipped_quantity - refunded_quantity`` left to ship. Once every
unit is shipped or given back the order moves on as if fully shipped (``ship``: the
auto-confirm deadline); when nothing shipped at all it closes (``refund_all``), with no
refund of its own (the after-sales refunds gave the money back). Shipping and giving back
take the order's row lock, so they never both count the same unit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from weshop.accounts.models import User
from weshop.accounts.repository import phone_index
from weshop.catalog.service import record_sales
from weshop.core.clock import utcnow
from weshop.core.db import lock_row
from weshop.core.errors import Conflict, InvalidInput, NotFound
from weshop.core.events import announce
from weshop.core.outbox import emit
from weshop.core.pagination import paginate
from weshop.core.tenancy import StoreScope
from weshop.inventory.service import release_reservations, return_sold_stock, sell_reservations
from weshop.logistics.tracking import track as track_parcel
from weshop.orders import repository as repo
from weshop.orders.benefits import (
    follow_refund,
    refund_benefits,
    release_benefits,
    reward_completion,
    use_benefits,
)
from weshop.orders.events import (
    CampaignOrderClosed,
    CampaignOrderPaid,
    OrderClosed,
    OrderShipped,
)
from weshop.orders.models import (
    CampaignKind,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Shipment,
)
from weshop.orders.pickup import issue_code as issue_pickup_code
from weshop.orders.schemas import PackageIn
from weshop.orders.state import ORDER_MACHINE
from weshop.stores.models import Store

ORDER_CANCELLED = "order.cancelled"
REFUND_REQUESTED = "order.refund_requested"
AUTO_CONFIRM = "order.auto_confirm"
# A deadline set when the order completes: its after-sales window has closed, so its money
# may settle (the ledger's handler settles it).
AFTERSALES_WINDOW_CLOSED = "order.aftersales_window_closed"


@dataclass(frozen=True)
class OrderFilters:
    status: OrderStatus | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    order_no: str | None = None
    phone: str | None = None
    campaign_kind: CampaignKind | None = None


async def _transition(
    session: AsyncSession, order: Order, action: str, actor: str, note: str = "", **values: object
) -> None:
    before = order.status
    await ORDER_MACHINE.apply(session, order, action, **values)
    session.add(
        OrderEvent(
            order_id=order.id,
            store_id=order.store_id,
            action=action,
            from_status=before,
            to_status=order.status,
            actor=actor,
            note=note[:200],
        )
    )


async def shopper_order(session: AsyncSession, user: User, order_id: int) -> Order:
    order = await repo.shopper_order(session, user.id, order_id)
    if order is None:
        raise NotFound("no such order")
    return order


async def store_order(session: AsyncSession, scope: StoreScope, order_id: int) -> Order:
    order = await repo.store_order(session, scope, order_id)
    if order is None:
        raise NotFound("no such order")
    return order


async def any_order(session: AsyncSession, order_id: int) -> Order:
    """An order of any store (the platform's view)."""
    order = await session.get(Order, order_id)
    if order is None:
        raise NotFound("no such order")
    return order


async def list_orders(
    session: AsyncSession,
    *,
    user: User | None = None,
    scope: StoreScope | None = None,
    filters: OrderFilters,
    cursor: str | None,
    limit: int,
) -> list[Order]:
    """A shopper's own orders or a store's orders, newest first (``limit + 1`` rows)."""
    base = repo.shopper_orders(user.id) if user is not None else repo.store_orders(scope)
    query = repo.filtered(
        base,
        status=filters.status,
        created_from=filters.created_from,
        created_to=filters.created_to,
        order_no=filters.order_no,
        phone_index=phone_index(filters.phone) if filters.phone else None,
        campaign_kind=filters.campaign_kind,
    )
    return list(await session.scalars(paginate(query, Order, cursor, limit)))


async def mark_paid(
    session: AsyncSession, order_id: int, amount_fen: int, paid_at: datetime
) -> bool:
    """Called by payments on a verified success. False when the order no longer awaits payment
    (cancelled or expired meanwhile): the caller must then give the money back. When True,
    the caller must also call :func:`sell_paid_stock` in the same transaction."""
    order = await session.get(Order, order_id)
    if order is None or order.status != OrderStatus.PENDING_PAYMENT:
        return False
    await _transition(session, order, "pay", "payment", paid_at=paid_at, paid_fen=amount_fen)
    await issue_pickup_code(session, order)
    await use_benefits(session, order, paid_at)
    if order.campaign_kind is not None:
        await announce(session, CampaignOrderPaid.of(order, paid_at))
    return True


async def sell_paid_stock(session: AsyncSession, order_id: int) -> None:
    """The paid order's held stock becomes sold and its products' sales grow. Kept apart
    from :func:`mark_paid` so that the caller does it last: these rows (a SKU's stock, a
    product's sales) are shared by every order of a hot product, and their row locks are
    held from here to the commit: the order's lines are read before."""
    units = await _units_by_product(session, order_id)
    await sell_reservations(session, order_id)
    await record_sales(session, units)


async def _units_by_product(session: AsyncSession, order_id: int, sign: int = 1) -> dict[int, int]:
    units: dict[int, int] = defaultdict(int)
    for line in (await repo.lines_of(session, [order_id]))[order_id]:
        units[line.product_id] += sign * line.quantity
    return units


async def record_refund(
    session: AsyncSession, order_id: int, amount_fen: int, refund_id: int
) -> None:
    """A refund of the order succeeded (payments calls this once per refund, under the
    refund's compare-and-set): the order counts the money, and the shopper's points, growth
    and coupons follow the refunded total (``benefits.follow_refund``). The row lock the
    UPDATE takes makes concurrent refunds of one order count one after the other."""
    result = await session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(refunded_fen=Order.refunded_fen + amount_fen)
        .returning(Order.refunded_fen)
        .execution_options(synchronize_session=False)
    )
    refunded_fen = result.scalar_one()
    order = await session.get_one(Order, order_id)
    set_committed_value(order, "refunded_fen", refunded_fen)
    await follow_refund(session, order, refund_id, utcnow())


async def cancel(session: AsyncSession, order: Order, *, actor: str, reason: str) -> Order:
    """Unpaid: stock comes back. Paid but unshipped: stock comes back and the money too."""
    now = utcnow()
    if order.status == OrderStatus.PENDING_PAYMENT:
        await _transition(
            session, order, "cancel", actor, reason, cancelled_at=now, cancel_reason=reason
        )
        # The stock log says why stock moved, not the canceller's words (kept encrypted on
        # the order).
        await release_reservations(session, order.id, "order cancelled")
        await release_benefits(session, order, "cancelled", now)
        emit(session, ORDER_CANCELLED, {"order_id": order.id}, store_id=order.store_id)
        await _announce_closed(session, order, was_paid=False, reason="cancel")
        return order
    await _transition(
        session, order, "cancel_with_refund", actor, reason, cancelled_at=now, cancel_reason=reason
    )
    await return_sold_stock(session, order.id, "paid order cancelled before shipping")
    await record_sales(session, await _units_by_product(session, order.id, sign=-1))
    await refund_benefits(session, order, now)
    emit(
        session,
        REFUND_REQUESTED,
        # The reason stays in the order (encrypted); the outbox row carries no personal data.
        {"order_id": order.id, "amount_fen": order.paid_fen},
        store_id=order.store_id,
        dedupe_key=f"refund:cancel:{order.id}",
    )
    await _announce_closed(session, order, was_paid=True, reason="cancel_with_refund")
    return order


async def _announce_closed(
    session: AsyncSession, order: Order, *, was_paid: bool, reason: str
) -> None:
    await announce(session, OrderClosed(order.id, was_paid=was_paid))
    if order.campaign_kind is not None:
        await announce(session, CampaignOrderClosed.of(order, was_paid=was_paid, reason=reason))


async def expire_unpaid(session: AsyncSession, order_id: int, now: datetime) -> bool:
    """The payment window passed: cancel and release stock; a no-op once paid or cancelled."""
    order = await session.get(Order, order_id)
    if order is None or order.status != OrderStatus.PENDING_PAYMENT or now < order.pay_deadline:
        return False
    await _transition(
        session,
        order,
        "expire",
        "system",
        "payment window passed",
        cancelled_at=now,
        cancel_reason="payment window passed",
    )
    await release_reservations(session, order.id, "payment window passed")
    await release_benefits(session, order, "expired", now)
    emit(session, ORDER_CANCELLED, {"order_id": order.id}, store_id=order.store_id)
    await _announce_closed(session, order, was_paid=False, reason="expire")
    return True


def _package_items(
    package: PackageIn, lines: dict[int, OrderLine], remaining: dict[int, int]
) -> list[dict[str, int]]:
    if package.items is None:
        items = [{"order_line_id": lid, "quantity": q} for lid, q in remaining.items() if q > 0]
    else:
        items = [{"order_line_id": i.order_line_id, "quantity": i.quantity} for i in package.items]
    if not items:
        raise InvalidInput("this package holds nothing left to ship", code="nothing_to_ship")
    for item in items:
        line_id, quantity = item["order_line_id"], item["quantity"]
        if line_id not in lines:
            raise InvalidInput("an item is not a line of this order", code="unknown_order_line")
        if quantity > remaining[line_id]:
            raise InvalidInput(
                "more than is left to ship of a line",
                code="over_shipped",
                details={"order_line_id": line_id, "left": remaining[line_id]},
            )
        remaining[line_id] -= quantity
    return items


async def ship(
    session: AsyncSession, scope: StoreScope, order_id: int, packages: list[PackageIn]
) -> Order:
    """Record one or more packages; the order is shipped once every unit is in a package.
    Each package of a known carrier is followed by logistics (tracking, delivery)."""
    order = await store_order(session, scope, order_id)
    ORDER_MACHINE.target(order.status, "ship_partly")  # refuse early: unpaid, cancelled...
    if await repo.pickup_of(session, order.id) is not None:
        raise Conflict(
            "this order is collected at a pickup point, not shipped", code="pickup_order"
        )
    if order.shipping_held:
        raise Conflict(
            "this order waits for its campaign (a group that has not filled yet)",
            code="shipping_held",
        )
    await lock_row(session, Order, order.id)
    lines = {line.id: line for line in await repo.locked_order_lines(session, order.id)}
    remaining = {lid: line.left_to_ship for lid, line in lines.items()}
    shipped: dict[int, int] = defaultdict(int)
    for package in packages:
        items = _package_items(package, lines, remaining)
        for item in items:
            shipped[item["order_line_id"]] += item["quantity"]
        session.add(
            Shipment(
                order_id=order.id,
                store_id=order.store_id,
                carrier=package.carrier,
                tracking_no=package.tracking_no,
                items=items,
                shipped_by=scope.actor_id,
            )
        )
        await track_parcel(session, order.store_id, package.carrier, package.tracking_no)
    for line_id, quantity in shipped.items():
        lines[line_id].shipped_quantity += quantity
    now = utcnow()
    actor = f"staff:{scope.actor_id}"
    first = packages[0]
    await announce(
        session,
        OrderShipped(
            order.id, order.user_id, order.store_id, first.carrier, first.tracking_no, now
        ),
    )
    if any(remaining.values()):
        await _transition(session, order, "ship_partly", actor, shipped_at=order.shipped_at or now)
        return order
    await _shipped_all(session, order, actor, "", now)
    return order


async def _shipped_all(
    session: AsyncSession, order: Order, actor: str, note: str, now: datetime
) -> None:
    store = await session.get_one(Store, order.store_id)
    confirm_at = now + timedelta(days=store.auto_confirm_days)
    await _transition(
        session,
        order,
        "ship",
        actor,
        note,
        shipped_at=order.shipped_at or now,
        auto_confirm_at=confirm_at,
    )
    emit(session, AUTO_CONFIRM, {"order_id": order.id}, due_at=confirm_at, store_id=order.store_id)


async def units_received(session: AsyncSession, line: OrderLine) -> int:
    """Units of a line the shopper has had in hand: those shipped, or, for an order collected
    at a pickup point, every unit not given back before the collection."""
    pickup = await repo.pickup_of(session, line.order_id)
    if pickup is not None and pickup.picked_up_at is not None:
        return line.quantity - line.refunded_quantity
    return line.shipped_quantity


async def units_given_back(
    session: AsyncSession, order_id: int, line_id: int, quantity: int, *, actor: str, note: str
) -> None:
    """``quantity`` units of a line were refunded before they shipped and are back in stock
    (after-sales): they are no longer to ship, and the order moves on when nothing is left
    to ship (see the module's rules). 409 ``over_given_back`` when fewer are left to ship."""
    await lock_row(session, Order, order_id)
    order = await session.get_one(Order, order_id, populate_existing=True)
    lines = {line.id: line for line in await repo.locked_order_lines(session, order_id)}
    line = lines[line_id]
    if quantity > line.left_to_ship:
        raise Conflict(
            "more units than are left to ship of this line",
            code="over_given_back",
            details={"left": line.left_to_ship},
        )
    line.refunded_quantity += quantity
    if order.status not in (OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED):
        return
    if any(other.left_to_ship for other in lines.values()):
        return
    now = utcnow()
    if any(other.shipped_quantity for other in lines.values()):
        await _shipped_all(session, order, actor, note, now)
        return
    await _transition(
        session, order, "refund_all", actor, note, cancelled_at=now, cancel_reason=note
    )
    # OrderClosed only: a campaign's closing handlers give its units back, and these units
    # are already back in stock (as after any after-sales refund, the campaign is untouched).
    await announce(session, OrderClosed(order.id, was_paid=True))


async def release_shipping_hold(session: AsyncSession, order_ids: list[int]) -> None:
    """The campaign that held these orders (a group now filled) lets them ship."""
    if order_ids:
        await session.execute(
            update(Order).where(Order.id.in_(order_ids)).values(shipping_held=False)
        )


async def aftersales_window_end(
    session: AsyncSession, order: Order, completed_at: datetime
) -> datetime:
    """When the shopper may no longer ask for a refund of an order completed then."""
    store = await session.get_one(Store, order.store_id)
    return completed_at + timedelta(days=store.aftersales_days)


async def _completed(session: AsyncSession, order: Order, now: datetime) -> None:
    """What follows completion: the completion reward, and the deadline of the after-sales
    window."""
    await reward_completion(session, order, now)
    emit(
        session,
        AFTERSALES_WINDOW_CLOSED,
        {"order_id": order.id},
        due_at=await aftersales_window_end(session, order, now),
        store_id=order.store_id,
        dedupe_key=f"{AFTERSALES_WINDOW_CLOSED}:{order.id}",
    )


async def confirm_receipt(session: AsyncSession, user: User, order_id: int) -> Order:
    order = await shopper_order(session, user, order_id)
    now = utcnow()
    await _transition(session, order, "confirm_receipt", f"shopper:{user.id}", completed_at=now)
    await _completed(session, order, now)
    return order


async def pick_up(session: AsyncSession, order: Order, actor: str, now: datetime) -> None:
    """A self-pickup order was collected (its code verified): it completes as a received
    order does, with the completion reward and the after-sales window's deadline."""
    await _transition(session, order, "pick_up", actor, completed_at=now)
    await _completed(session, order, now)


async def auto_confirm(session: AsyncSession, order_id: int, now: datetime) -> bool:
    order = await session.get(Order, order_id)
    if order is None or order.status != OrderStatus.SHIPPED or order.auto_confirm_at is None:
        return False
    if now < order.auto_confirm_at:
        return False
    await _transition(
        session,
        order,
        "auto_confirm",
        "system",
        "receipt confirmed automatically",
        completed_at=now,
    )
    await _completed(session, order, now)
    return True
