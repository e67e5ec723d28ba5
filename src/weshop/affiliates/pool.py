"""The pool as a promoter sees it: what they may promote now, with the commission per unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates import repository as repo
from weshop.affiliates.models import AffiliateListing, AffiliatePlan, Promoter
from weshop.catalog.models import Product, Sku
from weshop.core.money import bps_share
from weshop.core.pagination import paginate


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


async def pool_items(session: AsyncSession, listings: list[AffiliateListing]) -> list[PoolItem]:
    """The listings as pool items; a product without an active SKU (nothing to sell) is left
    out."""
    plans = await repo.current_plans(session, listings)
    product_ids = [row.product_id for row in listings]
    products = await repo.products(session, product_ids)
    skus = await repo.active_skus(session, product_ids)
    stock = await repo.available_stock(session, [sku.id for rows in skus.values() for sku in rows])
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
            )
        )
    return items
