"""批量发货: ship a batch of the store's orders, each in one package holding everything it
has left to ship, through ``service.ship`` as one shipment would; and the CSV of tracking
numbers (订单号,快递公司,运单号) that fills such a batch.

A batch is all or nothing. Every order is found in the caller's store before anything is
written (an id of another store: 404); one order that cannot ship refuses the whole batch,
naming the order (``details.order_no``). A CSV file is checked whole first: every bad row is
reported with its line number, and nothing is written while any is.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.errors import NotFound, WeShopError
from weshop.core.tenancy import StoreScope
from weshop.logistics.carriers.codes import carrier_code, carrier_name
from weshop.orders import repository as repo
from weshop.orders import service
from weshop.orders.bulk.schemas import MAX_SHIP_BATCH, TRACKING_NO, BatchShipmentIn
from weshop.orders.models import Order, OrderStatus
from weshop.orders.schemas import PackageIn

SHIPPABLE = (OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED)
MAX_CSV_BYTES = 256 * 1024
# Header names a tracking-number file may use for each column, as Chinese shops write them.
COLUMNS = {
    "order_no": ("订单号", "订单编号", "order_no", "order number", "order"),
    "carrier": ("快递公司", "物流公司", "快递", "承运商", "carrier", "carrier code"),
    "tracking_no": ("运单号", "快递单号", "物流单号", "tracking_no", "tracking number"),
}
# Excel shows a long number it has read as 2.02612E+19: the order number is lost.
SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+\d+$", re.IGNORECASE)


@dataclass(frozen=True)
class CsvRow:
    line: int
    order_no: str
    carrier: str
    tracking_no: str


@dataclass(frozen=True)
class CsvProblem:
    """A bad line of the file (0: the file as a whole) and the code of what is wrong."""

    line: int
    code: str
    value: str = ""


@dataclass(frozen=True)
class PlannedShipment:
    order: Order
    carrier: str
    tracking_no: str
    line: int = 0


def carrier_of(text: str) -> str:
    """A known carrier by its code, name or short name, as the ship form names it (its
    Chinese name, which tracking reads back); any other name as typed."""
    code = carrier_code(text)
    return carrier_name(code) if code else text.strip()


def not_shippable(order: Order, pickup_order: bool) -> str | None:
    """Why ``order`` cannot be shipped now, as an error code, or None."""
    if pickup_order:
        return "pickup_order"
    if order.status not in SHIPPABLE:
        return "not_shippable"
    if order.shipping_held:
        return "shipping_held"
    return None


@contextmanager
def _about(order: Order) -> Iterator[None]:
    """A refusal while shipping ``order`` says which order it was."""
    # Read before: after a refusal from the database the row can no longer be loaded.
    named = {"order_id": order.id, "order_no": order.order_no}
    try:
        yield
    except WeShopError as exc:
        given = exc.details if isinstance(exc.details, dict) else {}
        exc.details = {**given, **named}
        raise


async def batch_orders(
    session: AsyncSession, scope: StoreScope, order_ids: list[int]
) -> list[Order]:
    """The store's orders of the batch, in the order given; 404 naming the ids that are not."""
    found, missing = [], []
    for order_id in order_ids:
        order = await repo.store_order(session, scope, order_id)
        if order is None:
            missing.append(order_id)
        else:
            found.append(order)
    if missing:
        raise NotFound("some orders are not orders of this store", details={"ids": missing})
    return found


async def pickup_orders(session: AsyncSession, orders: list[Order]) -> set[int]:
    """The ids of those orders collected at a pickup point (never shipped)."""
    return set(await repo.pickups_of(session, [order.id for order in orders]))


async def ship_batch(
    session: AsyncSession, scope: StoreScope, shipments: list[BatchShipmentIn]
) -> list[PlannedShipment]:
    """Ship every order of the batch in one package of all it has left to ship, orders in
    id order (the order their rows are locked in)."""
    orders = await batch_orders(session, scope, [s.order_id for s in shipments])
    by_id = {order.id: order for order in orders}
    shipped = []
    for shipment in sorted(shipments, key=lambda s: s.order_id):
        order = by_id[shipment.order_id]
        package = PackageIn(carrier=carrier_of(shipment.carrier), tracking_no=shipment.tracking_no)
        with _about(order):
            await service.ship(session, scope, order.id, [package])
        shipped.append(PlannedShipment(order, package.carrier, package.tracking_no))
    return shipped


def _decode(data: bytes) -> str | None:
    # Excel on a Chinese Windows saves CSV in GB18030 (GBK); everything else in UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _header(cells: list[str]) -> dict[str, int] | None:
    """The column of each field if ``cells`` is a header row, else None."""
    names = [cell.strip().casefold() for cell in cells]
    found = {
        field: next((i for i, name in enumerate(names) if name in aliases), -1)
        for field, aliases in COLUMNS.items()
    }
    return found if any(index >= 0 for index in found.values()) else None


def read_tracking_csv(data: bytes) -> tuple[list[CsvRow], list[CsvProblem]]:
    """The rows of a tracking-number file and the problems of its lines (all of them, by
    line number). Columns are found by their header (订单号 / 快递公司 / 运单号, or in
    English); a file without a header has them in that order. Blank lines are skipped."""
    if len(data) > MAX_CSV_BYTES:
        return [], [CsvProblem(0, "file_too_large")]
    text = _decode(data)
    if text is None:
        return [], [CsvProblem(0, "not_csv")]
    try:
        records = [(number, cells) for number, cells in _records(text) if any(cells)]
    except csv.Error:
        return [], [CsvProblem(0, "not_csv")]
    if not records:
        return [], [CsvProblem(0, "empty_file")]
    columns = _header(records[0][1])
    if columns is not None:
        records = records[1:]
        missing = [field for field, index in columns.items() if index < 0]
        if missing:
            return [], [CsvProblem(1, "missing_column", field) for field in missing]
    columns = columns or {"order_no": 0, "carrier": 1, "tracking_no": 2}
    rows, problems = [], []
    for number, cells in records:
        fields = (_cell(cells, columns[name]) for name in ("order_no", "carrier", "tracking_no"))
        row = CsvRow(number, *fields)
        problems.extend(_row_problems(row))
        rows.append(row)
    if len(rows) > MAX_SHIP_BATCH:
        problems.append(CsvProblem(rows[MAX_SHIP_BATCH].line, "too_many_rows"))
    return rows, problems


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text))
    start = 1
    for cells in reader:
        yield start, [cell.strip() for cell in cells]
        start = reader.line_num + 1


def _cell(cells: list[str], index: int) -> str:
    # A spreadsheet app may keep the quote our own export puts before a risky cell.
    return cells[index].removeprefix("'").strip() if index < len(cells) else ""


def _row_problems(row: CsvRow) -> list[CsvProblem]:
    problems = []
    if not row.order_no:
        problems.append(CsvProblem(row.line, "missing_order_no"))
    elif SCIENTIFIC.match(row.order_no):
        problems.append(CsvProblem(row.line, "order_no_mangled", row.order_no))
    if carrier_code(row.carrier) is None:
        problems.append(CsvProblem(row.line, "unknown_carrier", row.carrier))
    if not re.match(TRACKING_NO, row.tracking_no):
        problems.append(CsvProblem(row.line, "bad_tracking_no", row.tracking_no))
    return problems


async def plan_tracking_csv(
    session: AsyncSession, scope: StoreScope, data: bytes
) -> tuple[list[PlannedShipment], list[CsvProblem]]:
    """A tracking-number file as a batch to ship, or every problem of its lines: orders
    named twice, not orders of this store, or not to ship now. Writes nothing."""
    rows, problems = read_tracking_csv(data)
    numbers = [row.order_no for row in rows if row.order_no]
    orders = (
        {
            order.order_no: order
            for order in await session.scalars(
                repo.store_orders(scope).where(Order.order_no.in_(numbers))
            )
        }
        if numbers and len(rows) <= MAX_SHIP_BATCH
        else {}
    )
    pickups = await pickup_orders(session, list(orders.values()))
    seen: dict[str, int] = {}
    planned = []
    for row in rows:
        if not row.order_no or SCIENTIFIC.match(row.order_no) or len(rows) > MAX_SHIP_BATCH:
            continue
        if row.order_no in seen:
            problems.append(CsvProblem(row.line, "duplicate_order", row.order_no))
            continue
        seen[row.order_no] = row.line
        order = orders.get(row.order_no)
        if order is None:
            problems.append(CsvProblem(row.line, "unknown_order", row.order_no))
            continue
        why = not_shippable(order, order.id in pickups)
        if why is not None:
            problems.append(CsvProblem(row.line, why, row.order_no))
            continue
        planned.append(PlannedShipment(order, carrier_of(row.carrier), row.tracking_no, row.line))
    problems.sort(key=lambda problem: problem.line)
    return planned, problems
