"""Answers built from members rows: phones masked, balances net of points already lapsed."""

from __future__ import annotations

from collections.abc import Mapping

from weshop.accounts.models import User
from weshop.core.crypto import mask_phone
from weshop.members.models import MemberLevel, Membership
from weshop.members.schemas import LevelBrief, MemberOut, MyMembershipOut, NextLevelOut
from weshop.members.service import MembershipView


def level_brief(level: MemberLevel | None) -> LevelBrief | None:
    if level is None:
        return None
    return LevelBrief(id=level.id, name=level.name, pay_percent=level.pay_percent)


def member_out(
    membership: Membership,
    users: Mapping[int, User],
    levels: Mapping[int, MemberLevel],
    lapsed: Mapping[tuple[int, int], int],
) -> MemberOut:
    user = users[membership.user_id]
    level = levels.get(membership.level_id) if membership.level_id else None
    return MemberOut(
        user_id=user.id,
        phone=mask_phone(user.phone) if user.phone else None,
        display_name=user.display_name,
        level=level_brief(level),
        growth_value=membership.growth_value,
        points_balance=membership.points_balance
        - lapsed.get((membership.store_id, membership.user_id), 0),
        points_owed=membership.points_owed,
        joined_at=membership.created_at,
    )


def my_membership_out(view: MembershipView) -> MyMembershipOut:
    membership, upcoming = view.membership, view.next_level
    return MyMembershipOut(
        store_id=view.store.id,
        store_name=view.store.name,
        level=level_brief(view.level),
        growth_value=membership.growth_value,
        next_level=None
        if upcoming is None
        else NextLevelOut(
            id=upcoming.id,
            name=upcoming.name,
            growth_threshold=upcoming.growth_threshold,
            growth_needed=upcoming.growth_threshold - membership.growth_value,
        ),
        points_balance=view.usable_points,
        points_value_fen=view.usable_points * view.fen_per_point,
        joined_at=membership.created_at,
    )
