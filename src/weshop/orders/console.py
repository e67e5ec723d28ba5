"""The merchant console's orders: the list by status with search, CSV export, one order with
its packages and history (and what other domains add to it, such as its refunds), and the
forms that ship and cancel it."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from weshop.core.crypto import normalize_phone
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.core.pagination import page_of
from weshop.inventory import warehouses
from weshop.logistics.carriers.codes import CARRIERS as TRACKED_CARRIERS
from weshop.orders import service
from weshop.orders.models import CampaignKind, Order, OrderStatus
from weshop.orders.schemas import CancelIn, OrderOut, ShipIn
from weshop.orders.views import describe_order, describe_orders, shipping_address
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff, done_redirect
from weshop.stores.permissions import Permission
from weshop.web.console_forms import N_, add_refusal, yuan_text
from weshop.web.csrf import verify_csrf
from weshop.web.forms import FormResult, parse_form, posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.templating import shop_time

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

PAGE_SIZE = 20
EXPORT_BATCH = 200
MAX_PACKAGES = 10

STATUS_TABS: list[tuple[str, str]] = [
    ("", N_("All")),
    (OrderStatus.PENDING_PAYMENT, N_("Awaiting payment")),
    (OrderStatus.PAID, N_("To ship")),
    (OrderStatus.PARTIALLY_SHIPPED, N_("Partly shipped")),
    (OrderStatus.SHIPPED, N_("Shipped")),
    (OrderStatus.COMPLETED, N_("Completed")),
    (OrderStatus.CANCELLED, N_("Cancelled")),
]
STATUS_LABELS = {status: label for status, label in STATUS_TABS if status}
STATUS_BADGES = {
    OrderStatus.PENDING_PAYMENT: "warn",
    OrderStatus.PAID: "",
    OrderStatus.PARTIALLY_SHIPPED: "",
    OrderStatus.SHIPPED: "ok",
    OrderStatus.COMPLETED: "ok",
    OrderStatus.CANCELLED: "bad",
}
DONE_NOTICES = {
    "shipped": N_("The packages are recorded and the shopper can track them."),
    "cancelled": N_("The order is cancelled; any payment goes back to the shopper."),
    "refunded": N_("The refund is on its way to the shopper."),
}
SHIP_REFUSALS = {
    "over_shipped": ("__all__", N_("A package holds more of an item than is left to ship.")),
    "nothing_to_ship": ("__all__", N_("Put at least one item in each package.")),
    "unknown_order_line": ("__all__", N_("An item is not part of this order.")),
}
# The ship form offers the carriers logistics tracks (any other may still be typed).
CARRIERS = tuple(carrier.name for carrier in TRACKED_CARRIERS)
CSV_COLUMNS = (
    N_("Order number"),
    N_("Placed at"),
    N_("Status"),
    N_("Items"),
    N_("Goods (yuan)"),
    N_("Discount (yuan)"),
    N_("Shipping (yuan)"),
    N_("Payable (yuan)"),
    N_("Paid (yuan)"),
    N_("Refunded (yuan)"),
    N_("Recipient"),
    N_("Phone"),
    N_("Address"),
    N_("Buyer note"),
)

OrdersReader = console_staff(Permission.ORDERS_READ)


@dataclass(frozen=True)
class OrderSearch:
    """The list's filters as the page takes them: a status tab and one search box that
    takes an order number or the recipient's full phone number."""

    status: OrderStatus | None
    q: str

    def filters(self) -> service.OrderFilters:
        query = self.q.strip()
        if not query:
            return service.OrderFilters(status=self.status)
        try:
            return service.OrderFilters(status=self.status, phone=normalize_phone(query))
        except ValueError:
            return service.OrderFilters(status=self.status, order_no=query[:32])


def _search(
    status: Annotated[OrderStatus | None, Query()] = None,
    q: Annotated[str, Query(max_length=40)] = "",
) -> OrderSearch:
    return OrderSearch(status=status, q=q)


Search = Annotated[OrderSearch, Depends(_search)]


CAMPAIGN_LABELS = {
    CampaignKind.GROUP: N_("Group buy"),
    CampaignKind.BARGAIN: N_("Bargain"),
    CampaignKind.FLASH: N_("Flash sale"),
}


def _status_view(request: Request) -> dict[str, Any]:
    return {
        "status_label": lambda status: gettext(request, STATUS_LABELS.get(status, status)),
        "status_badge": lambda status: STATUS_BADGES.get(status, ""),
        "campaign_label": lambda kind: gettext(request, CAMPAIGN_LABELS.get(kind, kind)),
    }


@router.get("/orders")
async def orders_page(
    request: Request,
    session: DbSession,
    search: Search,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    access: ConsoleAccess = OrdersReader,
) -> Response:
    rows = await service.list_orders(
        session, scope=access.scope, filters=search.filters(), cursor=cursor, limit=PAGE_SIZE
    )
    page = page_of(rows, PAGE_SIZE, lambda order: order)
    orders = await describe_orders(session, page.items, audience="staff")
    return console_page(
        request,
        "orders/console/list.html",
        access,
        "orders",
        {
            "orders": orders,
            "next_cursor": page.next_cursor,
            "search": search,
            "tabs": STATUS_TABS,
            **_status_view(request),
        },
    )


def _cell(text: str) -> str:
    # A spreadsheet runs a cell that starts with one of these as a formula.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_row(request: Request, order: OrderOut, address: Any) -> list[str]:
    items = "; ".join(
        f"{line.title}{' ' + line.spec_text if line.spec_text else ''} x{line.quantity}"
        for line in order.lines
    )
    place = f"{address.province}{address.city}{address.district}{address.detail}"
    return [
        order.order_no,
        shop_time(order.created_at),
        gettext(request, STATUS_LABELS.get(order.status, order.status)),
        _cell(items),
        yuan_text(order.subtotal_fen),
        yuan_text(order.discount_fen),
        yuan_text(order.shipping_fen),
        yuan_text(order.payable_fen),
        yuan_text(order.paid_fen),
        yuan_text(order.refunded_fen),
        _cell(address.recipient),
        address.phone,
        _cell(place),
        _cell(order.buyer_note),
    ]


async def _export_rows(
    request: Request, access: ConsoleAccess, search: OrderSearch
) -> AsyncIterator[str]:
    """The filtered list, a batch at a time, in a read session of its own: the request's
    session has closed by the time the answer streams."""
    reveal = access.can(Permission.PERSONAL_DATA_READ)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([gettext(request, column) for column in CSV_COLUMNS])
    yield "\ufeff" + out.getvalue()  # the BOM tells spreadsheet apps it is UTF-8
    cursor: str | None = None
    db = request.app.state.runtime.db
    while True:
        async with db.session(write=False) as session, session.begin():
            rows = await service.list_orders(
                session,
                scope=access.scope,
                filters=search.filters(),
                cursor=cursor,
                limit=EXPORT_BATCH,
            )
            page = page_of(rows, EXPORT_BATCH, lambda order: order)
            described = await describe_orders(session, page.items, audience="staff")
        out.seek(0)
        out.truncate()
        for row, order in zip(page.items, described, strict=True):
            writer.writerow(_csv_row(request, order, shipping_address(row, reveal=reveal)))
        yield out.getvalue()
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


@router.get("/orders.csv")
async def orders_csv(
    request: Request, search: Search, access: ConsoleAccess = OrdersReader
) -> StreamingResponse:
    """The list as filtered, streamed; phones and addresses masked unless the role may see
    personal data."""
    name = f"orders-{access.store.id}-{search.status or 'all'}.csv"
    return StreamingResponse(
        _export_rows(request, access, search),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@dataclass
class OrderForms:
    """The forms of the order page, each with what was posted and its errors."""

    ship: FormResult[Any] | None = None
    cancel: FormResult[Any] | None = None
    refund: FormResult[Any] | None = None


def package_count(text: Any) -> int:
    """How many package blocks the ship form has (``?packages=2`` adds one, without JS)."""
    wanted = int(text) if isinstance(text, str) and text.isdigit() else 1
    return min(max(wanted, 1), MAX_PACKAGES)


# What domains above orders show on the order page (payments: the refunds and their form):
# each section answers template values for one order. ``weshop.routes`` lists them, where the
# merchant console's routers are gathered.
OrderPageSection = Callable[
    [Request, AsyncSession, ConsoleAccess, Order, OrderForms], Awaitable[dict[str, Any]]
]
ORDER_PAGE_SECTIONS: list[OrderPageSection] = []


async def _warehouse_packages(
    session: AsyncSession, access: ConsoleAccess, order: OrderOut
) -> list[tuple[str, dict[int, int]]]:
    """One proposed package per warehouse the order's stock is allocated to: the warehouse's
    name and ``{order_line_id: units}`` (none once anything has shipped or been given back
    by after-sales, or without warehouses)."""
    if any(line.shipped_quantity or line.refunded_quantity for line in order.lines):
        return []
    names = {w.id: w.name for w in await warehouses.list_warehouses(session, access.scope)}
    line_of = {line.sku_id: line.id for line in order.lines}
    packages: dict[int, dict[int, int]] = {}
    for part in order.warehouse_allocation:
        if part.status in ("held", "sold") and part.sku_id in line_of:
            items = packages.setdefault(part.warehouse_id, {})
            items[line_of[part.sku_id]] = items.get(line_of[part.sku_id], 0) + part.quantity
    return [(names.get(warehouse_id, ""), items) for warehouse_id, items in packages.items()]


async def order_page(
    request: Request,
    session: AsyncSession,
    access: ConsoleAccess,
    order_id: int,
    forms: OrderForms | None = None,
    *,
    status_code: int = 200,
) -> Response:
    """One order with the forms the role may use; also shown again by a refused form."""
    forms = forms or OrderForms()
    order = await service.store_order(session, access.scope, order_id)
    described = await describe_order(session, order, audience="staff")
    may_reveal = access.can(Permission.PERSONAL_DATA_READ)
    reveal = may_reveal and request.query_params.get("reveal") == "1"
    sections: dict[str, Any] = {}
    for section in ORDER_PAGE_SECTIONS:
        sections.update(await section(request, session, access, order, forms))
    lines = {line.id: line for line in described.lines}
    by_warehouse = await _warehouse_packages(session, access, described)
    asked = forms.ship.values.get("package_count") if forms.ship else None
    asked = asked or request.query_params.get("packages") or (len(by_warehouse) or None)
    return console_page(
        request,
        "orders/console/detail.html",
        access,
        "orders",
        {
            "order": described,
            "address": shipping_address(order, reveal=reveal),
            "may_reveal": may_reveal and not reveal,
            "lines": lines,
            "left_to_ship": {line.id: line.left_to_ship for line in lines.values()},
            "can_ship": access.can(Permission.ORDERS_FULFIL)
            and "ship" in described.allowed_actions,
            "can_cancel": access.can(Permission.ORDERS_CANCEL)
            and "cancel" in described.allowed_actions,
            "forms": forms,
            "package_count": package_count(str(asked) if asked else None),
            "warehouse_packages": by_warehouse,
            "carriers": CARRIERS,
            "notice": DONE_NOTICES.get(request.query_params.get("done", "")),
            **_status_view(request),
            **sections,
        },
        status_code=status_code,
    )


@router.get("/orders/{order_id}")
async def order_detail(
    request: Request, order_id: PathId, session: DbSession, access: ConsoleAccess = OrdersReader
) -> Response:
    return await order_page(request, session, access, order_id)


def _shipment_body(
    request: Request, values: dict[str, Any], line_ids: list[int]
) -> tuple[dict[str, Any], dict[str, str], list[int]]:
    """The packages typed in (blank ones left out), their quantity errors, and which posted
    package each package of the body is."""
    count = package_count(values.get("package_count"))
    packages, errors, posted = [], {}, []
    for index in range(count):
        prefix = f"packages.{index}."
        items = []
        for line_id in line_ids:
            name = f"{prefix}items.{line_id}"
            text = str(values.get(name, "")).strip() or "0"
            if not text.isdigit():
                errors[name] = gettext(request, "Enter a whole number.")
                continue
            if int(text):
                items.append({"order_line_id": line_id, "quantity": int(text)})
        carrier = str(values.get(prefix + "carrier", "")).strip()
        tracking = str(values.get(prefix + "tracking_no", "")).strip()
        if not (carrier or tracking or items):
            continue
        packages.append({"carrier": carrier, "tracking_no": tracking, "items": items})
        posted.append(index)
    return {"packages": packages}, errors, posted


def _posted_field(location: str, posted: list[int], line_ids: list[list[int]]) -> str:
    parts = location.split(".")
    if len(parts) >= 3 and parts[0] == "packages" and parts[1].isdigit():
        package = int(parts[1])
        parts[1] = str(posted[package])
        if len(parts) >= 5 and parts[2] == "items" and parts[3].isdigit():
            return ".".join([*parts[:3], str(line_ids[package][int(parts[3])])])
    return ".".join(parts)


@router.post("/orders/{order_id}/ship")
async def ship_order(
    request: Request,
    order_id: PathId,
    session: DbSession,
    access: ConsoleAccess = console_staff(Permission.ORDERS_FULFIL),
) -> Response:
    order = await service.store_order(session, access.scope, order_id)
    values = await posted_values(request)
    described = await describe_order(session, order, audience="staff")
    line_ids = [line.id for line in described.lines]
    body, errors, posted = _shipment_body(request, values, line_ids)
    result = parse_form(body, ShipIn)
    result.values = values
    if result.errors:
        package_lines = [[item["order_line_id"] for item in p["items"]] for p in body["packages"]]
        result.errors = {
            _posted_field(location, posted, package_lines): _ship_message(request, location)
            for location in result.errors
        }
    result.errors.update(errors)
    if result.errors or result.data is None:
        forms = OrderForms(ship=result)
        return await order_page(request, session, access, order_id, forms, status_code=422)
    try:
        async with undo_on_error(session):
            await service.ship(session, access.scope, order.id, result.data.packages)
    except WeShopError as exc:
        add_refusal(request, result, exc, SHIP_REFUSALS)
        forms = OrderForms(ship=result)
        return await order_page(
            request, session, access, order_id, forms, status_code=exc.status_code
        )
    return done_redirect(access, f"/orders/{order.id}", "shipped")


def _ship_message(request: Request, location: str) -> str:
    if location == "packages":
        return gettext(request, "Fill in at least one package.")
    if location.endswith("tracking_no"):
        return gettext(request, "Enter the tracking number: 4 to 40 letters, digits or dashes.")
    if location.endswith("carrier"):
        return gettext(request, "Enter the carrier.")
    return gettext(request, "Put at least one item in each package.")


@router.post("/orders/{order_id}/cancel")
async def cancel_order(
    request: Request,
    order_id: PathId,
    session: DbSession,
    access: ConsoleAccess = console_staff(Permission.ORDERS_CANCEL),
) -> Response:
    order: Order = await service.store_order(session, access.scope, order_id)
    result = parse_form(await posted_values(request), CancelIn)
    if result.data is None:
        result.errors = {"reason": gettext(request, "This is too long.")}
        forms = OrderForms(cancel=result)
        return await order_page(request, session, access, order_id, forms, status_code=422)
    try:
        async with undo_on_error(session):
            await service.cancel(
                session, order, actor=f"staff:{access.scope.actor_id}", reason=result.data.reason
            )
    except WeShopError as exc:
        add_refusal(request, result, exc, {})
        forms = OrderForms(cancel=result)
        return await order_page(
            request, session, access, order_id, forms, status_code=exc.status_code
        )
    return done_redirect(access, f"/orders/{order.id}", "cancelled")
