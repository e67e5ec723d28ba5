"""The platform fee schedule: a rate in basis points per store plan, optionally per platform
category.

A line's product is in a store category, which maps onto a platform category (a store
sub-category without a mapping uses its parent's). The line pays the rate of that platform
category (or of its parent) under the store's plan, else the plan's own rate, else the
built-in default. The rates of an order are
fixed in its :class:`OrderFeeTerms` when its payment is accepted.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from weshop.catalog.models import Category, PlatformCategory, Product
from weshop.core.errors import NotFound
from weshop.ledger.models import FeeRate, OrderFeeTerms, StoreFeePlan, StorePlan
from weshop.orders.models import Order, OrderLine
from weshop.orders.parts import Part
from weshop.stores.models import Store

# Defaults between 3% and 5%: the paid plan pays the lower fee.
DEFAULT_RATES_BP: dict[StorePlan, int] = {StorePlan.BASIC: 500, StorePlan.ADVANCED: 300}
MAX_RATE_BP = 5_000


def scope_key(plan: StorePlan, category_id: int | None) -> str:
    return str(plan) if category_id is None else f"{plan}:category:{category_id}"


async def store_plan(session: AsyncSession, store_id: int) -> StorePlan:
    row = await session.get(StoreFeePlan, store_id)
    return StorePlan.BASIC if row is None else row.plan


async def store_plans(session: AsyncSession, store_ids: list[int]) -> dict[int, StorePlan]:
    """Each store's plan, in one query (a store without a row is on the basic plan)."""
    rows = await session.scalars(select(StoreFeePlan).where(StoreFeePlan.store_id.in_(store_ids)))
    chosen = {row.store_id: row.plan for row in rows}
    return {store_id: chosen.get(store_id, StorePlan.BASIC) for store_id in store_ids}


async def set_store_plan(session: AsyncSession, store_id: int, plan: StorePlan) -> StoreFeePlan:
    if await session.get(Store, store_id) is None:
        raise NotFound("no such store")
    row = await session.get(StoreFeePlan, store_id)
    if row is None:
        row = StoreFeePlan(store_id=store_id, plan=plan)
        session.add(row)
    row.plan = plan
    await session.flush()
    return row


async def set_rate(
    session: AsyncSession,
    plan: StorePlan,
    category_id: int | None,
    rate_bp: int,
    actor_id: int,
) -> FeeRate:
    """Set (or change) the rate of a plan, or of a plan in one platform category."""
    if category_id is not None:
        category = await session.get(PlatformCategory, category_id)
        if category is None or category.retired:
            raise NotFound("no such platform category")
    key = scope_key(plan, category_id)
    rate = await session.scalar(select(FeeRate).where(FeeRate.scope_key == key))
    if rate is None:
        rate = FeeRate(scope_key=key, plan=plan, platform_category_id=category_id, rate_bp=rate_bp)
        session.add(rate)
    rate.rate_bp, rate.updated_by = rate_bp, actor_id
    await session.flush()
    return rate


async def all_rates(session: AsyncSession) -> list[FeeRate]:
    return list(await session.scalars(select(FeeRate).order_by(FeeRate.plan, FeeRate.scope_key)))


async def _rate_table(session: AsyncSession, plan: StorePlan) -> dict[int | None, int]:
    rows = await session.execute(
        select(FeeRate.platform_category_id, FeeRate.rate_bp).where(FeeRate.plan == plan)
    )
    table: dict[int | None, int] = {None: DEFAULT_RATES_BP[plan]}
    table.update({category_id: rate for category_id, rate in rows})
    return table


def _platform_chain(product_ids: set[int]) -> Select[tuple[int, int | None, int | None]]:
    """Each product's platform category (through its store category, or that category's
    parent) and the platform category's parent."""
    parent = aliased(Category)
    platform = aliased(PlatformCategory)
    mapped = func.coalesce(Category.platform_category_id, parent.platform_category_id)
    return (
        select(Product.id, platform.id, platform.parent_id)
        .join(Category, Category.id == Product.category_id)
        .outerjoin(parent, parent.id == Category.parent_id)
        .join(platform, platform.id == mapped)
        .where(Product.id.in_(product_ids))
    )


async def _line_categories(session: AsyncSession, lines: list[OrderLine]) -> dict[int, list[int]]:
    """Each line's platform category and its parent, nearest first."""
    rows = await session.execute(_platform_chain({line.product_id for line in lines}))
    chain = {
        product_id: [c for c in (category_id, parent_id) if c]
        for product_id, category_id, parent_id in rows
    }
    return {line.id: chain.get(line.product_id, []) for line in lines}


def _rate_of(table: dict[int | None, int], categories: list[int]) -> int:
    found = [table[c] for c in categories if c in table]
    return found[0] if found else table[None]


async def product_rate(session: AsyncSession, store_id: int, product_id: int) -> int:
    """The rate a line of this product of this store would pay if paid now."""
    table = await _rate_table(session, await store_plan(session, store_id))
    row = (await session.execute(_platform_chain({product_id}))).first()
    return _rate_of(table, [c for c in row[1:] if c] if row else [])


async def fee_terms(session: AsyncSession, order: Order, lines: list[OrderLine]) -> OrderFeeTerms:
    """The order's fee rates: fixed now if this is its first accepted payment."""
    terms = await session.get(OrderFeeTerms, order.id)
    if terms is not None:
        return terms
    plan = await store_plan(session, order.store_id)
    table = await _rate_table(session, plan)
    categories = await _line_categories(session, lines)
    line_rates = {}
    for line in lines:
        line_rates[str(line.id)] = _rate_of(table, categories[line.id])
    terms = OrderFeeTerms(
        order_id=order.id,
        store_id=order.store_id,
        plan=plan,
        shipping_rate_bp=table[None],
        line_rates=line_rates,
    )
    session.add(terms)
    await session.flush()
    return terms


def rates_of(terms: OrderFeeTerms) -> dict[Part, int]:
    rates: dict[Part, int] = {int(line_id): rate for line_id, rate in terms.line_rates.items()}
    rates[None] = terms.shipping_rate_bp
    return rates
