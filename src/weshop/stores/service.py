"""Store onboarding, settings and staff. Only an owner manages staff; a store keeps one owner."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts import service as accounts
from weshop.accounts.models import User
from weshop.core.config import Settings
from weshop.core.errors import Conflict, IllegalTransition, NotFound
from weshop.core.tenancy import StoreScope
from weshop.stores import repository as repo
from weshop.stores.models import Role, StaffMember, StaffStatus, Store, StoreStatus
from weshop.stores.schemas import StoreCreate, StoreSettings


async def create_store(
    session: AsyncSession, data: StoreCreate, *, created_by: User, settings: Settings
) -> tuple[Store, User]:
    """A platform operator opens a store; its owner is active at once."""
    owner = await accounts.get_or_create_user(session, data.owner_phone)
    if data.owner_name and not owner.display_name:
        owner.display_name = data.owner_name
    store = await open_store(
        session,
        name=data.name,
        description=data.description,
        owner=owner,
        created_by=created_by,
        settings=settings,
    )
    return store, owner


async def open_store(
    session: AsyncSession,
    *,
    name: str,
    description: str,
    owner: User,
    created_by: User,
    settings: Settings,
) -> Store:
    """A new store with ``owner`` as its active owner: the one way a store comes to be (the
    platform opening it, or the platform approving someone's application)."""
    store = Store(
        name=name,
        description=description,
        payment_window_minutes=settings.default_payment_window_minutes,
        auto_confirm_days=settings.default_auto_confirm_days,
    )
    session.add(store)
    await session.flush()
    session.add(
        StaffMember(
            store_id=store.id,
            user_id=owner.id,
            role=Role.OWNER,
            status=StaffStatus.ACTIVE,
            invited_by=created_by.id,
        )
    )
    await session.flush()
    return store


async def get_store(session: AsyncSession, store_id: int) -> Store:
    store = await session.get(Store, store_id)
    if store is None:
        raise NotFound("no such store")
    return store


async def update_settings(session: AsyncSession, scope: StoreScope, data: StoreSettings) -> Store:
    store = await get_store(session, scope.store_id)
    for name, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(store, name, value)
    await session.flush()
    return store


_STATUS_TRANSITIONS = {
    (StoreStatus.ACTIVE, "suspend"): StoreStatus.SUSPENDED,
    (StoreStatus.SUSPENDED, "resume"): StoreStatus.ACTIVE,
}


async def change_store_status(session: AsyncSession, store_id: int, action: str) -> Store:
    store = await get_store(session, store_id)
    target = _STATUS_TRANSITIONS.get((store.status, action))
    if target is None:
        raise IllegalTransition(f"cannot {action} a store that is {store.status}")
    store.status = target
    return store


async def invite_staff(
    session: AsyncSession, scope: StoreScope, phone: str, role: Role
) -> tuple[StaffMember, User]:
    if role == Role.OWNER:
        raise Conflict("a store has one owner; invite staff with another role", code="one_owner")
    user = await accounts.get_or_create_user(session, phone)
    member = await repo.membership(session, scope.store_id, user.id)
    if member is not None and member.status != StaffStatus.REMOVED:
        raise Conflict("this person is already on the staff or invited", code="already_staff")
    if member is None:
        member = StaffMember(store_id=scope.store_id, user_id=user.id, role=role)
        session.add(member)
    member.role = role
    member.status = StaffStatus.INVITED
    member.invited_by = scope.actor_id
    await session.flush()
    return member, user


async def _member(
    session: AsyncSession, scope: StoreScope, member_id: int
) -> tuple[StaffMember, User]:
    found = await repo.staff_member(session, scope, member_id)
    if found is None:
        raise NotFound("no such staff member")
    return found


async def get_staff(
    session: AsyncSession, scope: StoreScope, member_id: int
) -> tuple[StaffMember, User]:
    return await _member(session, scope, member_id)


async def change_role(
    session: AsyncSession, scope: StoreScope, member_id: int, role: Role
) -> tuple[StaffMember, User]:
    member, user = await _member(session, scope, member_id)
    if member.role == Role.OWNER or role == Role.OWNER:
        raise Conflict("the owner's role cannot be given or taken here", code="one_owner")
    member.role = role
    return member, user


async def remove_staff(session: AsyncSession, scope: StoreScope, member_id: int) -> None:
    member, _ = await _member(session, scope, member_id)
    if member.role == Role.OWNER:
        raise Conflict("the owner cannot be removed", code="one_owner")
    member.status = StaffStatus.REMOVED


async def pending_invitations(session: AsyncSession, user: User) -> list[tuple[StaffMember, Store]]:
    return await repo.memberships_of(session, user.id, StaffStatus.INVITED)


async def accept_invitation(
    session: AsyncSession, user: User, member_id: int
) -> tuple[StaffMember, Store]:
    for member, store in await repo.memberships_of(session, user.id, StaffStatus.INVITED):
        if member.id == member_id:
            member.status = StaffStatus.ACTIVE
            return member, store
    raise NotFound("no such invitation")


async def my_stores(session: AsyncSession, user: User) -> list[tuple[StaffMember, Store]]:
    return await repo.memberships_of(session, user.id, StaffStatus.ACTIVE)


async def all_stores(session: AsyncSession) -> list[Store]:
    return await repo.all_stores(session)


async def list_staff(session: AsyncSession, scope: StoreScope) -> list[tuple[StaffMember, User]]:
    return await repo.staff_of(session, scope)


async def owners_of(session: AsyncSession, store_id: int) -> list[User]:
    """The store's active owners (for the platform's page of the store)."""
    scope = StoreScope(store_id=store_id, actor_id=0, role=Role.OWNER)
    return [
        user
        for member, user in await repo.staff_of(session, scope)
        if member.role == Role.OWNER and member.status == StaffStatus.ACTIVE
    ]
