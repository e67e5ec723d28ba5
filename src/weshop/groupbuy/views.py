"""The read side of group buying: answers built from rows, for the API and the pages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.schemas import masked_phone_or_wechat_name
from weshop.core.crypto import mask_name
from weshop.groupbuy import repository as repo
from weshop.groupbuy import rules
from weshop.groupbuy.campaigns import CampaignView, view, views
from weshop.groupbuy.models import Group, GroupCampaign, GroupMember, GroupState, MemberState
from weshop.groupbuy.schemas import (
    CampaignOut,
    GroupOut,
    GroupPriceOut,
    MemberOut,
    MyGroupOut,
    ShopCampaignOut,
    StaffGroupOut,
    StaffMemberOut,
)

OPEN_GROUPS_SHOWN = 10
# Members a group's page and answers show: paid ones, and the leader's own.
SHOWN_MEMBERS = (MemberState.JOINED,)


def campaign_out(found: CampaignView, now: datetime) -> CampaignOut:
    c = found.campaign
    prices = [
        GroupPriceOut(
            sku_id=p.sku_id,
            spec_text=found.skus[p.sku_id].spec_text if p.sku_id in found.skus else "",
            sku_price_fen=found.skus[p.sku_id].price_fen if p.sku_id in found.skus else 0,
            price_fen=p.price_fen,
            leader_price_fen=p.leader_price_fen,
        )
        for p in found.prices
    ]
    return CampaignOut(
        id=c.id,
        store_id=c.store_id,
        product_id=c.product_id,
        product_title=found.product.title,
        name=c.name,
        group_size=c.group_size,
        fill_window_minutes=c.fill_window_minutes,
        stock=c.stock,
        sold=c.sold,
        per_shopper_limit=c.per_shopper_limit,
        starts_at=c.starts_at,
        ends_at=c.ends_at,
        status=c.status,
        live=rules.live(c.status, c.starts_at, c.ends_at, now),
        simulated_fill=c.simulated_fill,
        new_customers_only=c.new_customers_only,
        full_group_policy=c.full_group_policy,
        prices=prices,
        lowest_price_fen=min((p.price_fen for p in prices), default=0),
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


async def campaign_answer(
    session: AsyncSession, campaign: GroupCampaign, now: datetime
) -> CampaignOut:
    return campaign_out(await view(session, campaign), now)


async def campaign_answers(
    session: AsyncSession, campaigns: list[GroupCampaign], now: datetime
) -> list[CampaignOut]:
    return [campaign_out(found, now) for found in await views(session, campaigns)]


def _shown_name(display_name: str, phone: str | None) -> str:
    return mask_name(display_name) if display_name else masked_phone_or_wechat_name(phone)


async def _members(
    session: AsyncSession, groups: list[Group], *, staff: bool
) -> dict[int, list[MemberOut]]:
    states = None if staff else list(SHOWN_MEMBERS)
    members = await repo.members_of(session, [g.id for g in groups], states)
    users = await repo.users(session, [m.user_id for ms in members.values() for m in ms])
    out: dict[int, list[MemberOut]] = {}
    for group in groups:
        rows: list[MemberOut] = []
        for m in members.get(group.id, []):
            user = users[m.user_id]
            common = {
                "id": m.id,
                "role": m.role,
                "state": m.status,
                "name": _shown_name(user.display_name, user.phone),
                "avatar_url": None,
                "joined_at": m.joined_at,
            }
            rows.append(
                StaffMemberOut(**common, **_staff_fields(m)) if staff else MemberOut(**common)
            )
        out[group.id] = rows
    return out


def _staff_fields(m: GroupMember) -> dict[str, object]:
    return {
        "user_id": m.user_id,
        "order_id": m.order_id,
        "sku_id": m.sku_id,
        "quantity": m.quantity,
        "unit_price_fen": m.unit_price_fen,
        "paid_fen": m.paid_fen,
        "new_customer": m.new_customer,
    }


def _group_fields(group: Group) -> dict[str, object]:
    return {
        "id": group.id,
        "campaign_id": group.campaign_id,
        "product_id": group.product_id,
        "state": group.status,
        "size": group.size,
        "member_count": group.member_count,
        "missing": rules.missing(group.size, group.member_count)
        if group.status == GroupState.OPEN
        else 0,
        "opened_at": group.opened_at,
        "expires_at": group.expires_at,
        "completed_at": group.completed_at,
        "simulated": group.simulated,
    }


async def group_answers(session: AsyncSession, groups: list[Group]) -> list[GroupOut]:
    members = await _members(session, groups, staff=False)
    return [GroupOut(**_group_fields(g), members=members[g.id]) for g in groups]


async def staff_group_answers(session: AsyncSession, groups: list[Group]) -> list[StaffGroupOut]:
    members = await _members(session, groups, staff=True)
    return [StaffGroupOut(**_group_fields(g), members=members[g.id]) for g in groups]


async def shop_campaign(
    session: AsyncSession, campaign: GroupCampaign, now: datetime
) -> ShopCampaignOut:
    joinable = await repo.joinable_groups(session, campaign.id, now, OPEN_GROUPS_SHOWN)
    return ShopCampaignOut(
        campaign=await campaign_answer(session, campaign, now),
        open_groups=await group_answers(session, joinable),
    )


MY_GROUPS_SHOWN = 50


async def my_groups(session: AsyncSession, user_id: int) -> list[MyGroupOut]:
    members = await repo.members_of_user(session, user_id, MY_GROUPS_SHOWN)
    groups = {g.id: g for g in await repo.groups(session, [m.group_id for m in members])}
    names = await repo.campaign_names(session, [m.campaign_id for m in members])
    answers = {g.id: g for g in await group_answers(session, list(groups.values()))}
    return [
        MyGroupOut(
            group=answers[m.group_id],
            campaign_name=names.get(m.campaign_id, ""),
            role=m.role,
            state=m.status,
            order_id=m.order_id,
        )
        for m in members
    ]
