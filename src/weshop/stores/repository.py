from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.core.tenancy import StoreScope
from weshop.stores.models import StaffMember, StaffStatus, Store, StoreStatus


async def membership(session: AsyncSession, store_id: int, user_id: int) -> StaffMember | None:
    return await session.scalar(
        select(StaffMember).where(StaffMember.store_id == store_id, StaffMember.user_id == user_id)
    )


async def memberships_of(
    session: AsyncSession, user_id: int, status: StaffStatus
) -> list[tuple[StaffMember, Store]]:
    rows = await session.execute(
        select(StaffMember, Store)
        .join(Store, Store.id == StaffMember.store_id)
        .where(StaffMember.user_id == user_id, StaffMember.status == status)
        .order_by(Store.id)
    )
    return [(member, store) for member, store in rows]


async def staff_of(session: AsyncSession, scope: StoreScope) -> list[tuple[StaffMember, User]]:
    rows = await session.execute(
        select(StaffMember, User)
        .join(User, User.id == StaffMember.user_id)
        .where(StaffMember.store_id == scope.store_id, StaffMember.status != StaffStatus.REMOVED)
        .order_by(StaffMember.id)
    )
    return [(member, user) for member, user in rows]


async def staff_member(
    session: AsyncSession, scope: StoreScope, member_id: int
) -> tuple[StaffMember, User] | None:
    row = await session.execute(
        select(StaffMember, User)
        .join(User, User.id == StaffMember.user_id)
        .where(
            StaffMember.store_id == scope.store_id,
            StaffMember.id == member_id,
            StaffMember.status != StaffStatus.REMOVED,
        )
    )
    first = row.first()
    return (first[0], first[1]) if first else None


async def all_stores(session: AsyncSession) -> list[Store]:
    return list(await session.scalars(select(Store).order_by(Store.id)))


async def count_active_stores(session: AsyncSession) -> int:
    """Stores that can sell (not suspended)."""
    total = await session.scalar(
        select(func.count()).select_from(Store).where(Store.status == StoreStatus.ACTIVE)
    )
    return int(total or 0)
