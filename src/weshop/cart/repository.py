from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.cart.models import CartItem
from weshop.core.clock import utcnow
from weshop.core.money import MAX_LINE_QUANTITY


async def items_of(session: AsyncSession, user_id: int) -> list[CartItem]:
    rows = await session.scalars(
        select(CartItem)
        .where(CartItem.user_id == user_id)
        .order_by(CartItem.updated_at.desc(), CartItem.id.desc())
    )
    return list(rows)


async def item_of(session: AsyncSession, user_id: int, item_id: int) -> CartItem | None:
    return await session.scalar(
        select(CartItem).where(CartItem.user_id == user_id, CartItem.id == item_id)
    )


async def item_for_sku(session: AsyncSession, user_id: int, sku_id: int) -> CartItem | None:
    return await session.scalar(
        select(CartItem).where(CartItem.user_id == user_id, CartItem.sku_id == sku_id)
    )


async def count_lines(session: AsyncSession, user_id: int) -> int:
    return await session.scalar(
        select(func.count()).select_from(CartItem).where(CartItem.user_id == user_id)
    )


async def add_to_line(session: AsyncSession, item_id: int, quantity: int) -> bool:
    """Add to a line unless the sum would pass the line limit; one UPDATE, so concurrent adds
    both count."""
    result = await session.execute(
        update(CartItem)
        .where(CartItem.id == item_id, CartItem.quantity + quantity <= MAX_LINE_QUANTITY)
        .values(quantity=CartItem.quantity + quantity, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def delete_skus(session: AsyncSession, user_id: int, sku_ids: Iterable[int]) -> int:
    wanted = set(sku_ids)
    if not wanted:
        return 0
    result = await session.execute(
        delete(CartItem).where(CartItem.user_id == user_id, CartItem.sku_id.in_(wanted))
    )
    return result.rowcount
