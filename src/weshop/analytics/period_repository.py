"""Aggregate queries of a period of China days for the dashboard: visits, payments, refunds
and the best-selling products, each summed by the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.catalog.models import Product
from weshop.catalog.visit_models import ProductVisitDay, ProductVisitor, StoreVisitDay, StoreVisitor
from weshop.orders.models import OrderLine
from weshop.payments.models import Payment, PaymentStatus, Refund, RefundStatus


@dataclass(frozen=True)
class PeriodTotals:
    """What a store saw in a period: ``visitors`` each counted once over the period."""

    visitors: int
    page_views: int
    paid_fen: int
    paid_orders: int
    buyers: int
    refunded_fen: int
    refunded_orders: int


@dataclass(frozen=True)
class ProductTotals:
    product_id: int
    title: str
    paid_fen: int
    quantity: int
    buyers: int
    views: int
    visitors: int


def _scalar(column: Any, where: list[Any]) -> Any:
    return select(column).where(*where).scalar_subquery()


def _paid(store_id: int, since: datetime, until: datetime) -> list[Any]:
    return [
        Payment.store_id == store_id,
        Payment.status == PaymentStatus.SUCCEEDED,
        Payment.paid_at >= since,
        Payment.paid_at < until,
    ]


async def period_totals(
    session: AsyncSession,
    store_id: int,
    days: tuple[date, date],
    moments: tuple[datetime, datetime],
) -> PeriodTotals:
    """One statement: the days ``[first, last]`` of the visit counters and the moments
    ``[since, until)`` of payments and of refunds that succeeded."""
    first, last = days
    since, until = moments
    visitors = (
        select(func.count(func.distinct(StoreVisitor.visitor_key)))
        .where(StoreVisitor.store_id == store_id, StoreVisitor.day.between(first, last))
        .scalar_subquery()
    )
    views = (
        select(func.coalesce(func.sum(StoreVisitDay.page_views), 0))
        .where(StoreVisitDay.store_id == store_id, StoreVisitDay.day.between(first, last))
        .scalar_subquery()
    )
    paid = _paid(store_id, since, until)
    refunded = [
        Refund.store_id == store_id,
        Refund.status == RefundStatus.SUCCEEDED,
        Refund.succeeded_at >= since,
        Refund.succeeded_at < until,
    ]
    row = (
        await session.execute(
            select(
                visitors,
                views,
                _scalar(func.coalesce(func.sum(Payment.amount_fen), 0), paid),
                _scalar(func.count(func.distinct(Payment.order_id)), paid),
                _scalar(func.count(func.distinct(Payment.user_id)), paid),
                _scalar(func.coalesce(func.sum(Refund.amount_fen), 0), refunded),
                _scalar(func.count(func.distinct(Refund.order_id)), refunded),
            )
        )
    ).one()
    return PeriodTotals(*(int(value or 0) for value in row))


async def top_products(
    session: AsyncSession,
    store_id: int,
    days: tuple[date, date],
    moments: tuple[datetime, datetime],
    limit: int,
) -> list[ProductTotals]:
    """The products with the most paid in the period (what their lines were paid after
    discounts), with their page views and visitors of the same days."""
    first, last = days
    paid_orders = (
        select(Payment.order_id, Payment.user_id).where(*_paid(store_id, *moments)).subquery()
    )
    sales = (
        select(
            OrderLine.product_id,
            func.sum(OrderLine.payable_fen).label("fen"),
            func.sum(OrderLine.quantity).label("quantity"),
            func.count(func.distinct(paid_orders.c.user_id)).label("buyers"),
        )
        .join(paid_orders, paid_orders.c.order_id == OrderLine.order_id)
        .where(OrderLine.store_id == store_id)
        .group_by(OrderLine.product_id)
        .subquery()
    )
    views = (
        select(func.coalesce(func.sum(ProductVisitDay.views), 0))
        .where(
            ProductVisitDay.product_id == sales.c.product_id,
            ProductVisitDay.day.between(first, last),
        )
        .scalar_subquery()
    )
    visitors = (
        select(func.count(func.distinct(ProductVisitor.visitor_key)))
        .where(
            ProductVisitor.product_id == sales.c.product_id,
            ProductVisitor.day.between(first, last),
        )
        .scalar_subquery()
    )
    rows = await session.execute(
        select(
            sales.c.product_id,
            Product.title,
            sales.c.fen,
            sales.c.quantity,
            sales.c.buyers,
            views,
            visitors,
        )
        .join(Product, Product.id == sales.c.product_id)
        .order_by(sales.c.fen.desc(), sales.c.product_id)
        .limit(limit)
    )
    return [
        ProductTotals(
            product_id=product_id,
            title=title,
            paid_fen=int(fen),
            quantity=int(quantity),
            buyers=int(buyers),
            views=int(view_count),
            visitors=int(visitor_count),
        )
        for product_id, title, fen, quantity, buyers, view_count, visitor_count in rows
    ]
