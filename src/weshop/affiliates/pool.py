"""The pool as a promoter sees it: what they may promote now, with the commission per unit
and the product's figures of the last 30 days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates import repository as repo
from weshop.affiliates.models import AffiliateListing, AffiliatePlan, Promoter
from weshop.catalog.models import Product, Sku
from weshop.core.money import BPS_WHOLE, bps_share
from weshop.core.pagination import paginate

FIGURES_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Figures:
    """A product's last 30 days, every promoter's together: orders placed in the window and
    paid, their lines and units, the visits through promoters' links, and the lines with a
    refund."""

    units_paid: int = 0
    paid_lines: int = 0
    attributed_orders: int = 0
    visits: int = 0
    refunded_lines: int = 0


def ratio_bps(part: int, whole: int) -> int | None:
    """``part / whole`` in basis points, rounded half up; None of nothing."""
    if whole == 0:
        return None
    return (2 * part * BPS_WHOLE + whole) // (2 * whole)


@dataclass(frozen=True)
class PoolItem:
    listing: AffiliateListing
    plan: AffiliatePlan
    product: Product
    default_sku: Sku
    price_to_fen: int
    rate_bps: int
    commission_per_unit_fen: int
    stock_available: int
    figures: Figures

    @property
    def conversion_bps(self) -> int | None:
        """Attributed paid orders per visit."""
        return ratio_bps(self.figures.attributed_orders, self.figures.visits)

    @property
    def refund_rate_bps(self) -> int | None:
        """Paid lines with a refund per paid line."""
        return ratio_bps(self.figures.refunded_lines, self.figures.paid_lines)


async def figures(
    session: AsyncSession, product_ids: list[int], now: datetime
) -> dict[int, Figures]:
    """The products' figures of the 30 days to ``now``, by product id: three grouped queries
    on indexed columns, whatever the number of orders."""
    since = now - FIGURES_WINDOW
    visits = await repo.visits_by_product(session, product_ids, since)
    paid = await repo.paid_lines_by_product(session, product_ids, since)
    refunded = await repo.refunded_lines_by_product(session, product_ids, since)
    found = {}
    for product_id in product_ids:
        units, lines, orders = paid.get(product_id, (0, 0, 0))
        found[product_id] = Figures(
            units_paid=units,
            paid_lines=lines,
            attributed_orders=orders,
            visits=visits.get(product_id, 0),
            refunded_lines=refunded.get(product_id, 0),
        )
    return found


def sku_rate(plan: AffiliatePlan, sku_id: int) -> int:
    """The plan's rate for one SKU: its own rate if the plan gives one, else the plan's."""
    for row in plan.sku_rates:
        if row["sku_id"] == sku_id:
            return row["rate_bps"]
    return plan.rate_bps


async def pool_page(
    session: AsyncSession, promoter: Promoter, now: datetime, cursor: str | None, limit: int
) -> list[AffiliateListing]:
    query = paginate(repo.pool_query(promoter.id, now), AffiliateListing, cursor, limit)
    return list(await session.scalars(query))


async def pool_items(
    session: AsyncSession, listings: list[AffiliateListing], now: datetime
) -> list[PoolItem]:
    """The listings as pool items, with their figures to ``now``; a product without an active
    SKU (nothing to sell) is left out."""
    plans = await repo.current_plans(session, listings)
    product_ids = [row.product_id for row in listings]
    products = await repo.products(session, product_ids)
    skus = await repo.active_skus(session, product_ids)
    stock = await repo.available_stock(session, [sku.id for rows in skus.values() for sku in rows])
    figures_of = await figures(session, product_ids, now)
    items = []
    for listing in listings:
        active = skus.get(listing.product_id)
        if not active:
            continue
        plan, default_sku = plans[listing.id], active[0]
        rate = sku_rate(plan, default_sku.id)
        items.append(
            PoolItem(
                listing=listing,
                plan=plan,
                product=products[listing.product_id],
                default_sku=default_sku,
                price_to_fen=max(sku.price_fen for sku in active),
                rate_bps=rate,
                commission_per_unit_fen=bps_share(default_sku.price_fen, rate),
                stock_available=sum(stock.get(sku.id, 0) for sku in active),
                figures=figures_of[listing.product_id],
            )
        )
    return items
