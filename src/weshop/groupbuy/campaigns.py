"""Group-buy campaigns for a store's staff: create, edit, stop, read, figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.catalog.models import Product, Sku
from weshop.core.clock import utcnow
from weshop.core.errors import Conflict, NotFound
from weshop.core.pagination import paginate
from weshop.core.tenancy import StoreScope
from weshop.groupbuy import membership, rules
from weshop.groupbuy import repository as repo
from weshop.groupbuy.models import CampaignStatus, Group, GroupCampaign, GroupPrice, GroupState
from weshop.groupbuy.schemas import CampaignCreate, CampaignPatch, GroupPriceIn
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


def _terms_of(campaign: GroupCampaign, prices: list[GroupPrice]) -> dict[str, Any]:
    return {
        "product_id": campaign.product_id,
        "name": campaign.name,
        "group_size": campaign.group_size,
        "fill_window_minutes": campaign.fill_window_minutes,
        "stock": campaign.stock,
        "per_shopper_limit": campaign.per_shopper_limit,
        "starts_at": campaign.starts_at,
        "ends_at": campaign.ends_at,
        "simulated_fill": campaign.simulated_fill,
        "new_customers_only": campaign.new_customers_only,
        "full_group_policy": campaign.full_group_policy,
        "prices": [
            GroupPriceIn.model_construct(
                sku_id=row.sku_id, price_fen=row.price_fen, leader_price_fen=row.leader_price_fen
            )
            for row in prices
        ],
    }


def _price_rows(rows: list[dict[str, Any]]) -> list[tuple[int, int, int | None]]:
    return sorted((row["sku_id"], row["price_fen"], row["leader_price_fen"]) for row in rows)


async def update_campaign(
    session: AsyncSession, scope: StoreScope, campaign_id: int, patch: CampaignPatch
) -> GroupCampaign:
    """New terms for groups and orders from now on, checked as on creation; a stopped
    campaign is not edited. Once a group has been opened, the terms its members were promised
    (``rules.PROMISED_TERMS``) stay; orders already placed keep their price either way."""
    campaign = await get_campaign(session, scope, campaign_id)
    if campaign.status != CampaignStatus.ACTIVE:
        raise Conflict("a stopped campaign cannot be edited", code="campaign_stopped")
    current = _terms_of(campaign, (await repo.prices_of(session, [campaign.id]))[campaign.id])
    sent = {name: getattr(patch, name) for name in patch.model_fields_set}
    changes = {name: value for name, value in sent.items() if value is not None}
    terms = CampaignCreate.model_construct(**{**current, **changes})
    rules.check_shape(terms)
    rules.check_terms(terms, sold=campaign.sold)
    changed = {
        name for name, value in changes.items() if name != "prices" and value != current[name]
    }
    prices = None
    if "prices" in changes:
        prices = rules.check_prices(terms, await _sku_prices(session, campaign.product_id))
        stored = [row.model_dump() for row in current["prices"]]
        if _price_rows(prices) != _price_rows(stored):
            changed.add("prices")
    # A group opened meanwhile takes the campaign's stock, an UPDATE of this row: holding the
    # row first, the check below sees every group whose order was placed, and an order placed
    # after this commits finds the new terms (membership checks them after taking stock).
    await repo.lock_for_update(session, GroupCampaign.id, campaign.id)
    if changed and await repo.has_groups(session, campaign.id):
        rules.check_changes_with_groups(changed, terms.ends_at, utcnow())
    # The stock may not fall below what concurrent orders take meanwhile: checked again by
    # the UPDATE itself.
    result = await session.execute(
        update(GroupCampaign)
        .where(GroupCampaign.id == campaign.id, GroupCampaign.sold <= terms.stock)
        .values(
            name=terms.name,
            group_size=terms.group_size,
            fill_window_minutes=terms.fill_window_minutes,
            stock=terms.stock,
            per_shopper_limit=terms.per_shopper_limit,
            starts_at=terms.starts_at,
            ends_at=terms.ends_at,
            simulated_fill=terms.simulated_fill,
            new_customers_only=terms.new_customers_only,
            full_group_policy=terms.full_group_policy,
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
    if prices is not None and "prices" in changed:
        await _replace_prices(session, campaign.id, prices)
    await session.refresh(campaign)
    return campaign


async def stop_campaign(
    session: AsyncSession, scope: StoreScope, campaign_id: int
) -> GroupCampaign:
    """No group opens or is joined any more, and the groups not yet completed end now: see
    :func:`membership.end_groups_of_stopped`."""
    campaign = await get_campaign(session, scope, campaign_id)
    # Refused before any group is touched (stopping twice is an illegal transition).
    CAMPAIGN_MACHINE.target(campaign.status, "stop")
    # Groups first, then the campaign row: the order a member's cancellation takes them in.
    await membership.end_groups_of_stopped(session, campaign, utcnow())
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
