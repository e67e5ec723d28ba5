"""收藏: products a shopper keeps. A favourite is the shopper's own (another shopper's is a
404) and outlives the product's time on sale: a product taken off the shop stays listed,
marked 已下架."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.catalog import repository as repo
from weshop.catalog.models import Favourite, Product, ProductStatus
from weshop.catalog.schemas import FavouriteOut, cover_url
from weshop.core.errors import NotFound
from weshop.core.pagination import Page, page_of, paginate
from weshop.stores.models import Store, StoreStatus


def _out(favourite: Favourite, product: Product, store: Store, media: dict) -> FavouriteOut:
    return FavouriteOut(
        id=favourite.id,
        product_id=product.id,
        title=product.title,
        price_from_fen=product.price_from_fen,
        image_url=cover_url(product, media),
        on_sale=product.status == ProductStatus.PUBLISHED and store.status == StoreStatus.ACTIVE,
        created_at=favourite.created_at,
    )


async def _rows(session: AsyncSession, favourites: list[Favourite]) -> list[FavouriteOut]:
    ids = [f.product_id for f in favourites]
    found = await session.execute(
        select(Product, Store).join(Store, Store.id == Product.store_id).where(Product.id.in_(ids))
    )
    products = {product.id: (product, store) for product, store in found}
    media = await repo.media(session, [p.image_ids[0] for p, _ in products.values() if p.image_ids])
    return [_out(f, *products[f.product_id], media) for f in favourites]


async def favourites(
    session: AsyncSession,
    user_id: int,
    *,
    product_id: int | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> Page[FavouriteOut]:
    """The shopper's favourites, newest first; ``product_id`` narrows to that product's."""
    query = select(Favourite).where(Favourite.user_id == user_id)
    if product_id is not None:
        query = query.where(Favourite.product_id == product_id)
    rows = list(await session.scalars(paginate(query, Favourite, cursor, limit)))
    page = page_of(rows, limit, lambda row: row)
    return Page(items=await _rows(session, page.items), next_cursor=page.next_cursor)


async def add(session: AsyncSession, user_id: int, product_id: int) -> FavouriteOut:
    """Keep a product on sale; keeping it again answers the same favourite."""
    if await repo.published_product(session, product_id) is None:
        raise NotFound("no such product on sale")
    query = select(Favourite).where(
        Favourite.user_id == user_id, Favourite.product_id == product_id
    )
    favourite = await session.scalar(query)
    if favourite is None:
        favourite = Favourite(user_id=user_id, product_id=product_id)
        try:
            async with session.begin_nested():
                session.add(favourite)
        except IntegrityError:
            # The same tap arrived twice at once: the other request's row is the answer.
            favourite = await session.scalar(query)
            if favourite is None:
                raise
    return (await _rows(session, [favourite]))[0]


async def remove(session: AsyncSession, user_id: int, favourite_id: int) -> int:
    """Let a favourite go; the product it was of is returned. Not the shopper's: 404."""
    favourite = await session.scalar(
        select(Favourite).where(Favourite.id == favourite_id, Favourite.user_id == user_id)
    )
    if favourite is None:
        raise NotFound("no such favourite of yours")
    await session.delete(favourite)
    await session.flush()
    return favourite.product_id
