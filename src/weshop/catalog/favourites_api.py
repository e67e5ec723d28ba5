"""The shopper's favourites (收藏) over the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from weshop.accounts.auth import CurrentUser
from weshop.catalog import favourites
from weshop.catalog.schemas import FavouriteIn, FavouriteOut
from weshop.core.errors import NotFound
from weshop.core.http import DbSession
from weshop.core.ids import MAX_ID
from weshop.core.openapi import raises
from weshop.core.pagination import DEFAULT_LIMIT, CursorQuery, Limit, Page

router = APIRouter(prefix="/api/v1/me/favourites", tags=["favourites"])

FavouriteId = Annotated[int, Path(ge=1, le=MAX_ID, description="Favourite id.")]
ProductFilter = Annotated[
    int | None,
    Query(ge=1, le=MAX_ID, description="Only the favourite of this product (is it kept?)."),
]


@router.get("", response_model=Page[FavouriteOut])
async def list_favourites(
    user: CurrentUser,
    session: DbSession,
    product_id: ProductFilter = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The shopper's favourites, newest first; products no longer on sale have
    `on_sale: false` (shown as 已下架)."""
    return await favourites.favourites(
        session, user.id, product_id=product_id, cursor=cursor, limit=limit
    )


@router.post("", response_model=FavouriteOut)
@raises(NotFound)
async def add_favourite(body: FavouriteIn, user: CurrentUser, session: DbSession):
    """Keep a product on sale (收藏). Keeping it again answers the same favourite; a product
    not on sale answers 404."""
    return await favourites.add(session, user.id, body.product_id)


@router.delete("/{favourite_id}", status_code=status.HTTP_204_NO_CONTENT)
@raises(NotFound)
async def remove_favourite(
    favourite_id: FavouriteId, user: CurrentUser, session: DbSession
) -> None:
    """Let a favourite go (取消收藏). Another shopper's favourite answers 404."""
    await favourites.remove(session, user.id, favourite_id)
