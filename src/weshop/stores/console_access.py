"""Staff access for merchant-console pages: the API's rule (:func:`staff_access`), from the
cookie session, with the store loaded for the page; ``console_page``, which renders a
console page in its section; and ``done_redirect``, the answer to a form that succeeded.
Templates receive ``can(permission)`` so that what a role cannot do is not shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Path, Request
from starlette.responses import HTMLResponse, RedirectResponse

from weshop.accounts.page_session import PageUser
from weshop.core.errors import NotFound
from weshop.core.http import DbSession
from weshop.core.ids import MAX_ID
from weshop.core.tenancy import StoreScope
from weshop.stores.access import staff_access
from weshop.stores.models import Store
from weshop.stores.permissions import Permission, role_allows
from weshop.web.console_forms import yuan_text
from weshop.web.templating import render, shop_time


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
        scope = await staff_access(session, user.id, store_id, permission)
        store = await session.get(Store, store_id)
        if store is None:
            raise NotFound("no such store")
        access = ConsoleAccess(scope=scope, store=store)
        request.state.console_access = access
        return access

    return Depends(dependency)


def console_page(
    request: Request,
    template: str,
    access: ConsoleAccess,
    section: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """A console page in its section, with the helpers these templates use."""
    values = {
        "access": access,
        "section": section,
        "base": f"/console/stores/{access.store.id}",
        "when": shop_time,
        "yuan_text": yuan_text,
        **(context or {}),
    }
    return render(request, template, values, status_code=status_code)


def done_redirect(access: ConsoleAccess, path: str, what: str) -> RedirectResponse:
    """After a console form succeeded: 303 to ``path`` in the store's console, whose page
    shows the notice of ``what`` (its ``done`` query parameter)."""
    return RedirectResponse(f"/console/stores/{access.store.id}{path}?done={what}", 303)
