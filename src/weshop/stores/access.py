"""Staff access to a store: membership first, then the role's right.

Someone who is not active staff of the store gets 404 for it and everything in it, exactly
as if it did not exist; staff whose role lacks the right get 403. :func:`staff_access` holds
the rule; the API's dependency (:func:`staff_with`) and the console pages' dependency
(:mod:`weshop.stores.console_access`) only adapt its answer.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Path
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.auth import CurrentUser
from weshop.core.errors import NotFound, PermissionDenied
from weshop.core.http import DbSession
from weshop.core.ids import MAX_ID
from weshop.core.openapi import raises
from weshop.core.tenancy import StoreScope
from weshop.stores import repository as repo
from weshop.stores.models import StaffStatus
from weshop.stores.permissions import Permission, role_allows


async def staff_access(
    session: AsyncSession, user_id: int, store_id: int, permission: Permission
) -> StoreScope:
    """The user's scope in the store when they are active staff whose role has the right."""
    member = await repo.membership(session, store_id, user_id)
    if member is None or member.status != StaffStatus.ACTIVE:
        raise NotFound("no such store")
    if not role_allows(member.role, permission):
        raise PermissionDenied(
            f"the {member.role} role may not do this ({permission})",
            details={"permission": permission},
        )
    return StoreScope(store_id=store_id, actor_id=user_id, role=member.role)


def staff_with(permission: Permission) -> Any:
    @raises(NotFound, PermissionDenied)
    async def dependency(
        user: CurrentUser,
        session: DbSession,
        store_id: int = Path(ge=1, le=MAX_ID, description="Store id."),
    ) -> StoreScope:
        return await staff_access(session, user.id, store_id, permission)

    return Depends(dependency)
