"""Queries of promoters, the policy and the pool."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, distinct, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates.models import (
    AffiliateListing,
    AffiliatePlan,
    AffiliatePolicy,
    Audience,
    Click,
    LineAttribution,
    ListingStatus,
    PlanPromoter,
    Promoter,
    PromoterStatus,
    ShareLink,
)
from weshop.catalog.models import Category, Product, ProductStatus, Sku
from weshop.inventory.models import StockLevel
from weshop.orders.models import Order, OrderLine
from weshop.payments.models import Refund, RefundPart, RefundStatus

POLICY_ID = 1


async def policy(session: AsyncSession) -> AffiliatePolicy | None:
    return await session.get(AffiliatePolicy, POLICY_ID)


# Promoters


async def promoter_of_user(session: AsyncSession, user_id: int) -> Promoter | None:
    return await session.scalar(select(Promoter).where(Promoter.user_id == user_id))


async def promoter(session: AsyncSession, promoter_id: int) -> Promoter | None:
    return await session.get(Promoter, promoter_id)


async def approved_promoter_with_code(session: AsyncSession, code: str) -> Promoter | None:
    return await session.scalar(
        select(Promoter).where(Promoter.code == code, Promoter.status == PromoterStatus.APPROVED)
    )


async def code_taken(session: AsyncSession, code: str) -> bool:
    return (await session.scalar(select(Promoter.id).where(Promoter.code == code))) is not None


def promoters_query(status: PromoterStatus | None) -> Select[Any]:
    query = select(Promoter)
    if status is not None:
        query = query.where(Promoter.status == status)
    return query


async def approved_promoter_ids(session: AsyncSession, ids: Sequence[int]) -> set[int]:
    if not ids:
        return set()
    rows = await session.scalars(
        select(Promoter.id).where(
            Promoter.id.in_(set(ids)), Promoter.status == PromoterStatus.APPROVED
        )
    )
    return set(rows)


async def approved_promoters_by_code(session: AsyncSession, codes: Sequence[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = await session.execute(
        select(Promoter.code, Promoter.id).where(
            Promoter.code.in_(set(codes)), Promoter.status == PromoterStatus.APPROVED
        )
    )
    return {code: promoter_id for code, promoter_id in rows}


async def share_link_of(session: AsyncSession, promoter_id: int, code: str) -> ShareLink | None:
    """The promoter's own link with this code."""
    return await session.scalar(
        select(ShareLink).where(ShareLink.code == code, ShareLink.promoter_id == promoter_id)
    )


# Listings and plans


async def listing(
    session: AsyncSession, listing_id: int, store_id: int | None = None
) -> AffiliateListing | None:
    query = select(AffiliateListing).where(AffiliateListing.id == listing_id)
    if store_id is not None:
        query = query.where(AffiliateListing.store_id == store_id)
    return await session.scalar(query)


async def live_listing_of_product(session: AsyncSession, product_id: int) -> bool:
    found = await session.scalar(
        select(AffiliateListing.id).where(AffiliateListing.live_product_id == product_id)
    )
    return found is not None


def listings_query(store_id: int | None, status: ListingStatus | None) -> Select[Any]:
    query = select(AffiliateListing)
    if store_id is not None:
        query = query.where(AffiliateListing.store_id == store_id)
    if status is not None:
        query = query.where(AffiliateListing.status == status)
    return query


async def current_plans(
    session: AsyncSession, listings: Sequence[AffiliateListing]
) -> dict[int, AffiliatePlan]:
    """Each listing's plan in force, by listing id."""
    if not listings:
        return {}
    versions = {row.id: row.plan_version for row in listings}
    rows = await session.scalars(
        select(AffiliatePlan).where(AffiliatePlan.listing_id.in_(versions))
    )
    return {row.listing_id: row for row in rows if versions[row.listing_id] == row.version}


async def plans_of(session: AsyncSession, listing_id: int) -> list[AffiliatePlan]:
    rows = await session.scalars(
        select(AffiliatePlan)
        .where(AffiliatePlan.listing_id == listing_id)
        .order_by(AffiliatePlan.version.desc())
    )
    return list(rows)


async def plan_promoters(session: AsyncSession, plan_ids: Sequence[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    if plan_ids:
        rows = await session.execute(
            select(PlanPromoter.plan_id, PlanPromoter.promoter_id)
            .where(PlanPromoter.plan_id.in_(set(plan_ids)))
            .order_by(PlanPromoter.plan_id, PlanPromoter.promoter_id)
        )
        for plan_id, promoter_id in rows:
            found[plan_id].append(promoter_id)
    return found


def pool_query(promoter_id: int, now: datetime) -> Select[Any]:
    """Approved listings of published products whose plan in force is within its window now
    and open to this promoter."""
    listed_with_them = exists().where(
        PlanPromoter.plan_id == AffiliatePlan.id, PlanPromoter.promoter_id == promoter_id
    )
    return (
        select(AffiliateListing)
        .join(
            AffiliatePlan,
            (AffiliatePlan.listing_id == AffiliateListing.id)
            & (AffiliatePlan.version == AffiliateListing.plan_version),
        )
        .join(Product, Product.id == AffiliateListing.product_id)
        .where(
            AffiliateListing.status == ListingStatus.APPROVED,
            Product.status == ProductStatus.PUBLISHED,
            AffiliatePlan.valid_from <= now,
            or_(AffiliatePlan.valid_until.is_(None), AffiliatePlan.valid_until > now),
            or_(AffiliatePlan.audience == Audience.OPEN, listed_with_them),
        )
    )


async def in_pool_for(
    session: AsyncSession, promoter_id: int, product_id: int, now: datetime
) -> bool:
    found = await session.scalar(
        pool_query(promoter_id, now)
        .where(AffiliateListing.product_id == product_id)
        .with_only_columns(AffiliateListing.id)
    )
    return found is not None


async def live_listings_of_products(
    session: AsyncSession, product_ids: Sequence[int]
) -> dict[int, AffiliateListing]:
    """The approved listing of each product that is in the pool now, by product id."""
    if not product_ids:
        return {}
    rows = await session.scalars(
        select(AffiliateListing).where(
            AffiliateListing.live_product_id.in_(set(product_ids)),
            AffiliateListing.status == ListingStatus.APPROVED,
        )
    )
    return {row.product_id: row for row in rows}


async def plans_of_listings(
    session: AsyncSession, listing_ids: Sequence[int]
) -> dict[int, list[AffiliatePlan]]:
    """Every plan version of these listings, oldest first, by listing id."""
    found: dict[int, list[AffiliatePlan]] = defaultdict(list)
    if listing_ids:
        rows = await session.scalars(
            select(AffiliatePlan)
            .where(AffiliatePlan.listing_id.in_(set(listing_ids)))
            .order_by(AffiliatePlan.listing_id, AffiliatePlan.version)
        )
        for row in rows:
            found[row.listing_id].append(row)
    return found


# Attribution


async def clicks_by_id(session: AsyncSession, click_ids: Sequence[int]) -> dict[int, Click]:
    if not click_ids:
        return {}
    rows = await session.scalars(select(Click).where(Click.id.in_(set(click_ids))))
    return {row.id: row for row in rows}


async def promoter_codes(session: AsyncSession, promoter_ids: Sequence[int]) -> dict[int, str]:
    if not promoter_ids:
        return {}
    rows = await session.execute(
        select(Promoter.id, Promoter.code).where(Promoter.id.in_(set(promoter_ids)))
    )
    return {promoter_id: code or "" for promoter_id, code in rows}


async def plan_versions(session: AsyncSession, plan_ids: Sequence[int]) -> dict[int, int]:
    if not plan_ids:
        return {}
    rows = await session.execute(
        select(AffiliatePlan.id, AffiliatePlan.version).where(AffiliatePlan.id.in_(set(plan_ids)))
    )
    return {plan_id: version for plan_id, version in rows}


async def order_line_titles(session: AsyncSession, order_id: int) -> dict[int, str]:
    rows = await session.execute(
        select(OrderLine.id, OrderLine.title).where(OrderLine.order_id == order_id)
    )
    return {line_id: title for line_id, title in rows}


# Catalogue


async def product(session: AsyncSession, store_id: int, product_id: int) -> Product | None:
    return await session.scalar(
        select(Product).where(Product.id == product_id, Product.store_id == store_id)
    )


async def products(session: AsyncSession, product_ids: Sequence[int]) -> dict[int, Product]:
    if not product_ids:
        return {}
    rows = await session.scalars(select(Product).where(Product.id.in_(set(product_ids))))
    return {row.id: row for row in rows}


async def active_skus(session: AsyncSession, product_ids: Sequence[int]) -> dict[int, list[Sku]]:
    """Each product's active SKUs, cheapest first (ties by id)."""
    found: dict[int, list[Sku]] = defaultdict(list)
    if product_ids:
        rows = await session.scalars(
            select(Sku)
            .where(Sku.product_id.in_(set(product_ids)), Sku.is_active.is_(True))
            .order_by(Sku.price_fen, Sku.id)
        )
        for row in rows:
            found[row.product_id].append(row)
    return found


async def skus_of_products(
    session: AsyncSession, product_ids: Sequence[int]
) -> dict[int, list[Sku]]:
    """Every SKU of the products (active or not: a plan may name any of them), by id."""
    found: dict[int, list[Sku]] = defaultdict(list)
    if product_ids:
        rows = await session.scalars(
            select(Sku).where(Sku.product_id.in_(set(product_ids))).order_by(Sku.id)
        )
        for row in rows:
            found[row.product_id].append(row)
    return found


async def sku_ids_of(session: AsyncSession, product_id: int) -> set[int]:
    return set(await session.scalars(select(Sku.id).where(Sku.product_id == product_id)))


async def available_stock(session: AsyncSession, sku_ids: Sequence[int]) -> dict[int, int]:
    if not sku_ids:
        return {}
    rows = await session.execute(
        select(StockLevel.sku_id, StockLevel.available).where(StockLevel.sku_id.in_(set(sku_ids)))
    )
    return {sku_id: available for sku_id, available in rows}


# The pool's figures


async def visits_by_product(
    session: AsyncSession, product_ids: Sequence[int], since: datetime
) -> dict[int, int]:
    """Clicks on each product since ``since``, by product id (every promoter's)."""
    if not product_ids:
        return {}
    rows = await session.execute(
        select(Click.product_id, func.count())
        .where(Click.product_id.in_(set(product_ids)), Click.at >= since)
        .group_by(Click.product_id)
    )
    return {product_id: count for product_id, count in rows}


async def paid_lines_by_product(
    session: AsyncSession, product_ids: Sequence[int], since: datetime
) -> dict[int, tuple[int, int, int]]:
    """Each product's lines of orders placed since ``since`` and paid: (units, lines, orders
    attributed to a promoter), by product id."""
    if not product_ids:
        return {}
    attributed_order = case((LineAttribution.promoter_id.is_not(None), LineAttribution.order_id))
    rows = await session.execute(
        select(
            LineAttribution.product_id,
            func.sum(OrderLine.quantity),
            func.count(),
            func.count(distinct(attributed_order)),
        )
        .join(OrderLine, OrderLine.id == LineAttribution.order_line_id)
        .join(Order, Order.id == LineAttribution.order_id)
        .where(
            LineAttribution.product_id.in_(set(product_ids)),
            LineAttribution.decided_at >= since,
            Order.paid_at.is_not(None),
        )
        .group_by(LineAttribution.product_id)
    )
    return {product_id: (int(units), lines, orders) for product_id, units, lines, orders in rows}


async def refunded_lines_by_product(
    session: AsyncSession, product_ids: Sequence[int], since: datetime
) -> dict[int, int]:
    """Each product's lines of orders placed since ``since`` with a refund asked or made (a
    failed one does not count), by product id."""
    if not product_ids:
        return {}
    rows = await session.execute(
        select(LineAttribution.product_id, func.count(distinct(RefundPart.order_line_id)))
        .join(
            RefundPart,
            and_(
                RefundPart.order_id == LineAttribution.order_id,
                RefundPart.order_line_id == LineAttribution.order_line_id,
            ),
        )
        .join(Refund, Refund.id == RefundPart.refund_id)
        .where(
            LineAttribution.product_id.in_(set(product_ids)),
            LineAttribution.decided_at >= since,
            Refund.status != RefundStatus.FAILED,
        )
        .group_by(LineAttribution.product_id)
    )
    return {product_id: count for product_id, count in rows}


async def sold_units_by_category_name(session: AsyncSession, promoter_id: int) -> dict[str, int]:
    """The units of paid order lines attributed to the promoter, by the name of their
    product's category (categories are each store's own: the name is what two stores'
    categories share); uncategorised products left out."""
    rows = await session.execute(
        select(Category.name, func.sum(OrderLine.quantity))
        .select_from(LineAttribution)
        .join(Order, Order.id == LineAttribution.order_id)
        .join(OrderLine, OrderLine.id == LineAttribution.order_line_id)
        .join(Product, Product.id == LineAttribution.product_id)
        .join(Category, Category.id == Product.category_id)
        .where(LineAttribution.promoter_id == promoter_id, Order.paid_at.is_not(None))
        .group_by(Category.name)
    )
    return {name: int(units) for name, units in rows}


async def category_names(session: AsyncSession, category_ids: Sequence[int]) -> dict[int, str]:
    if not category_ids:
        return {}
    rows = await session.execute(
        select(Category.id, Category.name).where(Category.id.in_(set(category_ids)))
    )
    return {category_id: name for category_id, name in rows}
