"""Storefront pages of the catalogue: the mall home, a store's home, a product, search.

The pages are the same for every visitor and kept by the page cache
(:mod:`weshop.web.response_cache`) until something they read changes.

Every product and store has a short shareable URL (``/p/{id}``, ``/s/{id}``) whose head
carries the sharing card (og:title, og:image, og:description, og:url).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from weshop.catalog import categories, views
from weshop.catalog.schemas import ShopProductOut, category_tree, shop_product_out
from weshop.core.errors import NotFound
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import MAX_ID, PathId
from weshop.stores import service as stores
from weshop.stores.models import StoreStatus
from weshop.web.csrf import verify_csrf
from weshop.web.response_cache import cached_response
from weshop.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)])

PAGE_SIZE = 20
FEATURED = 12
SORTS = ("newest", "sales", "price_asc", "price_desc")

Cursor = Annotated[str | None, Query(max_length=200)]
Sort = Annotated[views.ShopSort, Query()]
CategoryFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]


# Sections that domains above the catalogue add to the mall home, a store's home and a product
# page (set by ``weshop.routes``). Each returns None or a dict with the ``template`` to include
# and what it shows (as ``section``); like the pages, a section must be the same for every
# visitor.
MallHomeSection = Callable[[Request, AsyncSession], Awaitable[dict[str, Any] | None]]
ProductPageSection = Callable[[Request, AsyncSession, int], Awaitable[dict[str, Any] | None]]
StorePageSection = Callable[[Request, AsyncSession, int], Awaitable[dict[str, Any] | None]]
MALL_HOME_SECTIONS: list[MallHomeSection] = []
STORE_PAGE_SECTIONS: list[StorePageSection] = []
PRODUCT_PAGE_SECTIONS: list[ProductPageSection] = []


def absolute(runtime: Any, path: str | None) -> str:
    """A link for sharing: on the public address, whatever host this browser used."""
    if not path:
        return ""
    return runtime.settings.public_base_url.rstrip("/") + path


@router.get("/")
@cached_response()
async def mall_home(request: Request, session: DbSession, runtime: RuntimeDep) -> Response:
    """The mall: its open stores and the best-selling products across them."""
    open_stores = [s for s in await stores.all_stores(session) if s.status == StoreStatus.ACTIVE]
    featured = await views.shop_products(
        session, store_id=None, category_id=None, q=None, sort="sales", cursor=None, limit=FEATURED
    )
    return render(
        request,
        "catalog/shop/mall.html",
        {
            "stores": open_stores,
            "products": featured.items,
            "sections": [
                shown
                for section in MALL_HOME_SECTIONS
                if (shown := await section(request, session)) is not None
            ],
            "tab": "home",
            "share_url": absolute(runtime, "/"),
        },
    )


@router.get("/s/{store_id}")
@cached_response()
async def store_home(
    request: Request,
    store_id: PathId,
    session: DbSession,
    runtime: RuntimeDep,
    category: CategoryFilter = None,
    sort: Sort = "newest",
    cursor: Cursor = None,
) -> Response:
    """A store's home: banner, categories and its products; a suspended store says so."""
    store = await stores.get_store(session, store_id)
    context: dict[str, Any] = {
        "store": store,
        "suspended": store.status != StoreStatus.ACTIVE,
        "tree": [],
        "products": [],
        "next_cursor": None,
        "category": category,
        "sort": sort,
        "sorts": SORTS,
        "tab": "home",
        "share_url": absolute(runtime, f"/s/{store.id}"),
        # An uploaded logo is a path here; a card's image must be a whole address.
        "share_image": absolute(runtime, store.logo_url)
        if store.logo_url.startswith("/")
        else store.logo_url,
        "sections": [],
    }
    if not context["suspended"]:
        page = await views.shop_products(
            session,
            store_id=store.id,
            category_id=category,
            q=None,
            sort=sort,
            cursor=cursor,
            limit=PAGE_SIZE,
        )
        context.update(
            tree=category_tree(await categories.public_categories(session, store.id)),
            products=page.items,
            next_cursor=page.next_cursor,
            sections=[
                shown
                for section in STORE_PAGE_SECTIONS
                if (shown := await section(request, session, store.id)) is not None
            ],
        )
    return render(request, "catalog/shop/store.html", context)


@dataclass(frozen=True)
class SpecValueChoice:
    value: str
    # Some SKU with this value is in stock; otherwise the value is shown greyed out.
    in_stock: bool


@dataclass(frozen=True)
class Dimension:
    name: str
    values: list[SpecValueChoice]


def dimensions(product: ShopProductOut) -> list[Dimension]:
    """One row per spec dimension (颜色, 尺码) with the values some active SKU has; the page's
    script then greys out what cannot combine with the shopper's choice."""
    rows = []
    for spec in product.specs:
        sold = {sku.spec_values.get(spec.name) for sku in product.skus}
        stocked = {sku.spec_values.get(spec.name) for sku in product.skus if sku.available > 0}
        rows.append(
            Dimension(
                name=spec.name,
                values=[SpecValueChoice(v, v in stocked) for v in spec.values if v in sold],
            )
        )
    return rows


@router.get("/p/{product_id}")
@cached_response()
async def product_page(
    request: Request, product_id: PathId, session: DbSession, runtime: RuntimeDep
) -> Response:
    """A product: images, price, the spec choices that are in stock with each SKU's price and
    stock, and the buttons that put it in the cart or buy it now."""
    try:
        found = await views.shop_product(session, product_id)
    except NotFound:
        store = await views.store_of_product(session, product_id)
        if store is None or store.status == StoreStatus.ACTIVE:
            raise
        return render(request, "catalog/shop/suspended.html", {"store": store, "tab": "home"})
    product = shop_product_out(found.product, found.store, found.skus, found.levels, found.media)
    in_stock = [sku for sku in product.skus if sku.available > 0]
    prices = [sku.price_fen for sku in in_stock or product.skus] or [product.price_from_fen]
    cover = product.images[0].url if product.images else None
    return render(
        request,
        "catalog/shop/product.html",
        {
            "product": product,
            "lowest_fen": min(prices),
            "highest_fen": max(prices),
            "in_stock": in_stock,
            "chosen_sku": in_stock[0].id if len(in_stock) == 1 else None,
            "dimensions": dimensions(product),
            "cover": cover,
            "share_url": absolute(runtime, f"/p/{product.id}"),
            "share_image": absolute(runtime, cover),
            "added": request.query_params.get("added") == "1",
            "favourited": request.query_params.get("favourited") == "1",
            "sections": [
                shown
                for section in PRODUCT_PAGE_SECTIONS
                if (shown := await section(request, session, product.id)) is not None
            ],
            "tab": "home",
        },
    )


@router.get("/search")
@cached_response()
async def search(
    request: Request,
    session: DbSession,
    q: Annotated[str, Query(max_length=60)] = "",
    store_id: CategoryFilter = None,
    sort: Sort = "relevance",
    cursor: Cursor = None,
) -> Response:
    """Products on sale whose title, subtitle, spec values or categories hold every word
    searched for, most relevant first, the words marked."""
    words = q.strip()
    page = None
    marks: dict[int, views.SearchMarks] = {}
    if words:
        page = await views.shop_products(
            session,
            store_id=store_id,
            category_id=None,
            q=words,
            sort=sort,
            cursor=cursor,
            limit=PAGE_SIZE,
        )
        marks = await views.search_marks(session, page.items, words)
    return render(
        request,
        "catalog/shop/search.html",
        {
            "q": words,
            "store_id": store_id,
            "sort": sort,
            "sorts": ("relevance", *SORTS),
            "marks": marks,
            "products": page.items if page else [],
            "next_cursor": page.next_cursor if page else None,
            "searched": page is not None,
            "tab": "search",
        },
    )
