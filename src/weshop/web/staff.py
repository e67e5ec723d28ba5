"""Staff access for merchant-console pages: the same rule as the API, from the cookie session.

Someone who is not active staff of the store gets 404 for it; a role without the right gets
403. Templates receive ``can(permission)`` so that what a role cannot do is not shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Path, Request

from weshop.core.errors import NotFound, PermissionDenied
from weshop.core.http import DbSession
from weshop.core.ids import MAX_ID
from weshop.core.tenancy import StoreScope
from weshop.stores import repository as stores_repo
from weshop.stores.models import StaffStatus, Store
from weshop.stores.permissions import Permission, role_allows
from weshop.web.session import PageUser


@dataclass(frozen=True)
class ConsoleAccess:
    """The signed-in staff member's scope in one store, and the store itself."""

    scope: StoreScope
    store: Store

    def can(self, permission: Permission | str) -> bool:
        return role_allows(self.scope.role, Permission(permission))


def console_staff(permission: Permission) -> Any:
    async def dependency(
        request: Request,
        user: PageUser,
        session: DbSession,
        store_id: int = Path(ge=1, le=MAX_ID),
    ) -> ConsoleAccess:
        member = await stores_repo.membership(session, store_id, user.id)
        if member is None or member.status != StaffStatus.ACTIVE:
            raise NotFound("no such store")
        if not role_allows(member.role, permission):
            raise PermissionDenied(f"the {member.role} role may not do this ({permission})")
        store = await session.get(Store, store_id)
        if store is None:
            raise NotFound("no such store")
        access = ConsoleAccess(
            scope=StoreScope(store_id=store_id, actor_id=user.id, role=member.role), store=store
        )
        request.state.console_access = access
        return access

    return Depends(dependency)
