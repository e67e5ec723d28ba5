"""Group-buy campaigns for a store's staff: create, edit, stop, read, figures."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.catalog.models import Product, Sku
from weshop.core.clock import utcnow
from weshop.core.errors import Conflict, NotFound
from weshop.core.pagination import paginate
from weshop.core.tenancy import StoreScope
from weshop.groupbuy import repository as repo
from weshop.groupbuy import rules
from weshop.groupbuy.models import CampaignStatus, Group, GroupCampaign, GroupPrice, GroupState
from weshop.groupbuy.schemas import CampaignCreate, CampaignTerms
from weshop.groupbuy.state import CAMPAIGN_MACHINE


@dataclass(frozen=True)
class CampaignView:
    """A campaign with what its answers show beside it."""

    campaign: GroupCampaign
    product: Product
    prices: list[GroupPrice]
    skus: dict[int, Sku]


async def _product(session: AsyncSession, store_id: int, product_id: int) -> Product:
    product = await repo.product(session, store_id, product_id)
    if product is None:
        # Another store's product is as unknown as one that does not exist.
        raise NotFound("no such product", code="unknown_product")
    return product


async def _sku_prices(session: AsyncSession, product_id: int) -> dict[int, int]:
    skus = await repo.skus_of(session, [product_id])
    return {sku.id: sku.price_fen for sku in skus.values() if sku.is_active}


async def _replace_prices(
    session: AsyncSession, campaign_id: int, rows: list[dict[str, int | None]]
) -> None:
    await session.execute(delete(GroupPrice).where(GroupPrice.campaign_id == campaign_id))
    session.add_all(GroupPrice(campaign_id=campaign_id, **row) for row in rows)
    await session.flush()


async def view(session: AsyncSession, campaign: GroupCampaign) -> CampaignView:
    return (await views(session, [campaign]))[0]


async def views(session: AsyncSession, campaigns: list[GroupCampaign]) -> list[CampaignView]:
    ids = [c.id for c in campaigns]
    product_ids = [c.product_id for c in campaigns]
    prices = await repo.prices_of(session, ids)
    products = await repo.products(session, product_ids)
    skus = await repo.skus_of(session, product_ids)
    return [CampaignView(c, products[c.product_id], prices.get(c.id, []), skus) for c in campaigns]


async def create_campaign(
    session: AsyncSession, scope: StoreScope, data: CampaignCreate
) -> GroupCampaign:
    """Check the terms (each refusal has its code, nothing is written) and create it active."""
    rules.check_shape(data)
    rules.check_terms(data)
    product = await _product(session, scope.store_id, data.product_id)
    prices = rules.check_prices(data, await _sku_prices(session, product.id))
    campaign = GroupCampaign(
        store_id=scope.store_id,
        product_id=product.id,
        name=data.name,
        group_size=data.group_size,
        fill_window_minutes=data.fill_window_minutes,
        stock=data.stock,
        per_shopper_limit=data.per_shopper_limit,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        simulated_fill=data.simulated_fill,
        new_customers_only=data.new_customers_only,
        full_group_policy=data.full_group_policy,
        status=CampaignStatus.ACTIVE,
        created_by=scope.actor_id,
    )
    session.add(campaign)
    await session.flush()
    await _replace_prices(session, campaign.id, prices)
    return campaign


async def get_campaign(session: AsyncSession, scope: StoreScope, campaign_id: int) -> GroupCampaign:
    campaign = await repo.campaign(session, scope.store_id, campaign_id)
    if campaign is None:
        raise NotFound("no such group-buy campaign")
    return campaign


async def list_campaigns(
    session: AsyncSession,
    scope: StoreScope,
    *,
    status: CampaignStatus | None,
    cursor: str | None,
    limit: int,
) -> list[GroupCampaign]:
    query = repo.store_campaigns(scope.store_id, status)
    return list(await session.scalars(paginate(query, GroupCampaign, cursor, limit)))


async def update_campaign(
    session: AsyncSession, scope: StoreScope, campaign_id: int, data: CampaignTerms
) -> GroupCampaign:
    """New terms for groups and orders from now on; a stopped campaign is not edited. Orders
    already placed keep their price; the group size and window stay as created (groups
    already opened were promised them)."""
    campaign = await get_campaign(session, scope, campaign_id)
    if campaign.status != CampaignStatus.ACTIVE:
        raise Conflict("a stopped campaign cannot be edited", code="campaign_stopped")
    rules.check_terms(data, sold=campaign.sold)
    prices = rules.check_prices(data, await _sku_prices(session, campaign.product_id))
    # The stock may not fall below what concurrent orders take meanwhile: checked again by
    # the UPDATE itself.
    result = await session.execute(
        update(GroupCampaign)
        .where(GroupCampaign.id == campaign.id, GroupCampaign.sold <= data.stock)
        .values(
            name=data.name,
            stock=data.stock,
            per_shopper_limit=data.per_shopper_limit,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            simulated_fill=data.simulated_fill,
            new_customers_only=data.new_customers_only,
            full_group_policy=data.full_group_policy,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        await session.refresh(campaign)
        raise Conflict(
            "stock may not go below the units live group orders hold",
            code="stock_below_sold",
            details={"sold": campaign.sold},
        )
    await _replace_prices(session, campaign.id, prices)
    await session.refresh(campaign)
    return campaign


async def stop_campaign(
    session: AsyncSession, scope: StoreScope, campaign_id: int
) -> GroupCampaign:
    """No group opens or is joined any more; open groups run on to their deadline."""
    campaign = await get_campaign(session, scope, campaign_id)
    await CAMPAIGN_MACHINE.apply(session, campaign, "stop")
    return campaign


async def campaign_figures(
    session: AsyncSession, scope: StoreScope, campaign_id: int
) -> dict[str, int | None]:
    campaign = await get_campaign(session, scope, campaign_id)
    found = await repo.figures(session, campaign.id)
    completed = found.get("completed", 0)
    failed = sum(found.get(state, 0) for state in ("failed", "refunding", "refunded"))
    still_open = found.get("open", 0)
    return {
        "groups_opened": completed + failed + still_open,
        "groups_completed": completed,
        "groups_failed": failed,
        "groups_open": still_open,
        "success_rate_percent": rules.success_rate_percent(completed, completed + failed),
        "paid_members": found["paid_members"],
        "new_customers": found["new_customers"],
        "gmv_fen": found["gmv_fen"],
    }


async def list_groups(
    session: AsyncSession,
    campaign: GroupCampaign,
    *,
    state: GroupState | None,
    cursor: str | None,
    limit: int,
) -> list[Group]:
    query = repo.campaign_groups(campaign.id, state)
    return list(await session.scalars(paginate(query, Group, cursor, limit)))
