from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from weshop.accounts.auth import CurrentUser
from weshop.accounts.repository import phone_index
from weshop.accounts.schemas import PhoneNumber
from weshop.core.http import DbSession, IdempotencyKey
from weshop.core.idempotency import run_idempotent
from weshop.core.ids import MAX_ID, PathId
from weshop.core.pagination import DEFAULT_LIMIT, CursorQuery, Limit, Page, page_of
from weshop.core.tenancy import StoreScope
from weshop.members import levels, service
from weshop.members.schemas import (
    AdjustmentIn,
    AdjustmentOut,
    LevelIn,
    LevelOut,
    LevelPatch,
    MemberOut,
    MyMembershipOut,
    PointsEntryOut,
    RulesIn,
    RulesOut,
)
from weshop.members.views import member_out, my_membership_out
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission

merchant = APIRouter(prefix="/api/v1/merchant/stores/{store_id}", tags=["merchant: members"])
shopper = APIRouter(prefix="/api/v1/me/memberships", tags=["members"])

LevelId = Annotated[int, Path(ge=1, le=MAX_ID, description="Member level id.")]
MemberUserId = Annotated[int, Path(ge=1, le=MAX_ID, description="The member's user id.")]

Reader = staff_with(Permission.MEMBERS_READ)
Writer = staff_with(Permission.MEMBERS_WRITE)


# Levels


@merchant.get("/member-levels", response_model=list[LevelOut])
async def list_levels(session: DbSession, scope: StoreScope = Reader):
    """The store's member levels, lowest first (by growth threshold)."""
    return await levels.list_levels(session, scope)


@merchant.post("/member-levels", status_code=status.HTTP_201_CREATED, response_model=LevelOut)
async def create_level(body: LevelIn, session: DbSession, scope: StoreScope = Writer):
    """Add a level. The lowest starts at growth 0, thresholds strictly increase and a higher
    level never pays a larger share (422 `base_level_required`, `duplicate_threshold`,
    `pay_percent_increases`). Members move to the level their growth reaches."""
    return await levels.create_level(session, scope, body)


@merchant.patch("/member-levels/{member_level_id}", response_model=LevelOut)
async def update_level(
    member_level_id: LevelId, body: LevelPatch, session: DbSession, scope: StoreScope = Writer
):
    """Rename a level or change its threshold or discount, under the same rules as adding."""
    return await levels.update_level(session, scope, member_level_id, body)


@merchant.delete("/member-levels/{member_level_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_level(
    member_level_id: LevelId, session: DbSession, scope: StoreScope = Writer
) -> None:
    """Delete a level; its members move to the level their growth now reaches. The base level
    can go only when it is the last one (409 `base_level_required`)."""
    await levels.delete_level(session, scope, member_level_id)


# Rules


@merchant.get("/member-rules", response_model=RulesOut)
async def get_rules(session: DbSession, scope: StoreScope = Reader):
    """How the store rewards members: growth and points per yuan, the value of a point, the
    share of an order points may pay, and when points lapse (defaults until set)."""
    return await service.rules_for(session, scope.store_id)


@merchant.put("/member-rules", response_model=RulesOut)
async def put_rules(body: RulesIn, session: DbSession, scope: StoreScope = Writer):
    """Replace the store's member rules; they apply to orders completed from now on."""
    return await service.put_rules(session, scope, body)


# Members


@merchant.get("/members", response_model=Page[MemberOut])
async def list_members(
    session: DbSession,
    scope: StoreScope = Reader,
    level_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    phone: Annotated[
        PhoneNumber | None, Query(description="The member's full phone number.")
    ] = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The store's members, newest first, with level, growth and points; phones masked."""
    rows = await service.list_members(
        session,
        scope,
        level_id=level_id,
        phone_index=phone_index(phone) if phone else None,
        cursor=cursor,
        limit=limit,
    )
    users, ladder, lapsed = await service.member_people(session, rows)
    return page_of(rows, limit, lambda m: member_out(m, users, ladder, lapsed))


@merchant.get("/members/{member_user_id}", response_model=MemberOut)
async def get_member(member_user_id: MemberUserId, session: DbSession, scope: StoreScope = Reader):
    """One member of the store; phone masked."""
    membership = await service.store_member(session, scope, member_user_id)
    users, ladder, lapsed = await service.member_people(session, [membership])
    return member_out(membership, users, ladder, lapsed)


@merchant.get("/members/{member_user_id}/points", response_model=Page[PointsEntryOut])
async def member_points(
    member_user_id: MemberUserId,
    session: DbSession,
    scope: StoreScope = Reader,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """A member's points ledger, newest first: every earn, spend, refund, expiry and manual
    adjustment with its reason."""
    rows = await service.points_ledger(session, scope.store_id, member_user_id, cursor, limit)
    return page_of(rows, limit, PointsEntryOut.model_validate)


@merchant.post(
    "/members/{member_user_id}/points-adjustments",
    status_code=status.HTTP_201_CREATED,
    response_model=AdjustmentOut,
    responses={409: {"description": "Taking more points than the member has."}},
)
async def adjust_points(
    member_user_id: MemberUserId,
    body: AdjustmentIn,
    session: DbSession,
    key: IdempotencyKey,
    scope: StoreScope = Writer,
):
    """Grant or take a member's points by hand, with a reason kept in the ledger. Taking more
    than the balance answers 409 `not_enough_points`. Send an `Idempotency-Key` so that a
    retried request never adjusts twice."""

    async def action() -> AdjustmentOut:
        entry, membership = await service.adjust_points(
            session, scope, member_user_id, body.delta, body.reason
        )
        return AdjustmentOut(
            entry=PointsEntryOut.model_validate(entry),
            points_balance=membership.points_balance,
        )

    outcome = await run_idempotent(
        session,
        key=key,
        owner=f"staff:{scope.actor_id}",
        endpoint="POST /merchant/stores/members/points-adjustments",
        payload={"store_id": scope.store_id, "user_id": member_user_id, **body.model_dump()},
        action=action,
        model=AdjustmentOut,
    )
    return outcome.response()


# The shopper's own


@shopper.get("", response_model=list[MyMembershipOut])
async def my_memberships(user: CurrentUser, session: DbSession):
    """The shopper's memberships: per store the level, growth, the next level and how far it
    is, and the points that can be spent."""
    return [my_membership_out(view) for view in await service.my_memberships(session, user.id)]


@shopper.get("/{store_id}/points", response_model=Page[PointsEntryOut])
async def my_points(
    store_id: PathId,
    user: CurrentUser,
    session: DbSession,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The shopper's points ledger at one store, newest first; 404 where not a member."""
    rows = await service.points_ledger(session, store_id, user.id, cursor, limit)
    return page_of(rows, limit, PointsEntryOut.model_validate)
