"""Catalogue queries. Merchant queries take the scope's store id; shop queries see only what
is published in an active store."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Column, ColumnElement, Select, and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.catalog import search
from weshop.catalog.models import Category, Product, ProductSearchDoc, ProductStatus, Sku
from weshop.core.db import Base
from weshop.media.models import MediaAsset
from weshop.stores.models import Store, StoreStatus


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def keyword_filter(q: str) -> ColumnElement[bool] | None:
    """Every whitespace-separated word must appear in the title or the subtitle.

    Substring matching, not word matching, so that Chinese (written without spaces) works.
    """
    clauses = []
    for word in q.split():
        pattern = _like_pattern(word)
        clauses.append(
            or_(
                Product.title.ilike(pattern, escape="\\"),
                Product.subtitle.ilike(pattern, escape="\\"),
            )
        )
    return and_(*clauses) if clauses else None


def _in_category(category_id: int) -> ColumnElement[bool]:
    """The category itself or one of its children."""
    family = select(Category.id).where(
        or_(Category.id == category_id, Category.parent_id == category_id)
    )
    return Product.category_id.in_(family)


# Categories


async def categories_of(session: AsyncSession, store_id: int) -> list[Category]:
    rows = await session.scalars(
        select(Category)
        .where(Category.store_id == store_id)
        .order_by(Category.sort_order, Category.id)
    )
    return list(rows)


async def category(session: AsyncSession, store_id: int, category_id: int) -> Category | None:
    return await session.scalar(
        select(Category).where(Category.store_id == store_id, Category.id == category_id)
    )


async def count_categories(session: AsyncSession, store_id: int) -> int:
    return await session.scalar(
        select(func.count()).select_from(Category).where(Category.store_id == store_id)
    )


async def has_children(session: AsyncSession, category_id: int) -> bool:
    found = await session.scalar(
        select(Category.id).where(Category.parent_id == category_id).limit(1)
    )
    return found is not None


async def is_used_by_products(session: AsyncSession, category_id: int) -> bool:
    found = await session.scalar(
        select(Product.id).where(Product.category_id == category_id).limit(1)
    )
    return found is not None


async def sibling_named(
    session: AsyncSession, store_id: int, parent_id: int | None, name: str, exclude_id: int | None
) -> Category | None:
    query = select(Category).where(
        Category.store_id == store_id,
        Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id,
        Category.name == name,
    )
    if exclude_id is not None:
        query = query.where(Category.id != exclude_id)
    return await session.scalar(query.limit(1))


# Product images


async def media(
    session: AsyncSession, ids: Iterable[int], store_id: int | None = None
) -> dict[int, MediaAsset]:
    wanted = set(ids)
    if not wanted:
        return {}
    query = select(MediaAsset).where(MediaAsset.id.in_(wanted))
    if store_id is not None:
        query = query.where(MediaAsset.store_id == store_id)
    return {row.id: row for row in await session.scalars(query)}


# Products and SKUs


async def product(
    session: AsyncSession, store_id: int, product_id: int, *, lock: bool = False
) -> Product | None:
    """``lock`` holds the row (PostgreSQL) so that checks across its SKUs see no concurrent
    change; SQLite's writers are serialised anyway."""
    query = select(Product).where(Product.store_id == store_id, Product.id == product_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def skus_of(session: AsyncSession, product_id: int) -> list[Sku]:
    rows = await session.scalars(select(Sku).where(Sku.product_id == product_id).order_by(Sku.id))
    return list(rows)


async def sku(session: AsyncSession, store_id: int, product_id: int, sku_id: int) -> Sku | None:
    return await session.scalar(
        select(Sku).where(Sku.store_id == store_id, Sku.product_id == product_id, Sku.id == sku_id)
    )


async def taken_sku_codes(session: AsyncSession, store_id: int, codes: Sequence[str]) -> set[str]:
    if not codes:
        return set()
    rows = await session.scalars(
        select(Sku.sku_code).where(Sku.store_id == store_id, Sku.sku_code.in_(set(codes)))
    )
    return set(rows)


# Inventory's bookkeeping of a SKU's own stock, which goes with the SKU when it is deleted.
_OWN_STOCK_TABLES = frozenset({"stock_levels", "stock_movements", "warehouse_stocks"})


def _sku_references() -> list[Column[int]]:
    """Every column of another table that names a SKU: order lines, carts, campaigns, stock
    reservations. Read from the schema, so that a domain above the catalogue that starts
    naming SKUs keeps them from being deleted without the catalogue importing it."""
    return [
        fk.parent
        for table in Base.metadata.sorted_tables
        if table.name not in _OWN_STOCK_TABLES
        for fk in table.foreign_keys
        if fk.column.table.name == Sku.__tablename__
    ]


async def lock_skus(session: AsyncSession, sku_ids: Sequence[int]) -> None:
    """Hold the SKU rows (PostgreSQL): an order line being inserted for one of them waits, or
    has committed and is seen by :func:`referenced_sku_ids`."""
    if sku_ids:
        await session.execute(
            select(Sku.id).where(Sku.id.in_(sku_ids)).order_by(Sku.id).with_for_update()
        )


async def referenced_sku_ids(session: AsyncSession, sku_ids: Sequence[int]) -> set[int]:
    """Those of ``sku_ids`` that some order, cart or campaign names."""
    found: set[int] = set()
    for column in _sku_references():
        wanted = [sku_id for sku_id in sku_ids if sku_id not in found]
        if not wanted:
            break
        found.update(await session.scalars(select(column).where(column.in_(wanted)).distinct()))
    return found


async def delete_skus(session: AsyncSession, store_id: int, sku_ids: Sequence[int]) -> None:
    await session.execute(delete(Sku).where(Sku.store_id == store_id, Sku.id.in_(sku_ids)))


async def lowest_active_price(session: AsyncSession, product_id: int) -> int | None:
    return await session.scalar(
        select(func.min(Sku.price_fen)).where(Sku.product_id == product_id, Sku.is_active)
    )


async def has_priced_active_sku(session: AsyncSession, product_id: int) -> bool:
    found = await session.scalar(
        select(Sku.id)
        .where(Sku.product_id == product_id, Sku.is_active, Sku.price_fen > 0)
        .limit(1)
    )
    return found is not None


def merchant_products_query(
    store_id: int, status: ProductStatus | None, category_id: int | None, q: str | None
) -> Select[tuple[Product]]:
    """The store's products; without a status, every one but the archived."""
    query = select(Product).where(Product.store_id == store_id)
    if status is not None:
        query = query.where(Product.status == status)
    else:
        query = query.where(Product.status != ProductStatus.ARCHIVED)
    if category_id is not None:
        query = query.where(_in_category(category_id))
    if q and (keywords := keyword_filter(q)) is not None:
        query = query.where(keywords)
    return query


def shop_products_query(
    store_id: int | None, category_id: int | None, terms: Sequence[str], dialect: str
) -> Select[tuple[Product]]:
    """Products on sale; with search terms, those whose search document holds every one."""
    query = (
        select(Product)
        .join(Store, Store.id == Product.store_id)
        .where(Product.status == ProductStatus.PUBLISHED, Store.status == StoreStatus.ACTIVE)
    )
    if store_id is not None:
        query = query.where(Product.store_id == store_id)
    if category_id is not None:
        query = query.where(_in_category(category_id))
    if terms:
        query = query.join(ProductSearchDoc, ProductSearchDoc.product_id == Product.id)
        hits = search.index_hits(terms, dialect)
        if hits is not None:
            query = query.join(hits, hits.c.product_id == Product.id)
        rest = search.scanned(terms, dialect)
        if rest is not None:
            query = query.where(rest)
    return query


async def specs_of(session: AsyncSession, product_ids: Iterable[int]) -> dict[int, list]:
    wanted = set(product_ids)
    if not wanted:
        return {}
    rows = await session.execute(select(Product.id, Product.specs).where(Product.id.in_(wanted)))
    return {product_id: specs for product_id, specs in rows}


async def published_product(session: AsyncSession, product_id: int) -> tuple[Product, Store] | None:
    row = await session.execute(
        select(Product, Store)
        .join(Store, Store.id == Product.store_id)
        .where(
            Product.id == product_id,
            Product.status == ProductStatus.PUBLISHED,
            Store.status == StoreStatus.ACTIVE,
        )
    )
    first = row.first()
    return None if first is None else tuple(first)


async def active_store(session: AsyncSession, store_id: int) -> Store | None:
    return await session.scalar(
        select(Store).where(Store.id == store_id, Store.status == StoreStatus.ACTIVE)
    )


async def skus_with_products(
    session: AsyncSession, sku_ids: Iterable[int], store_id: int | None = None
) -> list[tuple[Sku, Product, Store]]:
    wanted = set(sku_ids)
    if not wanted:
        return []
    query = (
        select(Sku, Product, Store)
        .join(Product, Product.id == Sku.product_id)
        .join(Store, Store.id == Sku.store_id)
        .where(Sku.id.in_(wanted))
    )
    if store_id is not None:
        query = query.where(Sku.store_id == store_id)
    return [tuple(row) for row in await session.execute(query)]


async def store_of_published_product(session: AsyncSession, product_id: int) -> Store | None:
    """The store of a published product whatever the store's status, so that a shared link
    to a suspended store's product can say why it cannot be bought."""
    return await session.scalar(
        select(Store)
        .join(Product, Product.store_id == Store.id)
        .where(Product.id == product_id, Product.status == ProductStatus.PUBLISHED)
    )


async def sku_ids_matching(session: AsyncSession, store_id: int, q: str, limit: int) -> list[int]:
    """A store's SKUs whose code contains ``q`` or whose product's title or subtitle has
    every word of it; newest products first, each product's SKUs in order."""
    words = keyword_filter(q)
    if words is None:
        return []
    code = Sku.sku_code.ilike(_like_pattern(q.strip()), escape="\\")
    rows = await session.scalars(
        select(Sku.id)
        .join(Product, Product.id == Sku.product_id)
        .where(Sku.store_id == store_id, or_(code, words))
        .order_by(Product.id.desc(), Sku.id)
        .limit(limit)
    )
    return list(rows)
