"""Queries of bargaining. Every counter moves by a conditional UPDATE checked by its row count:
concurrent requests queue on the row (PostgreSQL, READ COMMITTED) or on SQLite's write lock,
and a lost race changes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, case, distinct, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.bargain.models import (
    Bargain,
    BargainCampaign,
    BargainHelp,
    BargainHelperDay,
    BargainShopperCounter,
    BargainState,
    CampaignStatus,
)
from weshop.catalog.models import Product, ProductStatus, Sku
from weshop.orders.models import Order, OrderStatus
from weshop.orders.parts import left_to_refund
from weshop.payments.models import Refund, RefundPart, RefundStatus
from weshop.stores.models import Store, StoreStatus

OPEN_STATES = (BargainState.IN_PROGRESS, BargainState.REACHED_FLOOR, BargainState.ORDERED)


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


# Campaigns


async def campaign(
    session: AsyncSession, store_id: int, campaign_id: int
) -> BargainCampaign | None:
    return await session.scalar(
        select(BargainCampaign).where(
            BargainCampaign.id == campaign_id, BargainCampaign.store_id == store_id
        )
    )


async def any_campaign(session: AsyncSession, campaign_id: int) -> BargainCampaign | None:
    return await session.get(BargainCampaign, campaign_id)


def campaigns_query(store_id: int, status: CampaignStatus | None) -> Select[Any]:
    query = select(BargainCampaign).where(BargainCampaign.store_id == store_id)
    if status is not None:
        query = query.where(BargainCampaign.status == status)
    return query


async def store_sku(
    session: AsyncSession, store_id: int, sku_id: int
) -> tuple[Sku, Product] | None:
    row = (
        await session.execute(
            select(Sku, Product)
            .join(Product, Product.id == Sku.product_id)
            .where(Sku.id == sku_id, Sku.store_id == store_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def sku_and_product(session: AsyncSession, sku_id: int) -> tuple[Sku, Product]:
    row = (
        await session.execute(
            select(Sku, Product).join(Product, Product.id == Sku.product_id).where(Sku.id == sku_id)
        )
    ).one()
    return row[0], row[1]


async def on_sale_in_open_store(session: AsyncSession, store_id: int, product_id: int) -> bool:
    found = await session.scalar(
        select(Product.id)
        .join(Store, Store.id == Product.store_id)
        .where(
            Product.id == product_id,
            Product.status == ProductStatus.PUBLISHED,
            Store.id == store_id,
            Store.status == StoreStatus.ACTIVE,
        )
    )
    return found is not None


async def live_campaigns_of_product(
    session: AsyncSession, product_id: int, now: datetime
) -> list[BargainCampaign]:
    """Active campaigns of a product not yet ended (scheduled ones too), soonest first."""
    rows = await session.scalars(
        select(BargainCampaign)
        .where(
            BargainCampaign.product_id == product_id,
            BargainCampaign.status == CampaignStatus.ACTIVE,
            BargainCampaign.ends_at > now,
        )
        .order_by(BargainCampaign.starts_at, BargainCampaign.id)
        .limit(5)
    )
    return list(rows)


async def take_campaign_unit(session: AsyncSession, campaign_id: int) -> bool:
    result = await session.execute(
        update(BargainCampaign)
        .where(BargainCampaign.id == campaign_id, BargainCampaign.sold < BargainCampaign.stock)
        .values(sold=BargainCampaign.sold + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def give_back_campaign_unit(session: AsyncSession, campaign_id: int) -> None:
    await session.execute(
        update(BargainCampaign)
        .where(BargainCampaign.id == campaign_id, BargainCampaign.sold > 0)
        .values(sold=BargainCampaign.sold - 1)
        .execution_options(synchronize_session=False)
    )


async def take_shopper_unit(
    session: AsyncSession, campaign_id: int, user_id: int, limit: int
) -> bool:
    """One more unit for this shopper, if under ``limit``; the counter row is created first
    (a concurrent creator waits on the key, then does nothing)."""
    await session.execute(
        _insert(session)(BargainShopperCounter)
        .values(campaign_id=campaign_id, user_id=user_id, units=0)
        .on_conflict_do_nothing(index_elements=["campaign_id", "user_id"])
    )
    result = await session.execute(
        update(BargainShopperCounter)
        .where(
            BargainShopperCounter.campaign_id == campaign_id,
            BargainShopperCounter.user_id == user_id,
            BargainShopperCounter.units < limit,
        )
        .values(units=BargainShopperCounter.units + 1)
    )
    return result.rowcount == 1


async def hold_shopper_counter(session: AsyncSession, campaign_id: int, user_id: int) -> None:
    """Hold the shopper's counter row of a campaign until the transaction ends (created first
    if missing), so that one shopper's concurrent starts take turns."""
    await session.execute(
        _insert(session)(BargainShopperCounter)
        .values(campaign_id=campaign_id, user_id=user_id, units=0)
        .on_conflict_do_nothing(index_elements=["campaign_id", "user_id"])
    )
    await session.execute(
        select(BargainShopperCounter.units)
        .where(
            BargainShopperCounter.campaign_id == campaign_id,
            BargainShopperCounter.user_id == user_id,
        )
        .with_for_update()
    )


async def shopper_units(session: AsyncSession, campaign_id: int, user_id: int) -> int:
    units = await session.scalar(
        select(BargainShopperCounter.units).where(
            BargainShopperCounter.campaign_id == campaign_id,
            BargainShopperCounter.user_id == user_id,
        )
    )
    return units or 0


async def give_back_shopper_unit(session: AsyncSession, campaign_id: int, user_id: int) -> None:
    await session.execute(
        update(BargainShopperCounter)
        .where(
            BargainShopperCounter.campaign_id == campaign_id,
            BargainShopperCounter.user_id == user_id,
            BargainShopperCounter.units > 0,
        )
        .values(units=BargainShopperCounter.units - 1)
    )


async def take_helper_slot(
    session: AsyncSession, campaign_id: int, user_id: int, day: date, cap: int
) -> bool:
    await session.execute(
        _insert(session)(BargainHelperDay)
        .values(campaign_id=campaign_id, user_id=user_id, day=day, helps=0)
        .on_conflict_do_nothing(index_elements=["campaign_id", "user_id", "day"])
    )
    result = await session.execute(
        update(BargainHelperDay)
        .where(
            BargainHelperDay.campaign_id == campaign_id,
            BargainHelperDay.user_id == user_id,
            BargainHelperDay.day == day,
            BargainHelperDay.helps < cap,
        )
        .values(helps=BargainHelperDay.helps + 1)
    )
    return result.rowcount == 1


# Bargains


async def bargain(session: AsyncSession, bargain_id: int) -> Bargain | None:
    return await session.get(Bargain, bargain_id, populate_existing=True)


async def store_bargain(session: AsyncSession, store_id: int, bargain_id: int) -> Bargain | None:
    return await session.scalar(
        select(Bargain).where(Bargain.id == bargain_id, Bargain.store_id == store_id)
    )


async def open_bargain(session: AsyncSession, campaign_id: int, user_id: int) -> Bargain | None:
    return await session.scalar(
        select(Bargain)
        .where(
            Bargain.campaign_id == campaign_id,
            Bargain.user_id == user_id,
            Bargain.status.in_(OPEN_STATES),
        )
        .order_by(Bargain.id.desc())
        .limit(1)
    )


async def bargain_of_order(session: AsyncSession, order_id: int) -> Bargain | None:
    return await session.scalar(select(Bargain).where(Bargain.order_id == order_id))


def my_bargains_query(user_id: int) -> Select[Any]:
    return select(Bargain).where(Bargain.user_id == user_id)


def store_bargains_query(
    store_id: int, campaign_id: int | None, status: BargainState | None
) -> Select[Any]:
    query = select(Bargain).where(Bargain.store_id == store_id)
    if campaign_id is not None:
        query = query.where(Bargain.campaign_id == campaign_id)
    if status is not None:
        query = query.where(Bargain.status == status)
    return query


async def apply_cut(
    session: AsyncSession, row: Bargain, cut_fen: int, *, shared: bool, now: datetime
) -> bool:
    """One counted help: the compare-and-set of the bargain's price and count, against the
    version read (so nothing changed meanwhile) and ``counted_helps < helps_needed``. The
    help that makes the count reach K moves the bargain to ``reached_floor`` in the same
    statement."""
    counted = row.counted_helps + 1
    reached = counted == row.helps_needed
    values: dict[str, Any] = {
        "current_price_fen": row.current_price_fen - cut_fen,
        "counted_helps": counted,
        "recorded_helps": Bargain.recorded_helps + 1,
        "version": row.version + 1,
        "updated_at": now,
    }
    if shared:
        values["shared_helps_counted"] = row.shared_helps_counted + 1
    if reached:
        values["status"] = BargainState.REACHED_FLOOR
        values["reached_floor_at"] = now
    result = await session.execute(
        update(Bargain)
        .where(
            Bargain.id == row.id,
            Bargain.version == row.version,
            Bargain.status == BargainState.IN_PROGRESS,
            Bargain.counted_helps < Bargain.helps_needed,
            Bargain.current_price_fen - cut_fen >= Bargain.floor_price_fen,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def record_uncounted(session: AsyncSession, bargain_id: int, now: datetime) -> None:
    await session.execute(
        update(Bargain)
        .where(Bargain.id == bargain_id)
        .values(recorded_helps=Bargain.recorded_helps + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def lines_refunded_in_full(session: AsyncSession, order_id: int) -> bool:
    """Whether succeeded refunds gave back the whole paid share of every line of the order
    (its shipping aside: staff refund lines, and a cancellation refunds everything)."""
    rows = await session.execute(
        select(RefundPart.order_line_id, func.sum(RefundPart.amount_fen))
        .join(Refund, Refund.id == RefundPart.refund_id)
        .where(Refund.order_id == order_id, Refund.status == RefundStatus.SUCCEEDED)
        .group_by(RefundPart.order_line_id)
    )
    refunded = {part: int(total) for part, total in rows}
    order = await session.get_one(Order, order_id)
    left = await left_to_refund(session, order_id, order.paid_fen, refunded)
    return all(amount <= 0 for part, amount in left.items() if part is not None)


async def help_by(session: AsyncSession, bargain_id: int, helper_id: int) -> BargainHelp | None:
    return await session.scalar(
        select(BargainHelp).where(
            BargainHelp.bargain_id == bargain_id, BargainHelp.helper_id == helper_id
        )
    )


async def helps_of(session: AsyncSession, bargain_ids: Iterable[int]) -> list[BargainHelp]:
    ids = list(bargain_ids)
    if not ids:
        return []
    rows = await session.scalars(
        select(BargainHelp)
        .where(BargainHelp.bargain_id.in_(ids))
        .order_by(BargainHelp.created_at, BargainHelp.id)
    )
    return list(rows)


async def users_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, User]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.scalars(select(User).where(User.id.in_(wanted)))
    return {user.id: user for user in rows}


async def orders_by_id(session: AsyncSession, ids: Iterable[int]) -> list[Order]:
    wanted = set(ids)
    if not wanted:
        return []
    return list(await session.scalars(select(Order).where(Order.id.in_(wanted))))


async def has_order_before(session: AsyncSession, user_id: int, moment: datetime) -> bool:
    found = await session.scalar(
        select(Order.id).where(Order.user_id == user_id, Order.created_at < moment).limit(1)
    )
    return found is not None


# Figures


async def bargain_counts(
    session: AsyncSession, store_id: int, campaign_id: int | None
) -> dict[str, int]:
    reached = case((Bargain.reached_floor_at.is_not(None), 1), else_=0)
    bought = case((Bargain.status == BargainState.BOUGHT, 1), else_=0)
    refunded = case((Bargain.status == BargainState.REFUNDED, 1), else_=0)
    query = select(func.count(), func.sum(reached), func.sum(bought), func.sum(refunded)).where(
        Bargain.store_id == store_id
    )
    if campaign_id is not None:
        query = query.where(Bargain.campaign_id == campaign_id)
    started, reached_floor, bought_count, refunded_count = (await session.execute(query)).one()
    # PostgreSQL sums to NUMERIC: figures are whole numbers.
    return {
        "started": int(started or 0),
        "reached_floor": int(reached_floor or 0),
        "bought": int(bought_count or 0),
        "refunded": int(refunded_count or 0),
    }


async def help_counts(
    session: AsyncSession, store_id: int, campaign_id: int | None
) -> dict[str, int]:
    counted = case((BargainHelp.counted.is_(True), 1), else_=0)
    query = (
        select(func.count(), func.sum(counted), func.count(distinct(BargainHelp.helper_id)))
        .join(Bargain, Bargain.id == BargainHelp.bargain_id)
        .where(BargainHelp.store_id == store_id)
    )
    if campaign_id is not None:
        query = query.where(Bargain.campaign_id == campaign_id)
    helps, counted_helps, helpers = (int(n or 0) for n in (await session.execute(query)).one())
    return {
        "helps": helps,
        "counted_helps": counted_helps,
        "not_counted_helps": helps - counted_helps,
        "helpers": helpers,
    }


async def helpers_became_customers(
    session: AsyncSession, store_id: int, campaign_id: int | None
) -> int:
    """Helpers with a paid order of the store placed after their first help in the scope."""
    first_help = (
        select(BargainHelp.helper_id, func.min(BargainHelp.created_at).label("first_at"))
        .join(Bargain, Bargain.id == BargainHelp.bargain_id)
        .where(BargainHelp.store_id == store_id)
        .group_by(BargainHelp.helper_id)
    )
    if campaign_id is not None:
        first_help = first_help.where(Bargain.campaign_id == campaign_id)
    helpers = first_help.subquery()
    count = await session.scalar(
        select(func.count(distinct(helpers.c.helper_id))).where(
            select(Order.id)
            .where(
                Order.user_id == helpers.c.helper_id,
                Order.store_id == store_id,
                Order.created_at >= helpers.c.first_at,
                Order.paid_at.is_not(None),
            )
            .exists()
        )
    )
    return int(count or 0)


async def bought_gmv(session: AsyncSession, store_id: int, campaign_id: int | None) -> int:
    query = (
        select(func.sum(Order.paid_fen))
        .join(Bargain, Bargain.order_id == Order.id)
        .where(
            Bargain.store_id == store_id,
            Bargain.status == BargainState.BOUGHT,
            Order.status != OrderStatus.CANCELLED,
        )
    )
    if campaign_id is not None:
        query = query.where(Bargain.campaign_id == campaign_id)
    return int((await session.scalar(query)) or 0)
