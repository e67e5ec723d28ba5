"""Storefront pages of orders: checkout, my orders by status, an order with its actions.

Checkout is one form: ``intent=update`` prices the choices again (address, coupons, points)
and shows the page; anything else places the order(s), once per ``idempotency_key`` (a
hidden field made when the page was first shown), so a double submit makes one order.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from weshop.accounts import service as accounts
from weshop.accounts.models import User
from weshop.accounts.page_session import PageUser
from weshop.accounts.schemas import AddressOut
from weshop.cart import service as cart
from weshop.catalog.views import describe_skus
from weshop.core.clock import utcnow
from weshop.core.errors import Conflict, IdempotencyKeyReused, WeShopError
from weshop.core.http import DbSession
from weshop.core.idempotency import run_idempotent
from weshop.core.ids import MAX_ID, PathId
from weshop.core.pagination import page_of
from weshop.logistics import pickup_points as logistics_pickup
from weshop.members import service as members
from weshop.members.service import ALL_POINTS
from weshop.orders import reorder, service
from weshop.orders.checkout import check_out, quote_basket
from weshop.orders.models import Order, OrderStatus
from weshop.orders.pickup import code_qr_svg
from weshop.orders.schemas import CheckoutIn, CheckoutOut, OrderOut, QuoteIn
from weshop.orders.tracking import order_tracking, timeline_view
from weshop.orders.views import describe_order, describe_orders
from weshop.pricing.quote import Quote
from weshop.promotions import service as promotions
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_, error_message
from weshop.web.forms import posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)])

ORDERS_PER_PAGE = 10
# The tabs of "my orders": (status filter, label); None is every order.
ORDER_TABS = (
    (None, N_("All")),
    (OrderStatus.PENDING_PAYMENT, N_("To pay")),
    (OrderStatus.PAID, N_("To ship")),
    (OrderStatus.SHIPPED, N_("To receive")),
    (OrderStatus.COMPLETED, N_("Completed")),
    (OrderStatus.CANCELLED, N_("Cancelled")),
)
ORDER_STATUS_NAMES = {
    OrderStatus.PENDING_PAYMENT: N_("Awaiting payment"),
    OrderStatus.PAID: N_("Paid, awaiting shipment"),
    OrderStatus.PARTIALLY_SHIPPED: N_("Partly shipped"),
    OrderStatus.SHIPPED: N_("Shipped"),
    OrderStatus.COMPLETED: N_("Completed"),
    OrderStatus.CANCELLED: N_("Cancelled"),
}
COUPON_REASONS = {
    "expired": N_("Expired"),
    "not_yet_valid": N_("Not valid yet"),
    "other_store": N_("For another store"),
    "wrong_scope": N_("Does not cover these items"),
    "threshold_not_met": N_("Spend not reached"),
    "not_combinable": N_("Cannot be combined with the other discounts"),
    "better_combination_chosen": N_("Not chosen: another combination saves more"),
}
DISCOUNT_KINDS = {
    "member_price": N_("Member price"),
    "campaign_price": N_("Campaign price"),
    "full_reduction": N_("Full reduction"),
    "coupon": N_("Coupon"),
}
CHECKOUT_ERRORS = {
    "unknown_sku": N_("Some items no longer exist. Go back to the cart and try again."),
    "idempotency_key_reused": N_(
        "This order was already placed. Check my orders before ordering again."
    ),
    "invalid_points": N_("Points to spend cannot be negative."),
    "address_required": N_("Add a delivery address first."),
    "pickup_contact_required": N_("Give the name and phone of whoever picks the order up."),
}
ACTION_FAILED = N_("That could not be done. Please try again.")

# Sections that domains above orders add to the buyer's order page (reviews: the link to
# review a completed order). ``weshop.routes`` lists them; None shows nothing.
ShopperOrderSection = Callable[
    [Request, AsyncSession, User, Order], Awaitable[dict[str, Any] | None]
]
SHOPPER_ORDER_PAGE_SECTIONS: list[ShopperOrderSection] = []


def _t(request: Request, message: str) -> str:
    return gettext(request, message)


def _checkout_error(request: Request, exc: WeShopError) -> str:
    known = CHECKOUT_ERRORS.get(exc.code)
    return _t(request, known) if known else error_message(request, exc.code, exc.message)


@dataclass
class CheckoutChoice:
    """What the checkout form carries from one rendering to the next."""

    items: list[tuple[int, int]]
    from_cart: bool
    address_id: int | None = None
    coupon_ids: list[int] | None = None
    points_stores: set[int] = field(default_factory=set)
    note: str = ""
    key: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    # Stores picked up at one of their points (自提): {store_id: pickup_point_id}.
    pickup: dict[int, int] = field(default_factory=dict)
    pickup_name: str = ""
    pickup_phone: str = ""

    def basket(self) -> dict[str, Any]:
        """The ticked stores spend all the points they allow (checkout reads the balances)."""
        return {
            "items": [{"sku_id": sku, "quantity": qty} for sku, qty in self.items],
            "coupon_ids": self.coupon_ids,
            "points": [
                {"store_id": store_id, "points": ALL_POINTS}
                for store_id in sorted(self.points_stores)
            ],
            "pickup": [
                {"store_id": store_id, "pickup_point_id": point_id}
                for store_id, point_id in sorted(self.pickup.items())
            ],
        }

    def checkout(self) -> dict[str, Any]:
        """The whole checkout body: the basket, the address and the pickup contact."""
        contact = {"name": self.pickup_name, "phone": self.pickup_phone}
        return {
            **self.basket(),
            "address_id": self.address_id,
            # None when left blank: checkout then asks for it by name.
            "pickup_contact": contact if self.pickup and any(contact.values()) else None,
            "note": self.note,
            "from_cart": self.from_cart,
        }


def _breakdown(request: Request, quote: Quote) -> list[dict[str, Any]]:
    """Per store: the subtotal, each discount by name (summed over the store's lines),
    points, shipping and what is to pay."""
    stores = []
    for total in quote.stores:
        discounts: dict[tuple[str, str], int] = defaultdict(int)
        for line in quote.lines:
            if line.store_id != total.store_id:
                continue
            for adjustment in line.adjustments:
                if adjustment.kind != "points":
                    discounts[(adjustment.kind, adjustment.label)] += adjustment.amount_fen
        rows = [
            {"kind": _t(request, DISCOUNT_KINDS.get(kind, kind)), "label": label, "fen": fen}
            for (kind, label), fen in discounts.items()
            if fen
        ]
        points_fen = sum(
            a.amount_fen
            for line in quote.lines
            if line.store_id == total.store_id
            for a in line.adjustments
            if a.kind == "points"
        )
        stores.append(
            {"total": total, "rows": rows, "points_fen": points_fen, "points": total.points_used}
        )
    return stores


async def _checkout_page(
    request: Request,
    session: AsyncSession,
    user: User,
    choice: CheckoutChoice,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    addresses = await accounts.list_addresses(session, user)
    chosen = next((a for a in addresses if a.id == choice.address_id), None)
    chosen = chosen or next((a for a in addresses if a.is_default), None)
    chosen = chosen or (addresses[0] if addresses else None)
    choice.address_id = chosen.id if chosen else None
    listings = await describe_skus(session, [sku for sku, _ in choice.items])
    store_ids = sorted({listing.store.id for listing in listings.values()})
    balances = {
        view.store.id: view.usable_points
        for view in await members.my_memberships(session, user.id)
        if view.store.id in store_ids
    }
    quote: Quote | None = None
    if error is None:
        try:
            body = QuoteIn.model_validate({**choice.basket(), "address_id": choice.address_id})
            quote = await quote_basket(session, user, body)
        except WeShopError as exc:
            error = _checkout_error(request, exc)
            status_code = exc.status_code
        except ValidationError:
            error = error_message(request, "invalid_input", "")
            status_code = 422
    wallet = {
        c.id: c for c in await promotions.wallet_for_pricing(session, user.id, store_ids, utcnow())
    }
    if quote is not None and choice.coupon_ids is None:
        choice.coupon_ids = list(quote.applied_coupon_ids)
    return render(
        request,
        "orders/shop/checkout.html",
        {
            "choice": choice,
            "addresses": [AddressOut.of_owner(a) for a in addresses],
            "listings": listings,
            "stores": {listing.store.id: listing.store for listing in listings.values()},
            "balances": balances,
            "pickup_points": await logistics_pickup.open_points_of(session, store_ids),
            "quote": quote,
            "breakdown": _breakdown(request, quote) if quote else [],
            "wallet": wallet,
            "reasons": {k: _t(request, v) for k, v in COUPON_REASONS.items()},
            "error": error,
            "tab": "cart",
        },
        status_code=status_code,
    )


@router.get("/checkout")
async def checkout_page(
    request: Request,
    user: PageUser,
    session: DbSession,
    item: Annotated[list[int] | None, Query(max_length=100)] = None,
    sku: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    quantity: Annotated[int, Query(ge=1, le=9999)] = 1,
    address_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """From the cart (its purchasable lines, or the ``item`` lines ticked there) or, with
    ``sku`` and ``quantity``, straight from a product page."""
    if sku is not None:
        choice = CheckoutChoice(items=[(sku, quantity)], from_cart=False, address_id=address_id)
    else:
        basket = await cart.view_cart(session, user)
        wanted = set(item or [])
        lines = [
            (line.sku_id, line.quantity)
            for group in basket.groups
            for line in group.items
            if line.purchasable and (not wanted or line.id in wanted)
        ]
        if not lines:
            return RedirectResponse("/cart", 303)
        choice = CheckoutChoice(items=lines, from_cart=True, address_id=address_id)
    return await _checkout_page(request, session, user, choice)


def _ids(values: object) -> list[int]:
    """A posted field that may come once, several times or not at all, as row ids."""
    items = values if isinstance(values, list) else [values] if values not in (None, "") else []
    ids = []
    for value in items:
        text = str(value)
        if text.isdigit() and 0 < int(text) <= MAX_ID:
            ids.append(int(text))
    return ids


def _posted_choice(form: dict[str, Any]) -> CheckoutChoice | None:
    """The checkout form as posted; None when its items are not readable."""
    lines = form.get("line", [])
    items = []
    for line in lines if isinstance(lines, list) else [lines]:
        sku, _, quantity = str(line).partition(":")
        if not (sku.isdigit() and quantity.isdigit()):
            return None
        items.append((int(sku), int(quantity)))
    if not items:
        return None
    address_ids = _ids(form.get("address_id"))
    pickup = {}
    for name, value in form.items():
        store, point = _ids(name.removeprefix("pickup_store_")), _ids(value)
        if name.startswith("pickup_store_") and store and point:
            pickup[store[0]] = point[0]
    return CheckoutChoice(
        items=items,
        from_cart=form.get("from_cart") == "1",
        address_id=address_ids[0] if address_ids else None,
        coupon_ids=_ids(form.get("coupon_id")) if form.get("coupons_chosen") == "1" else None,
        points_stores=set(_ids(form.get("points_store"))),
        note=str(form.get("note", ""))[:200],
        key=str(form.get("idempotency_key", "")) or secrets.token_urlsafe(18),
        pickup=pickup,
        pickup_name=str(form.get("pickup_name", ""))[:30],
        pickup_phone=str(form.get("pickup_phone", ""))[:20],
    )


@router.post("/checkout")
async def place_order(request: Request, user: PageUser, session: DbSession) -> Response:
    """Places the order(s) of the form, or with ``intent=update`` prices the choices again."""
    form = await posted_values(request)
    choice = _posted_choice(form)
    if choice is None:
        return RedirectResponse("/cart", 303)
    if form.get("intent") == "update":
        return await _checkout_page(request, session, user, choice)
    try:
        body = CheckoutIn.model_validate(choice.checkout())
    except ValidationError:
        message = error_message(request, "invalid_input", "")
        return await _checkout_page(request, session, user, choice, error=message, status_code=422)

    async def action() -> CheckoutOut:
        return await check_out(session, user, body)

    try:
        async with undo_on_error(session):
            outcome = await run_idempotent(
                session,
                key=choice.key,
                owner=f"user:{user.id}",
                endpoint="POST /checkout",
                payload=body.model_dump(mode="json"),
                action=action,
                model=CheckoutOut,
            )
    except WeShopError as exc:
        if isinstance(exc, IdempotencyKeyReused):
            choice.key = secrets.token_urlsafe(18)
        return await _checkout_page(
            request,
            session,
            user,
            choice,
            error=_checkout_error(request, exc),
            status_code=exc.status_code,
        )
    order_ids = [order.id for order in outcome.model.orders]
    if len(order_ids) == 1:
        return RedirectResponse(f"/me/orders/{order_ids[0]}?notice=placed", 303)
    # Several stores: straight to paying the whole checkout at once (payments' page).
    return RedirectResponse(f"/me/checkouts/{outcome.model.checkout_no}/pay", 303)


# My orders


async def _covers(session: AsyncSession, orders: list[OrderOut]) -> dict[int, str | None]:
    """The cover image of each ordered SKU, by SKU id."""
    sku_ids = {line.sku_id for order in orders for line in order.lines}
    return {
        sku_id: listing.image_url
        for sku_id, listing in (await describe_skus(session, sku_ids)).items()
    }


def _status_names(request: Request) -> dict[str, str]:
    return {status.value: _t(request, name) for status, name in ORDER_STATUS_NAMES.items()}


@router.get("/me/orders")
async def my_orders(
    request: Request,
    user: PageUser,
    session: DbSession,
    status: Annotated[OrderStatus | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    notice: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """My orders, newest first, one tab per status."""
    rows = await service.list_orders(
        session,
        user=user,
        filters=service.OrderFilters(status=status),
        cursor=cursor,
        limit=ORDERS_PER_PAGE,
    )
    page = page_of(rows, ORDERS_PER_PAGE, lambda order: order)
    orders = await describe_orders(session, page.items, audience="shopper")
    return render(
        request,
        "orders/shop/orders.html",
        {
            "orders": orders,
            "covers": await _covers(session, orders),
            "next_cursor": page.next_cursor,
            "status": status.value if status else None,
            "tabs": [(s.value if s else None, _t(request, label)) for s, label in ORDER_TABS],
            "status_names": _status_names(request),
            "notice": notice,
            "tab": "me",
        },
    )


def _pickup_qr(order: OrderOut) -> Markup | None:
    """The QR code of a paid pickup order's code, until it is collected."""
    pickup = order.pickup
    if pickup is None or pickup.code is None or pickup.picked_up_at is not None:
        return None
    return Markup(code_qr_svg(pickup.code))  # segno's own markup of digits only


@router.get("/me/orders/{order_id}")
async def order_detail(
    request: Request,
    order_id: PathId,
    user: PageUser,
    session: DbSession,
    notice: Annotated[str | None, Query(max_length=20)] = None,
    error: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """One order: status, lines, the price breakdown, packages, history and what can be done
    now (pay, cancel, confirm receipt)."""
    row = await service.shopper_order(session, user, order_id)
    order = await describe_order(session, row, audience="shopper")
    window_passed = order.status == OrderStatus.PENDING_PAYMENT and utcnow() >= order.pay_deadline
    return render(
        request,
        "orders/shop/order.html",
        {
            "order": order,
            "covers": await _covers(session, [order]),
            "breakdown": _breakdown(request, order.price_breakdown),
            "status_names": _status_names(request),
            "window_passed": window_passed,
            "pickup_qr": _pickup_qr(order),
            "notice": notice,
            "error": error_message(request, error, _t(request, ACTION_FAILED)) if error else None,
            "sections": [
                shown
                for section in SHOPPER_ORDER_PAGE_SECTIONS
                if (shown := await section(request, session, user, row)) is not None
            ],
            "tab": "me",
            **timeline_view(await order_tracking(session, row)),
        },
    )


@router.post("/me/orders/{order_id}/cancel")
async def cancel_order(
    request: Request, order_id: PathId, user: PageUser, session: DbSession
) -> Response:
    form = await posted_values(request)
    order = await service.shopper_order(session, user, order_id)
    try:
        async with undo_on_error(session):
            await service.cancel(
                session,
                order,
                actor=f"shopper:{user.id}",
                reason=str(form.get("reason", ""))[:200],
            )
    except WeShopError as exc:
        return RedirectResponse(f"/me/orders/{order_id}?{urlencode({'error': exc.code})}", 303)
    return RedirectResponse(f"/me/orders/{order_id}?notice=cancelled", 303)


@router.post("/me/orders/{order_id}/confirm-receipt")
async def confirm_receipt(order_id: PathId, user: PageUser, session: DbSession) -> Response:
    await service.shopper_order(session, user, order_id)
    try:
        async with undo_on_error(session):
            await service.confirm_receipt(session, user, order_id)
    except WeShopError as exc:
        return RedirectResponse(f"/me/orders/{order_id}?{urlencode({'error': exc.code})}", 303)
    return RedirectResponse(f"/me/orders/{order_id}?notice=received", 303)


@router.post("/me/orders/{order_id}/reorder")
async def reorder_order(
    request: Request, order_id: PathId, user: PageUser, session: DbSession
) -> Response:
    """再来一单: the order's items go back into the cart, which opens; if some could not,
    this page says which and why, with the way to the cart."""
    try:
        async with undo_on_error(session):
            result = await reorder.reorder(session, user, order_id)
    except Conflict as exc:
        return RedirectResponse(f"/me/orders/{order_id}?{urlencode({'error': exc.code})}", 303)
    if result.all_added:
        return RedirectResponse("/cart", 303)
    return render(request, "orders/shop/reorder.html", {"result": result, "tab": "me"})
