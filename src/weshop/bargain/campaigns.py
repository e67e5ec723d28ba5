"""Bargain campaigns for a store's staff: create, edit, stop, list, and their figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.bargain import repository as repo
from weshop.bargain.models import Bargain, BargainCampaign, BargainState, CampaignStatus
from weshop.bargain.rules import check_terms
from weshop.bargain.schemas import CampaignIn, CampaignPhase
from weshop.bargain.state import CAMPAIGN_MACHINE
from weshop.core.errors import InvalidInput, NotFound
from weshop.core.pagination import paginate
from weshop.core.tenancy import StoreScope


def phase(campaign: BargainCampaign, now: datetime) -> CampaignPhase:
    if campaign.status == CampaignStatus.STOPPED:
        return "stopped"
    if now < campaign.starts_at:
        return "scheduled"
    if now >= campaign.ends_at:
        return "ended"
    return "running"


async def _checked(session: AsyncSession, scope: StoreScope, data: CampaignIn) -> dict[str, Any]:
    found = await repo.store_sku(session, scope.store_id, data.sku_id)
    if found is None:
        raise InvalidInput(
            "no such SKU in this store", code="unknown_sku", details={"sku_id": data.sku_id}
        )
    sku, product = found
    if not sku.is_active:
        raise InvalidInput("this SKU is not on sale", code="sku_inactive")
    least, most = check_terms(data, sku.price_fen)
    return {
        "name": data.name,
        "product_id": product.id,
        "sku_id": sku.id,
        "start_price_fen": data.start_price_fen,
        "floor_price_fen": data.floor_price_fen,
        "helps_min": least,
        "helps_max": most,
        "window_hours": data.window_hours,
        "stock": data.stock,
        "per_shopper_limit": data.per_shopper_limit,
        "buy_before_floor": data.buy_before_floor,
        "new_users_only_helps": data.new_users_only_helps,
        "helper_daily_cap": data.helper_daily_cap,
        "max_shared_helps": data.max_shared_helps,
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
    }


async def create_campaign(
    session: AsyncSession, scope: StoreScope, data: CampaignIn
) -> BargainCampaign:
    """Check the terms (each refusal has its code, nothing is written) and create it active."""
    campaign = BargainCampaign(
        store_id=scope.store_id,
        status=CampaignStatus.ACTIVE,
        sold=0,
        created_by=scope.actor_id,
        **await _checked(session, scope, data),
    )
    session.add(campaign)
    await session.flush()
    return campaign


async def get_campaign(
    session: AsyncSession, scope: StoreScope, campaign_id: int
) -> BargainCampaign:
    campaign = await repo.campaign(session, scope.store_id, campaign_id)
    if campaign is None:
        raise NotFound("no such bargain campaign")
    return campaign


async def list_campaigns(
    session: AsyncSession,
    scope: StoreScope,
    *,
    status: CampaignStatus | None,
    cursor: str | None,
    limit: int,
) -> list[BargainCampaign]:
    query = repo.campaigns_query(scope.store_id, status)
    return list(await session.scalars(paginate(query, BargainCampaign, cursor, limit)))


async def update_campaign(
    session: AsyncSession, scope: StoreScope, campaign_id: int, data: CampaignIn
) -> BargainCampaign:
    """Replace the terms. Bargains already started keep the prices and K they started with;
    the SKU cannot change once a bargain exists, and stock cannot go below what is sold."""
    campaign = await get_campaign(session, scope, campaign_id)
    if campaign.status == CampaignStatus.STOPPED:
        raise InvalidInput("a stopped campaign cannot be edited", code="campaign_stopped")
    values = await _checked(session, scope, data)
    started = (await repo.bargain_counts(session, scope.store_id, campaign.id))["started"]
    if started and values["sku_id"] != campaign.sku_id:
        raise InvalidInput("the SKU of a campaign with bargains cannot change", code="sku_locked")
    # Re-read: the sold counter moves under concurrent purchases.
    await session.refresh(campaign)
    if values["stock"] < campaign.sold:
        raise InvalidInput(
            "stock cannot go below the units already sold",
            code="stock_below_sold",
            details={"sold": campaign.sold},
        )
    for name, value in values.items():
        setattr(campaign, name, value)
    await session.flush()
    return campaign


async def stop_campaign(
    session: AsyncSession, scope: StoreScope, campaign_id: int
) -> BargainCampaign:
    """No more bargains, helps or purchases; orders already placed stay as they are."""
    campaign = await get_campaign(session, scope, campaign_id)
    await CAMPAIGN_MACHINE.apply(session, campaign, "stop")
    return campaign


async def figures(
    session: AsyncSession, scope: StoreScope, campaign_id: int | None
) -> dict[str, Any]:
    """Conversion started → reached floor → bought, helps, and helpers who became customers."""
    if campaign_id is not None:
        await get_campaign(session, scope, campaign_id)
    counts = await repo.bargain_counts(session, scope.store_id, campaign_id)
    helps = await repo.help_counts(session, scope.store_id, campaign_id)
    started = counts["started"]
    return {
        **counts,
        "floor_rate": round(counts["reached_floor"] / started, 4) if started else 0.0,
        "buy_rate": round(counts["bought"] / started, 4) if started else 0.0,
        **helps,
        "helpers_became_customers": await repo.helpers_became_customers(
            session, scope.store_id, campaign_id
        ),
        "gmv_fen": await repo.bought_gmv(session, scope.store_id, campaign_id),
    }


async def list_bargains(
    session: AsyncSession,
    scope: StoreScope,
    *,
    campaign_id: int | None,
    status: BargainState | None,
    cursor: str | None,
    limit: int,
) -> list[Bargain]:
    if campaign_id is not None:
        await get_campaign(session, scope, campaign_id)
    query = repo.store_bargains_query(scope.store_id, campaign_id, status)
    return list(await session.scalars(paginate(query, Bargain, cursor, limit)))
