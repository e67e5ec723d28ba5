from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from weshop.accounts.auth import CurrentUser
from weshop.cart import service
from weshop.cart.schemas import CartItemIn, CartItemOut, CartOut, CartQuantity
from weshop.core.http import DbSession
from weshop.core.ids import MAX_ID

router = APIRouter(prefix="/api/v1/me/cart", tags=["cart"])

ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="Cart item id.")]


@router.get("", response_model=CartOut)
async def view_cart(user: CurrentUser, session: DbSession):
    """The cart grouped by store, each line checked against today's price and stock."""
    return await service.view_cart(session, user)


@router.post("/items", status_code=status.HTTP_201_CREATED, response_model=CartItemOut)
async def add_item(body: CartItemIn, user: CurrentUser, session: DbSession):
    """Put an SKU of a product on sale in the cart; an SKU already there gets the quantity
    added to its line. At most 100 lines and 9999 of one SKU."""
    return await service.add_item(session, user, body.sku_id, body.quantity)


@router.patch("/items/{item_id}", response_model=CartItemOut)
async def set_quantity(item_id: ItemId, body: CartQuantity, user: CurrentUser, session: DbSession):
    """Set a line's quantity."""
    return await service.set_quantity(session, user, item_id, body.quantity)


@router.delete("/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_item(item_id: ItemId, user: CurrentUser, session: DbSession) -> None:
    """Take a line out of the cart."""
    await service.remove_item(session, user, item_id)
