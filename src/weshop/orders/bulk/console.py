"""The orders list's bulk tools in the merchant console: 批量发货 of the ticked orders (a
carrier and tracking number each, typed or read from a CSV file, previewed before anything
ships) and 打印发货单, the packing slips of the ticked orders on A4 or 80 mm thermal paper."""

from __future__ import annotations

import re
import secrets
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from weshop.core.errors import InvalidInput, NotFound, WeShopError
from weshop.core.http import DbSession
from weshop.core.idempotency import run_idempotent
from weshop.core.ids import MAX_ID
from weshop.logistics.carriers.codes import CARRIERS
from weshop.orders.bulk import service as bulk
from weshop.orders.bulk.schemas import MAX_SHIP_BATCH, ShipmentBatchIn
from weshop.orders.models import Order
from weshop.orders.views import describe_orders, shipping_address
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff
from weshop.stores.permissions import Permission
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_, error_message
from weshop.web.forms import posted_values, undo_on_error
from weshop.web.i18n import gettext

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

Shipper = console_staff(Permission.ORDERS_FULFIL)
Reader = console_staff(Permission.ORDERS_READ)
PAPERS = ("a4", "thermal")
WHY_NOT = {
    "not_shippable": N_("Not waiting to ship (unpaid, already shipped or cancelled)."),
    "shipping_held": N_("Waits for its group to fill."),
    "pickup_order": N_("Collected at a pickup point, not shipped."),
}
CSV_PROBLEMS = {
    "file_too_large": N_("The file is too large (256 KB at most)."),
    "not_csv": N_("This is not a CSV file saved as UTF-8 or GBK."),
    "empty_file": N_("The file has no rows."),
    "missing_column": N_("The header needs the columns 订单号, 快递公司 and 运单号."),
    "missing_order_no": N_("The order number is missing."),
    "order_no_mangled": N_(
        "The spreadsheet app turned the order number into %(value)s: format the column as text."
    ),
    "unknown_carrier": N_(
        "Unknown carrier “%(value)s”: use a name or a code, e.g. 顺丰 or shunfeng."
    ),
    "bad_tracking_no": N_(
        "The tracking number “%(value)s” is not 4 to 40 letters, digits or dashes."
    ),
    "too_many_rows": N_("A file ships 100 orders at most; this line is one too many."),
    "duplicate_order": N_("The order %(value)s is on an earlier line too."),
    "unknown_order": N_("This store has no order %(value)s."),
    "not_shippable": N_(
        "The order %(value)s is not waiting to ship (unpaid, shipped or cancelled)."
    ),
    "shipping_held": N_("The order %(value)s waits for its group to fill."),
    "pickup_order": N_("The order %(value)s is collected at a pickup point, not shipped."),
}
SHIP_REFUSALS = {
    "illegal_transition": N_(
        "The order %(order_no)s cannot be shipped now (shipped or cancelled)."
    ),
    "shipping_held": N_("The order %(order_no)s waits for its group to fill."),
    "pickup_order": N_("The order %(order_no)s is collected at a pickup point, not shipped."),
    "nothing_to_ship": N_("The order %(order_no)s has nothing left to ship."),
    "idempotency_key_reused": N_("These orders were already sent. Reload the list to see them."),
}
NONE_SELECTED = N_("Tick at least one order in the list.")
TOO_MANY = N_("Select %(max)s orders at most.")
CARRIER_ERROR = N_("Enter the carrier.")
TRACKING_ERROR = N_("Enter the tracking number: 4 to 40 letters, digits or dashes.")
ID = re.compile(r"^\d{1,19}$")


class Shipped(BaseModel):
    count: int


def _order_ids(given: list[str]) -> list[int]:
    """The ticked order ids, each once; a value that is no id is bad input."""
    ids: list[int] = []
    for text in given:
        if not ID.match(text) or not 1 <= int(text) <= MAX_ID:
            raise InvalidInput("order ids are whole numbers", code="invalid_order_id")
        if int(text) not in ids:
            ids.append(int(text))
    return ids


def _line(request: Request, line: int, message: str) -> str:
    if line == 0:
        return message
    return gettext(request, "Line %(line)s: %(message)s") % {"line": line, "message": message}


def csv_problem(request: Request, problem: bulk.CsvProblem) -> str:
    message = gettext(request, CSV_PROBLEMS[problem.code]) % {"value": problem.value}
    return _line(request, problem.line, message)


def _refusal(request: Request, exc: WeShopError) -> str:
    known = SHIP_REFUSALS.get(exc.code)
    if known is None:
        return error_message(request, exc.code, exc.message)
    order_no = exc.details.get("order_no", "") if isinstance(exc.details, dict) else ""
    return gettext(request, known) % {"order_no": order_no}


async def _batch_page(
    request: Request,
    session: DbSession,
    access: ConsoleAccess,
    orders: list[Order],
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    problems: list[str] | None = None,
    notice: str = "",
    status_code: int = 200,
) -> Response:
    pickups = await bulk.pickup_orders(session, orders)
    described = await describe_orders(session, orders, audience="staff")
    rows = [
        {
            "order": order_out,
            "why_not": WHY_NOT.get(bulk.not_shippable(order, order.id in pickups) or ""),
        }
        for order, order_out in zip(orders, described, strict=True)
    ]
    return console_page(
        request,
        "orders/console/shipping_batch.html",
        access,
        "orders",
        {
            "rows": rows,
            "to_ship": [row for row in rows if not row["why_not"]],
            "values": values or {},
            "errors": errors or {},
            "problems": problems or [],
            "notice": notice,
            "carriers": [carrier.name for carrier in CARRIERS],
            "form_key": secrets.token_urlsafe(16),
            "max_batch": MAX_SHIP_BATCH,
        },
        status_code=status_code,
    )


@router.get("/shipping-batch")
async def shipping_batch(
    request: Request, session: DbSession, access: ConsoleAccess = Shipper
) -> Response:
    """The ticked orders, each with a carrier and a tracking number to fill in."""
    ids = _order_ids(request.query_params.getlist("order_ids"))
    if len(ids) > MAX_SHIP_BATCH:
        problems = [gettext(request, TOO_MANY) % {"max": MAX_SHIP_BATCH}]
        return await _batch_page(request, session, access, [], problems=problems, status_code=422)
    orders = await bulk.batch_orders(session, access.scope, ids)
    problems = [] if orders else [gettext(request, NONE_SELECTED)]
    return await _batch_page(request, session, access, orders, problems=problems)


def _shipments(
    request: Request, values: dict[str, Any], ids: list[int]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The typed rows as the API takes them (a blank carrier takes the one for all) and the
    errors of their fields."""
    every = str(values.get("all_carrier", "")).strip()
    shipments, errors = [], {}
    for order_id in ids:
        carrier = str(values.get(f"carrier.{order_id}", "")).strip() or every
        tracking_no = str(values.get(f"tracking_no.{order_id}", "")).strip()
        row = {"order_id": order_id, "carrier": carrier, "tracking_no": tracking_no}
        try:
            ShipmentBatchIn.model_validate({"shipments": [row]})
        except ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][-1])
                message = CARRIER_ERROR if field == "carrier" else TRACKING_ERROR
                errors.setdefault(f"{field}.{order_id}", gettext(request, message))
        shipments.append(row)
    return shipments, errors


@router.post("/shipping-batch")
async def ship_batch(
    request: Request, session: DbSession, access: ConsoleAccess = Shipper
) -> Response:
    """Ships the confirmed rows, all of them or none, once per form shown (its key)."""
    values = await posted_values(request)
    given = values.get("order_ids", [])
    ids = _order_ids([given] if isinstance(given, str) else list(given))
    orders = await bulk.batch_orders(session, access.scope, ids[: MAX_SHIP_BATCH + 1])
    shipments, errors = _shipments(request, values, ids)
    problems = [] if ids else [gettext(request, NONE_SELECTED)]
    if len(ids) > MAX_SHIP_BATCH:
        problems = [gettext(request, TOO_MANY) % {"max": MAX_SHIP_BATCH}]
    if errors or problems:
        return await _batch_page(
            request,
            session,
            access,
            orders,
            values=values,
            errors=errors,
            problems=problems,
            status_code=422,
        )
    body = ShipmentBatchIn.model_validate({"shipments": shipments})
    form_key = str(values.get("form_key", ""))[:128] or None

    async def ship() -> Shipped:
        return Shipped(count=len(await bulk.ship_batch(session, access.scope, body.shipments)))

    try:
        async with undo_on_error(session):
            outcome = await run_idempotent(
                session,
                key=form_key,
                owner=f"user:{access.scope.actor_id}",
                endpoint="console.shipping_batch",
                payload={"store_id": access.scope.store_id, **body.model_dump(mode="json")},
                action=ship,
                model=Shipped,
            )
    except NotFound:
        raise
    except WeShopError as exc:
        return await _batch_page(
            request,
            session,
            access,
            orders,
            values=values,
            problems=[_refusal(request, exc)],
            status_code=exc.status_code,
        )
    return RedirectResponse(
        f"/console/stores/{access.store.id}/orders?shipped={outcome.model.count}", 303
    )


@router.post("/shipping-batch/csv")
async def import_tracking(
    request: Request, session: DbSession, access: ConsoleAccess = Shipper
) -> Response:
    """Reads a CSV of tracking numbers (订单号,快递公司,运单号) into the batch form to
    confirm; a file with any bad line lists them all and ships nothing."""
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        problems = [gettext(request, "Choose a CSV file to upload.")]
        return await _batch_page(request, session, access, [], problems=problems, status_code=422)
    planned, found = await bulk.plan_tracking_csv(
        session, access.scope, await upload.read(bulk.MAX_CSV_BYTES + 1)
    )
    if found:
        problems = [csv_problem(request, problem) for problem in found]
        return await _batch_page(request, session, access, [], problems=problems, status_code=422)
    values: dict[str, Any] = {}
    for row in planned:
        values[f"carrier.{row.order.id}"] = row.carrier
        values[f"tracking_no.{row.order.id}"] = row.tracking_no
    notice = gettext(
        request, "The file is read: %(count)s orders to ship. Check them, then confirm."
    )
    return await _batch_page(
        request,
        session,
        access,
        [row.order for row in planned],
        values=values,
        notice=notice % {"count": len(planned)},
    )


@router.get("/packing-slips")
async def packing_slips(
    request: Request, session: DbSession, access: ConsoleAccess = Reader
) -> Response:
    """One packing slip per ticked order, for A4 or 80 mm thermal paper (``paper``). The
    recipient shows in full to roles that may read personal data (those that ship), masked
    to the others, as in the order export."""
    ids = _order_ids(request.query_params.getlist("order_ids"))
    if len(ids) > MAX_SHIP_BATCH:
        raise InvalidInput(f"{MAX_SHIP_BATCH} orders at most", code="too_many_orders")
    orders = await bulk.batch_orders(session, access.scope, ids)
    reveal = access.can(Permission.PERSONAL_DATA_READ)
    described = await describe_orders(session, orders, audience="staff")
    paper = request.query_params.get("paper", "a4")
    return console_page(
        request,
        "orders/console/packing_slips.html",
        access,
        "orders",
        {
            "slips": [
                (order_out, shipping_address(order, reveal=reveal))
                for order, order_out in zip(orders, described, strict=True)
            ],
            "paper": paper if paper in PAPERS else "a4",
            "order_ids": ids,
        },
    )
