"""Queries of group buying. Counters (campaign stock, a shopper's units, a group's paid
members) move only by conditional UPDATEs checked by their row count."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.catalog.models import Product, Sku
from weshop.core.outbox import OutboxMessage
from weshop.groupbuy.models import (
    CampaignStatus,
    Group,
    GroupCampaign,
    GroupMember,
    GroupPrice,
    GroupState,
    MemberState,
    ShopperUnits,
)
from weshop.orders.models import Order


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def campaign(session: AsyncSession, store_id: int, campaign_id: int) -> GroupCampaign | None:
    return await session.scalar(
        select(GroupCampaign).where(
            GroupCampaign.id == campaign_id, GroupCampaign.store_id == store_id
        )
    )


def store_campaigns(store_id: int, status: CampaignStatus | None) -> Select[Any]:
    query = select(GroupCampaign).where(GroupCampaign.store_id == store_id)
    if status is not None:
        query = query.where(GroupCampaign.status == status)
    return query


async def live_campaign_of_product(
    session: AsyncSession, product_id: int, now: datetime
) -> GroupCampaign | None:
    """The product's campaign running now (the newest, should several overlap)."""
    return await session.scalar(
        select(GroupCampaign)
        .where(
            GroupCampaign.product_id == product_id,
            GroupCampaign.status == CampaignStatus.ACTIVE,
            GroupCampaign.starts_at <= now,
            GroupCampaign.ends_at > now,
        )
        .order_by(GroupCampaign.id.desc())
        .limit(1)
    )


async def prices_of(
    session: AsyncSession, campaign_ids: Sequence[int]
) -> dict[int, list[GroupPrice]]:
    found: dict[int, list[GroupPrice]] = defaultdict(list)
    if campaign_ids:
        rows = await session.scalars(
            select(GroupPrice)
            .where(GroupPrice.campaign_id.in_(campaign_ids))
            .order_by(GroupPrice.campaign_id, GroupPrice.sku_id)
        )
        for row in rows:
            found[row.campaign_id].append(row)
    return found


async def price_of(
    session: AsyncSession, campaign_id: int, sku_id: int
) -> tuple[int, int | None] | None:
    """The SKU's group price and leader's price as stored now (read afresh, not from the
    session's rows, which an edit committed meanwhile may have replaced)."""
    row = (
        await session.execute(
            select(GroupPrice.price_fen, GroupPrice.leader_price_fen).where(
                GroupPrice.campaign_id == campaign_id, GroupPrice.sku_id == sku_id
            )
        )
    ).first()
    return None if row is None else (row.price_fen, row.leader_price_fen)


async def product(session: AsyncSession, store_id: int, product_id: int) -> Product | None:
    return await session.scalar(
        select(Product).where(Product.id == product_id, Product.store_id == store_id)
    )


async def products(session: AsyncSession, product_ids: Sequence[int]) -> dict[int, Product]:
    if not product_ids:
        return {}
    rows = await session.scalars(select(Product).where(Product.id.in_(set(product_ids))))
    return {row.id: row for row in rows}


async def skus_of(session: AsyncSession, product_ids: Sequence[int]) -> dict[int, Sku]:
    if not product_ids:
        return {}
    rows = await session.scalars(select(Sku).where(Sku.product_id.in_(set(product_ids))))
    return {row.id: row for row in rows}


# Counters


async def lock_for_update(session: AsyncSession, key: Any, row_id: int) -> None:
    """Take the row lock an UPDATE of ``key``'s row would take (PostgreSQL's FOR NO KEY
    UPDATE, which leaves foreign-key checks of other inserts alone), now rather than later;
    nothing on SQLite, whose writers run one at a time."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(key).where(key == row_id).with_for_update(key_share=True))


async def take_stock(session: AsyncSession, campaign_id: int, units: int) -> bool:
    result = await session.execute(
        update(GroupCampaign)
        .where(GroupCampaign.id == campaign_id, GroupCampaign.sold + units <= GroupCampaign.stock)
        .values(sold=GroupCampaign.sold + units)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def return_stock(session: AsyncSession, campaign_id: int, units: int) -> None:
    await session.execute(
        update(GroupCampaign)
        .where(GroupCampaign.id == campaign_id)
        .values(sold=GroupCampaign.sold - units)
        .execution_options(synchronize_session=False)
    )


async def take_units(
    session: AsyncSession, campaign_id: int, user_id: int, units: int, limit: int
) -> bool:
    insert = _insert(session)
    await session.execute(
        insert(ShopperUnits)
        .values(campaign_id=campaign_id, user_id=user_id, units=0)
        .on_conflict_do_nothing(index_elements=["campaign_id", "user_id"])
    )
    result = await session.execute(
        update(ShopperUnits)
        .where(
            ShopperUnits.campaign_id == campaign_id,
            ShopperUnits.user_id == user_id,
            ShopperUnits.units + units <= limit,
        )
        .values(units=ShopperUnits.units + units)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def return_units(session: AsyncSession, campaign_id: int, user_id: int, units: int) -> None:
    await session.execute(
        update(ShopperUnits)
        .where(ShopperUnits.campaign_id == campaign_id, ShopperUnits.user_id == user_id)
        .values(units=ShopperUnits.units - units)
        .execution_options(synchronize_session=False)
    )


async def take_place(session: AsyncSession, group_id: int) -> bool:
    """One more paid member, only while the group is open and not full: the one statement
    that keeps a group at exactly its size under concurrent payments (PostgreSQL re-checks
    the condition on the row a concurrent payment just changed; SQLite runs writers one at
    a time)."""
    result = await session.execute(
        update(Group)
        .where(
            Group.id == group_id,
            Group.status == GroupState.OPEN,
            Group.member_count < Group.size,
        )
        .values(member_count=Group.member_count + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def free_place(session: AsyncSession, group_id: int) -> bool:
    result = await session.execute(
        update(Group)
        .where(Group.id == group_id, Group.status == GroupState.OPEN, Group.member_count > 0)
        .values(member_count=Group.member_count - 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


# Groups and members


async def message_queued(session: AsyncSession, dedupe_key: str) -> bool:
    """Whether an outbox message with this key exists (handled or not)."""
    found = await session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key).limit(1)
    )
    return found is not None


async def group(session: AsyncSession, group_id: int) -> Group | None:
    return await session.get(Group, group_id)


async def store_group(session: AsyncSession, store_id: int, group_id: int) -> Group | None:
    return await session.scalar(
        select(Group).where(Group.id == group_id, Group.store_id == store_id)
    )


def campaign_groups(campaign_id: int, state: GroupState | None) -> Select[Any]:
    query = select(Group).where(
        Group.campaign_id == campaign_id,
        Group.status.not_in([GroupState.PENDING, GroupState.ABANDONED])
        if state is None
        else Group.status == state,
    )
    return query


async def has_groups(session: AsyncSession, campaign_id: int) -> bool:
    """Whether a group has been opened (its leader's order placed), abandoned ones aside."""
    found = await session.scalar(
        select(Group.id)
        .where(Group.campaign_id == campaign_id, Group.status != GroupState.ABANDONED)
        .limit(1)
    )
    return found is not None


async def unfinished_groups(session: AsyncSession, campaign_id: int) -> list[Group]:
    """Groups awaiting their leader's payment or open, in id order (the order they are
    locked in)."""
    rows = await session.scalars(
        select(Group)
        .where(
            Group.campaign_id == campaign_id,
            Group.status.in_([GroupState.PENDING, GroupState.OPEN]),
        )
        .order_by(Group.id)
    )
    return list(rows)


async def joinable_groups(
    session: AsyncSession, campaign_id: int, now: datetime, limit: int
) -> list[Group]:
    """Open groups with time left, those closest to filling first."""
    rows = await session.scalars(
        select(Group)
        .where(
            Group.campaign_id == campaign_id,
            Group.status == GroupState.OPEN,
            Group.expires_at > now,
            Group.member_count < Group.size,
        )
        .order_by((Group.size - Group.member_count), Group.expires_at, Group.id)
        .limit(limit)
    )
    return list(rows)


async def members_of(
    session: AsyncSession, group_ids: Sequence[int], states: Sequence[MemberState] | None = None
) -> dict[int, list[GroupMember]]:
    found: dict[int, list[GroupMember]] = defaultdict(list)
    if not group_ids:
        return found
    query = select(GroupMember).where(GroupMember.group_id.in_(group_ids))
    if states is not None:
        query = query.where(GroupMember.status.in_(states))
    for row in await session.scalars(query.order_by(GroupMember.joined_at, GroupMember.id)):
        found[row.group_id].append(row)
    return found


async def users(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    rows = await session.scalars(select(User).where(User.id.in_(set(user_ids))))
    return {row.id: row for row in rows}


async def member_of_order(session: AsyncSession, order_id: int) -> GroupMember | None:
    return await session.scalar(select(GroupMember).where(GroupMember.order_id == order_id))


async def members_of_user(session: AsyncSession, user_id: int, limit: int) -> list[GroupMember]:
    rows = await session.scalars(
        select(GroupMember)
        .where(
            GroupMember.user_id == user_id,
            GroupMember.status != MemberState.LEFT,
        )
        .order_by(GroupMember.id.desc())
        .limit(limit)
    )
    return list(rows)


async def has_paid_order(session: AsyncSession, user_id: int, store_id: int) -> bool:
    """Whether the shopper has ever paid an order at the store."""
    found = await session.scalar(
        select(Order.id)
        .where(Order.user_id == user_id, Order.store_id == store_id, Order.paid_at.is_not(None))
        .limit(1)
    )
    return found is not None


async def figures(session: AsyncSession, campaign_id: int) -> dict[str, int]:
    by_state = dict(
        (
            await session.execute(
                select(Group.status, func.count())
                .where(Group.campaign_id == campaign_id)
                .group_by(Group.status)
            )
        ).all()
    )
    paid = (
        select(
            func.count(),
            func.coalesce(func.sum(case((GroupMember.new_customer, 1), else_=0)), 0),
        )
        .select_from(GroupMember)
        .where(GroupMember.campaign_id == campaign_id, GroupMember.status == MemberState.JOINED)
    )
    paid_members, new_customers = (await session.execute(paid)).one()
    gmv = await session.scalar(
        select(func.coalesce(func.sum(GroupMember.paid_fen), 0))
        .join(Group, Group.id == GroupMember.group_id)
        .where(
            GroupMember.campaign_id == campaign_id,
            GroupMember.status == MemberState.JOINED,
            Group.status == GroupState.COMPLETED,
        )
    )
    return {
        **{str(state): int(count) for state, count in by_state.items()},
        "paid_members": int(paid_members),
        "new_customers": int(new_customers),
        "gmv_fen": int(gmv or 0),
    }


async def groups(session: AsyncSession, group_ids: Sequence[int]) -> list[Group]:
    if not group_ids:
        return []
    return list(await session.scalars(select(Group).where(Group.id.in_(set(group_ids)))))


async def campaign_names(session: AsyncSession, campaign_ids: Sequence[int]) -> dict[int, str]:
    if not campaign_ids:
        return {}
    rows = await session.execute(
        select(GroupCampaign.id, GroupCampaign.name).where(GroupCampaign.id.in_(set(campaign_ids)))
    )
    return {row.id: row.name for row in rows}
