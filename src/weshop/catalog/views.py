"""The public catalogue: published products of active stores, and SKU facts for other domains.

Pages are keyset-paginated in every sort order, so a page never repeats or skips a product
when others are added meanwhile and deep pages cost no more than the first.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from markupsafe import Markup
from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.catalog import repository as repo
from weshop.catalog import search
from weshop.catalog.models import Product, ProductStatus, Sku
from weshop.catalog.schemas import ProductSummary, cover_url, summary_out
from weshop.core.errors import InvalidInput, NotFound
from weshop.core.ids import MAX_ID
from weshop.core.pagination import Page, page_of, paginate
from weshop.inventory.models import StockLevel
from weshop.inventory.service import stock_levels
from weshop.stores.models import Store, StoreStatus

# "relevance" ranks search results (without search terms it is "newest").
ShopSort = Literal["relevance", "newest", "price_asc", "price_desc", "sales"]

# sort -> (column, ascending); ties are broken by id in the same direction.
_KEYSETS: dict[str, tuple[Any, bool]] = {
    "price_asc": (Product.price_from_fen, True),
    "price_desc": (Product.price_from_fen, False),
    "sales": (Product.sales_count, False),
}


def _encode(sort: str, value: int, row_id: int) -> str:
    raw = json.dumps([sort, value, row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, sort: str) -> tuple[int, int]:
    invalid = InvalidInput("the cursor is not valid for this sort", code="invalid_cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, value, row_id = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError):
        raise invalid from None
    numbers_ok = all(type(n) is int and 0 <= n <= MAX_ID for n in (value, row_id))
    if name != sort or not numbers_ok:
        raise invalid
    return value, row_id


def _keyset(query: Select[Any], sort: str, cursor: str | None, limit: int) -> Select[Any]:
    column, ascending = _KEYSETS[sort]
    if cursor:
        value, row_id = _decode(cursor, sort)
        if ascending:
            after = or_(column > value, and_(column == value, Product.id > row_id))
        else:
            after = or_(column < value, and_(column == value, Product.id < row_id))
        query = query.where(after)
    order = (column.asc(), Product.id.asc()) if ascending else (column.desc(), Product.id.desc())
    return query.order_by(*order).limit(limit + 1)


async def shop_products(
    session: AsyncSession,
    *,
    store_id: int | None,
    category_id: int | None,
    q: str | None,
    sort: ShopSort,
    cursor: str | None,
    limit: int,
) -> Page[ProductSummary]:
    terms = search.terms_of(q)
    query = repo.shop_products_query(store_id, category_id, terms, search.dialect_of(session))
    if sort == "relevance" and terms:
        return await _by_relevance(session, query, terms, cursor, limit)
    if sort in ("newest", "relevance"):
        rows = list(await session.scalars(paginate(query, Product, cursor, limit)))
    else:
        rows = list(await session.scalars(_keyset(query, sort, cursor, limit)))
    media = await repo.media(session, [p.image_ids[0] for p in rows if p.image_ids])
    page = page_of(rows, limit, lambda product: summary_out(product, media))
    if sort not in ("newest", "relevance") and page.next_cursor:
        last = rows[limit - 1]
        column, _ = _KEYSETS[sort]
        page.next_cursor = _encode(sort, getattr(last, column.key), last.id)
    return page


def _decode_relevance(cursor: str) -> tuple[int, int, int]:
    invalid = InvalidInput("the cursor is not valid for this sort", code="invalid_cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, hits, sales, row_id = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError):
        raise invalid from None
    numbers_ok = all(type(n) is int and 0 <= n <= MAX_ID for n in (hits, sales, row_id))
    if name != "relevance" or not numbers_ok:
        raise invalid
    return hits, sales, row_id


async def _by_relevance(
    session: AsyncSession, query: Select[Any], terms: list[str], cursor: str | None, limit: int
) -> Page[ProductSummary]:
    """Most terms in the title first, then best sellers, then newest; keyset-paginated on
    those three so that a page never repeats or skips a result."""
    hits = search.title_hits(terms)
    if cursor:
        last_hits, last_sales, last_id = _decode_relevance(cursor)
        query = query.where(
            or_(
                hits < last_hits,
                and_(hits == last_hits, Product.sales_count < last_sales),
                and_(hits == last_hits, Product.sales_count == last_sales, Product.id < last_id),
            )
        )
    ranked = query.add_columns(hits).order_by(
        hits.desc(), Product.sales_count.desc(), Product.id.desc()
    )
    found = list(await session.execute(ranked.limit(limit + 1)))
    rows = [row[0] for row in found]
    media = await repo.media(session, [p.image_ids[0] for p in rows if p.image_ids])
    page = page_of(rows, limit, lambda product: summary_out(product, media))
    if page.next_cursor:
        last, last_hits = found[limit - 1][0], found[limit - 1][1]
        raw = json.dumps(["relevance", last_hits, last.sales_count, last.id]).encode()
        page.next_cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return page


@dataclass(frozen=True)
class ShopProduct:
    product: Product
    store: Store
    skus: list[Sku]
    levels: dict[int, StockLevel]
    media: dict[int, Any]


async def shop_product(session: AsyncSession, product_id: int) -> ShopProduct:
    """A published product of an active store with its active SKUs; anything else is 404."""
    found = await repo.published_product(session, product_id)
    if found is None:
        raise NotFound("no such product")
    product, store = found
    skus = [sku for sku in await repo.skus_of(session, product.id) if sku.is_active]
    return ShopProduct(
        product=product,
        store=store,
        skus=skus,
        levels=await stock_levels(session, [sku.id for sku in skus]),
        media=await repo.media(session, media_ids(product, skus), product.store_id),
    )


def media_ids(product: Product, skus: Iterable[Sku]) -> list[int]:
    """Every file a product's page shows: gallery, SKU pictures, detail images and video."""
    ids = list(product.image_ids)
    ids += [sku.image_id for sku in skus if sku.image_id is not None]
    ids += [block["media_id"] for block in product.detail_blocks if block.get("media_id")]
    return ids


@dataclass(frozen=True)
class SkuListing:
    """What a shopper-facing list (cart, low-stock list) shows of a SKU."""

    sku: Sku
    product: Product
    store: Store
    image_url: str | None

    @property
    def problem(self) -> str | None:
        """Why the SKU cannot be bought now, stock aside: ``unpublished`` or ``sku_inactive``."""
        on_sale = (
            self.product.status == ProductStatus.PUBLISHED
            and self.store.status == StoreStatus.ACTIVE
        )
        if not on_sale:
            return "unpublished"
        if not self.sku.is_active:
            return "sku_inactive"
        return None


async def describe_skus(
    session: AsyncSession, sku_ids: Iterable[int], *, store_id: int | None = None
) -> dict[int, SkuListing]:
    """SKUs by id with their product, store and cover image; unknown ids are left out."""
    rows = await repo.skus_with_products(session, sku_ids, store_id)
    covers = [product.image_ids[0] for _, product, _ in rows if product.image_ids]
    media = await repo.media(session, covers)
    return {
        sku.id: SkuListing(
            sku=sku, product=product, store=store, image_url=cover_url(product, media)
        )
        for sku, product, store in rows
    }


async def store_of_product(session: AsyncSession, product_id: int) -> Store | None:
    """The store selling a published product, suspended or not (None: no such product)."""
    return await repo.store_of_published_product(session, product_id)


@dataclass(frozen=True)
class SearchMarks:
    """What a search results page highlights of one product."""

    title: Markup
    spec_hits: list[Markup]


async def search_marks(
    session: AsyncSession, items: list[ProductSummary], q: str
) -> dict[int, SearchMarks]:
    """Each result's title with the query's terms marked, and the spec values it matched."""
    terms = search.terms_of(q)
    specs = await repo.specs_of(session, [item.id for item in items])
    return {
        item.id: SearchMarks(
            title=search.highlight(item.title, terms),
            spec_hits=search.spec_hits(specs.get(item.id, []), terms),
        )
        for item in items
    }
