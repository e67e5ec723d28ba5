from __future__ import annotations

from fastapi import APIRouter, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.auth import CurrentUser
from weshop.accounts.schemas import PhoneNumber
from weshop.core.clock import Moment
from weshop.core.errors import Conflict, NotFound, RateLimited
from weshop.core.http import DbSession, IdempotencyKey, RuntimeDep, reads_only
from weshop.core.idempotency import run_idempotent_after_read
from weshop.core.ids import PathId
from weshop.core.openapi import raises
from weshop.core.pagination import DEFAULT_LIMIT, CursorQuery, Limit, Page, page_of
from weshop.core.tenancy import StoreScope
from weshop.orders import pickup_verification, reorder, service
from weshop.orders.checkout import (
    PreparedCheckout,
    checkout_answer,
    place_prepared,
    prepare_checkout,
    quote_basket,
)
from weshop.orders.models import CampaignKind, Order, OrderStatus
from weshop.orders.schemas import (
    CancelIn,
    CheckoutIn,
    CheckoutOut,
    OrderOut,
    OrderTrackingOut,
    PickupVerifyIn,
    QuoteIn,
    ReorderOut,
    ShipIn,
    ShippingAddressOut,
)
from weshop.orders.tracking import order_tracking
from weshop.orders.views import describe_order, describe_orders, shipping_address
from weshop.pricing.quote import Quote
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission

shopper = APIRouter(prefix="/api/v1/me", tags=["orders"])
merchant = APIRouter(prefix="/api/v1/merchant/stores/{store_id}", tags=["merchant: orders"])


async def _page(session, orders: list[Order], limit: int, audience) -> Page[OrderOut]:
    page = page_of(orders, limit, lambda order: order)
    page.items = await describe_orders(session, page.items, audience=audience)
    return page


@shopper.post(
    "/checkout/quote",
    response_model=Quote,
    responses={409: {"description": "A chosen coupon is gone, or an item is unavailable."}},
)
@reads_only
async def preview_checkout(body: QuoteIn, user: CurrentUser, session: DbSession) -> Quote:
    """Price a basket exactly as placing the order would, without placing it.

    The answer names every discount per line (member price, full reduction, coupons, points)
    with who funds it, each order-level promotion with its share of each line, shipping per
    store (and whether the store delivers to the address), and a verdict on every coupon in
    the wallet: applied, or why not (expired, threshold not met, wrong scope, not
    combinable, a better combination chosen). Send `coupon_ids` to try another choice.
    """
    return await quote_basket(session, user, body)


@shopper.post(
    "/orders",
    status_code=status.HTTP_201_CREATED,
    response_model=CheckoutOut,
    responses={
        409: {
            "description": "Out of stock, product unavailable, store suspended, a store that "
            "does not deliver to the address, or a coupon or points taken by another checkout."
        }
    },
)
@reads_only
async def place_order(
    body: CheckoutIn,
    user: CurrentUser,
    session: DbSession,
    key: IdempotencyKey,
    runtime: RuntimeDep,
):
    """Check out: one order per store, priced as `/checkout/quote` prices the same body, with
    the address copied, the applied coupons locked, the points spent and stock reserved. Each
    order keeps its part of the quote as its price snapshot, which never changes afterwards.

    Unpaid orders are cancelled when the store's payment window passes; their coupons and
    points come back. Send an
    `Idempotency-Key` so that a retried request never places a second order.
    """

    # Priced before it writes; on SQLite the writing is a short transaction of its own.
    async def prepare() -> PreparedCheckout:
        return await prepare_checkout(session, user, body)

    async def place(writer: AsyncSession, prepared: PreparedCheckout) -> CheckoutOut:
        return checkout_answer(await place_prepared(writer, user, body, prepared))

    outcome = await run_idempotent_after_read(
        session,
        runtime.db,
        key=key,
        owner=f"user:{user.id}",
        endpoint="POST /me/orders",
        payload=body.model_dump(mode="json"),
        prepare=prepare,
        act=place,
        model=CheckoutOut,
    )
    return outcome.response()


@shopper.get("/orders", response_model=Page[OrderOut])
async def my_orders(
    user: CurrentUser,
    session: DbSession,
    status_filter: OrderStatus | None = Query(None, alias="status"),
    created_from: Moment | None = None,
    created_to: Moment | None = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The signed-in shopper's orders, newest first, by status and time; cursor pages."""
    filters = service.OrderFilters(
        status=status_filter, created_from=created_from, created_to=created_to
    )
    orders = await service.list_orders(
        session, user=user, filters=filters, cursor=cursor, limit=limit
    )
    return await _page(session, orders, limit, "shopper")


@shopper.get("/orders/{order_id}", response_model=OrderOut)
async def my_order(order_id: PathId, user: CurrentUser, session: DbSession):
    """One of the shopper's orders with its lines, packages, price breakdown and history."""
    return await describe_order(
        session, await service.shopper_order(session, user, order_id), audience="shopper"
    )


@shopper.get("/orders/{order_id}/tracking", response_model=OrderTrackingOut)
async def my_order_tracking(order_id: PathId, user: CurrentUser, session: DbSession):
    """Each package of the order with its carrier's timeline, newest event first."""
    return await order_tracking(session, await service.shopper_order(session, user, order_id))


@shopper.post("/orders/{order_id}/cancel", response_model=OrderOut)
async def cancel_my_order(order_id: PathId, body: CancelIn, user: CurrentUser, session: DbSession):
    """Cancel before payment (stock comes back) or after payment before shipping (full refund)."""
    order = await service.shopper_order(session, user, order_id)
    await service.cancel(session, order, actor=f"shopper:{user.id}", reason=body.reason)
    return await describe_order(session, order, audience="shopper")


@shopper.post("/orders/{order_id}/confirm-receipt", response_model=OrderOut)
async def confirm_receipt(order_id: PathId, user: CurrentUser, session: DbSession):
    """The shopper has the goods: the order completes."""
    order = await service.confirm_receipt(session, user, order_id)
    return await describe_order(session, order, audience="shopper")


@shopper.post("/orders/{order_id}/reorder", response_model=ReorderOut)
@raises(NotFound, Conflict)
async def reorder_my_order(order_id: PathId, user: CurrentUser, session: DbSession):
    """再来一单: put a shipped or completed order's items back into the cart, each SKU still
    on sale with its ordered quantity (or what is left in stock); the answer says, line by
    line, what went in and why anything did not. Another status answers 409
    `not_reorderable`."""
    return await reorder.reorder(session, user, order_id)


@merchant.get("/orders", response_model=Page[OrderOut])
async def store_orders(
    session: DbSession,
    status_filter: OrderStatus | None = Query(None, alias="status"),
    created_from: Moment | None = None,
    created_to: Moment | None = None,
    order_no: str | None = Query(None, max_length=32),
    phone: PhoneNumber | None = Query(None, description="The recipient's full phone number."),
    campaign: CampaignKind | None = Query(
        None, description="Only orders of this campaign kind (group, bargain, flash)."
    ),
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
    scope: StoreScope = staff_with(Permission.ORDERS_READ),
):
    """The store's orders, newest first; filter by status, time, order number, phone or
    campaign kind."""
    filters = service.OrderFilters(
        status=status_filter,
        created_from=created_from,
        created_to=created_to,
        order_no=order_no,
        phone=phone,
        campaign_kind=campaign,
    )
    orders = await service.list_orders(
        session, scope=scope, filters=filters, cursor=cursor, limit=limit
    )
    return await _page(session, orders, limit, "staff")


@merchant.get("/orders/{order_id}", response_model=OrderOut)
async def store_order(
    order_id: PathId, session: DbSession, scope: StoreScope = staff_with(Permission.ORDERS_READ)
):
    """One order of the store (personal data masked)."""
    return await describe_order(
        session, await service.store_order(session, scope, order_id), audience="staff"
    )


@merchant.get("/orders/{order_id}/tracking", response_model=OrderTrackingOut)
async def store_order_tracking(
    order_id: PathId, session: DbSession, scope: StoreScope = staff_with(Permission.ORDERS_READ)
):
    """Each package of the store's order with its carrier's timeline, newest event first."""
    return await order_tracking(session, await service.store_order(session, scope, order_id))


@merchant.get("/orders/{order_id}/shipping-address", response_model=ShippingAddressOut)
async def reveal_shipping_address(
    order_id: PathId,
    session: DbSession,
    scope: StoreScope = staff_with(Permission.PERSONAL_DATA_READ),
):
    """The full shipping address, for roles that ship or serve the customer."""
    return shipping_address(await service.store_order(session, scope, order_id), reveal=True)


@merchant.post("/orders/{order_id}/shipments", response_model=OrderOut)
async def ship_order(
    order_id: PathId,
    body: ShipIn,
    session: DbSession,
    scope: StoreScope = staff_with(Permission.ORDERS_FULFIL),
):
    """Ship a paid order in one or more packages (carrier and tracking number each)."""
    order = await service.ship(session, scope, order_id, body.packages)
    return await describe_order(session, order, audience="staff")


@merchant.post("/orders/{order_id}/cancel", response_model=OrderOut)
async def cancel_store_order(
    order_id: PathId,
    body: CancelIn,
    session: DbSession,
    scope: StoreScope = staff_with(Permission.ORDERS_CANCEL),
):
    """Cancel an unpaid order, or a paid unshipped one with a full refund to the shopper."""
    order = await service.store_order(session, scope, order_id)
    await service.cancel(session, order, actor=f"staff:{scope.actor_id}", reason=body.reason)
    return await describe_order(session, order, audience="staff")


@merchant.post(
    "/pickups/verify",
    response_model=OrderOut,
    responses={
        409: {"description": "`pickup_code_used`: the code was already collected."},
        422: {"description": "`unknown_pickup_code`: no paid order of this store has it."},
        429: {"description": "`pickup_verify_locked`: too many wrong codes, for a while."},
    },
)
@raises(RateLimited)
@reads_only
async def verify_pickup(
    body: PickupVerifyIn,
    session: DbSession,
    runtime: RuntimeDep,
    scope: StoreScope = staff_with(Permission.ORDERS_FULFIL),
):
    """Verify the pickup code a shopper shows at a pickup point (核销): the paid self-pickup
    order it names completes, with its completion reward and after-sales window, exactly as
    a received order. A code works once. Each staff member may fail 10 times at a store
    before verifying is locked for 5 minutes (longer each time)."""
    await pickup_verification.count_attempt(runtime.lockouts, scope)
    # The attempt counted in a transaction of its own; the verification writes in another.
    async with runtime.db.transaction() as writer:
        order = await pickup_verification.verify_code(writer, runtime.lockouts, scope, body.code)
        return await describe_order(writer, order, audience="staff")
