from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status

from weshop.accounts.auth import CurrentOperator, CurrentUser
from weshop.accounts.models import User
from weshop.core.crypto import mask_phone
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import PathId
from weshop.core.tenancy import StoreScope
from weshop.stores import service
from weshop.stores.access import staff_with
from weshop.stores.models import StaffMember
from weshop.stores.permissions import ROLE_PERMISSIONS, Permission
from weshop.stores.schemas import (
    InvitationOut,
    MyStoreOut,
    PublicStoreOut,
    StaffInvite,
    StaffOut,
    StaffRoleChange,
    StoreCreate,
    StoreOut,
    StoreSettings,
)
from weshop.web.response_cache import cached_response

platform = APIRouter(prefix="/api/v1/platform", tags=["platform"])
merchant = APIRouter(prefix="/api/v1/merchant", tags=["merchant: store"])
shop = APIRouter(prefix="/api/v1/shop", tags=["shop"])
me = APIRouter(prefix="/api/v1/me", tags=["accounts"])


def staff_out(member: StaffMember, user: User) -> StaffOut:
    return StaffOut(
        id=member.id,
        store_id=member.store_id,
        user_id=user.id,
        phone=mask_phone(user.phone),
        display_name=user.display_name,
        role=member.role,
        status=member.status,
        created_at=member.created_at,
    )


@platform.post("/stores", status_code=status.HTTP_201_CREATED, response_model=StoreOut)
async def create_store(
    body: StoreCreate, operator: CurrentOperator, session: DbSession, runtime: RuntimeDep
):
    """Open a merchant store and make the person with `owner_phone` its owner."""
    store, _ = await service.create_store(
        session, body, created_by=operator, settings=runtime.settings
    )
    return store


@platform.get("/stores", response_model=list[StoreOut])
async def list_stores(operator: CurrentOperator, session: DbSession):
    """Every store on the platform."""
    return await service.all_stores(session)


@platform.post("/stores/{store_id}/{action}", response_model=StoreOut)
async def change_store_status(
    store_id: PathId,
    action: Literal["suspend", "resume"],
    operator: CurrentOperator,
    session: DbSession,
):
    """Suspend a store (it takes no orders) or resume it."""
    return await service.change_store_status(session, store_id, action)


@merchant.get("/stores", response_model=list[MyStoreOut])
async def my_stores(user: CurrentUser, session: DbSession):
    """The stores where the signed-in user is active staff, with their role and rights."""
    return [
        MyStoreOut(
            store=StoreOut.model_validate(store),
            role=member.role,
            permissions=sorted(ROLE_PERMISSIONS[member.role]),
        )
        for member, store in await service.my_stores(session, user)
    ]


@merchant.get("/stores/{store_id}", response_model=StoreOut)
async def get_store(session: DbSession, scope: StoreScope = staff_with(Permission.CATALOG_READ)):
    """The store and its settings."""
    return await service.get_store(session, scope.store_id)


@merchant.patch("/stores/{store_id}", response_model=StoreOut)
async def update_store(
    body: StoreSettings,
    session: DbSession,
    scope: StoreScope = staff_with(Permission.STORE_SETTINGS),
):
    """Change the store's name, description, payment window, auto-confirm and after-sales days."""
    return await service.update_settings(session, scope, body)


@merchant.get("/stores/{store_id}/staff", response_model=list[StaffOut])
async def list_staff(session: DbSession, scope: StoreScope = staff_with(Permission.STAFF_READ)):
    """Staff and pending invitations."""
    return [staff_out(m, u) for m, u in await service.list_staff(session, scope)]


@merchant.post(
    "/stores/{store_id}/staff", status_code=status.HTTP_201_CREATED, response_model=StaffOut
)
async def invite_staff(
    body: StaffInvite, session: DbSession, scope: StoreScope = staff_with(Permission.STAFF_MANAGE)
):
    """Invite someone by phone with a role; they become staff once they accept."""
    return staff_out(*await service.invite_staff(session, scope, body.phone, body.role))


@merchant.get("/stores/{store_id}/staff/{member_id}", response_model=StaffOut)
async def get_staff(
    member_id: PathId, session: DbSession, scope: StoreScope = staff_with(Permission.STAFF_READ)
):
    """One staff member."""
    return staff_out(*await service.get_staff(session, scope, member_id))


@merchant.patch("/stores/{store_id}/staff/{member_id}", response_model=StaffOut)
async def change_role(
    member_id: PathId,
    body: StaffRoleChange,
    session: DbSession,
    scope: StoreScope = staff_with(Permission.STAFF_MANAGE),
):
    """Give a staff member another role (never owner)."""
    return staff_out(*await service.change_role(session, scope, member_id, body.role))


@merchant.delete("/stores/{store_id}/staff/{member_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_staff(
    member_id: PathId, session: DbSession, scope: StoreScope = staff_with(Permission.STAFF_MANAGE)
) -> None:
    """Remove a staff member; their access ends at once."""
    await service.remove_staff(session, scope, member_id)


@me.get("/invitations", response_model=list[InvitationOut])
async def my_invitations(user: CurrentUser, session: DbSession):
    """Staff invitations waiting for the signed-in user."""
    return [
        InvitationOut(id=m.id, store=PublicStoreOut.model_validate(s), role=m.role)
        for m, s in await service.pending_invitations(session, user)
    ]


@me.post("/invitations/{invitation_id}/accept", response_model=InvitationOut)
async def accept_invitation(invitation_id: PathId, user: CurrentUser, session: DbSession):
    """Accept an invitation and join the store's staff."""
    member, store = await service.accept_invitation(session, user, invitation_id)
    return InvitationOut(id=member.id, store=PublicStoreOut.model_validate(store), role=member.role)


@shop.get("/stores/{store_id}", response_model=PublicStoreOut)
@cached_response()
async def public_store(store_id: PathId, session: DbSession):
    """A store's public face."""
    return await service.get_store(session, store_id)
