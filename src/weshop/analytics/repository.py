"""Aggregate queries for the dashboards: each figure is summed by the database, never by
fetching rows, and a day is a calendar day in China (``BUSINESS_TZ`` of the ledger)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from weshop.inventory.models import StockLevel
from weshop.orders.models import Order, OrderStatus
from weshop.payments.models import Payment, PaymentStatus

TO_SHIP = (OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED)


class china_day(FunctionElement[date]):
    """The calendar day in China (UTC+8, no daylight saving) of a UTC timestamp column."""

    type = Date()
    inherit_cache = True


@compiles(china_day, "sqlite")
def _china_day_sqlite(element: china_day, compiler: Any, **kw: Any) -> str:
    # SQLite keeps UTC as naive text (see UTCDateTime).
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(china_day, "postgresql")
def _china_day_postgresql(element: china_day, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Shanghai' AS DATE)"


@dataclass(frozen=True)
class DayTotal:
    day: date
    paid_fen: int
    paid_orders: int


@dataclass(frozen=True)
class StoreCounts:
    orders_placed: int
    orders_to_ship: int
    low_stock_skus: int


async def paid_by_day(
    session: AsyncSession, store_id: int, since: datetime, until: datetime
) -> list[DayTotal]:
    """Succeeded payments of a store paid in ``[since, until)``, summed per China day: the
    amount and the number of orders paid. Days without a payment are absent."""
    day = china_day(Payment.paid_at)
    rows = await session.execute(
        select(day, func.sum(Payment.amount_fen), func.count(func.distinct(Payment.order_id)))
        .where(
            Payment.store_id == store_id,
            Payment.status == PaymentStatus.SUCCEEDED,
            Payment.paid_at >= since,
            Payment.paid_at < until,
        )
        .group_by(day)
    )
    return [
        DayTotal(
            day=value,
            paid_fen=int(amount or 0),
            paid_orders=int(count),
        )
        for value, amount, count in rows
    ]


async def store_counts(
    session: AsyncSession, store_id: int, since: datetime, until: datetime
) -> StoreCounts:
    """In one statement: orders placed in ``[since, until)``, orders waiting to be shipped,
    and SKUs at or below their low-stock threshold (as the low-stock list counts them)."""
    placed = (
        select(func.count())
        .select_from(Order)
        .where(Order.store_id == store_id, Order.created_at >= since, Order.created_at < until)
        .scalar_subquery()
    )
    to_ship = (
        select(func.count())
        .select_from(Order)
        .where(Order.store_id == store_id, Order.status.in_(TO_SHIP))
        .scalar_subquery()
    )
    low = (
        select(func.count())
        .select_from(StockLevel)
        .where(
            StockLevel.store_id == store_id,
            StockLevel.available <= StockLevel.low_stock_threshold,
        )
        .scalar_subquery()
    )
    row = (await session.execute(select(placed, to_ship, low))).one()
    return StoreCounts(orders_placed=row[0], orders_to_ship=row[1], low_stock_skus=row[2])
