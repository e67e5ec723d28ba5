"""Answers of the affiliate routes, built from rows (personal data masked here)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates import listings
from weshop.affiliates import repository as repo
from weshop.affiliates.earnings import EarningLine, Totals
from weshop.affiliates.models import AffiliateListing, AffiliatePlan, Promoter
from weshop.affiliates.pool import PoolItem
from weshop.affiliates.promoters import Policy
from weshop.affiliates.schemas import (
    EarningLineOut,
    EarningsOut,
    ListingOut,
    PlanOut,
    PolicyOut,
    PoolItemOut,
    PromoterOut,
    SkuRate,
)
from weshop.catalog import repository as catalog_repo
from weshop.catalog.schemas import cover_url
from weshop.core.crypto import mask_name, mask_phone


def policy_out(policy: Policy) -> PolicyOut:
    return PolicyOut(
        max_depth=policy.max_depth,
        binding_window_days=policy.binding_window_days,
        min_withdrawal_fen=policy.min_withdrawal_fen,
        after_sales_freeze_days=policy.after_sales_freeze_days,
        updated_at=policy.updated_at,
    )


def promoter_out(promoter: Promoter) -> PromoterOut:
    return PromoterOut(
        id=promoter.id,
        user_id=promoter.user_id,
        status=promoter.status,
        real_name=mask_name(promoter.real_name),
        phone=mask_phone(promoter.phone),
        code=promoter.code,
        parent_id=promoter.parent_id,
        invited_by_id=promoter.invited_by_id,
        inviter_ignored=promoter.invited_by_id is not None and promoter.parent_id is None,
        review_reason=promoter.review_reason,
        reviewed_at=promoter.reviewed_at,
        created_at=promoter.created_at,
    )


def _plan_fields(plan: AffiliatePlan, promoter_ids: list[int]) -> dict[str, object]:
    return {
        "version": plan.version,
        "effective_from": plan.effective_from,
        "audience": plan.audience,
        "promoter_ids": promoter_ids,
        "rate_bps": plan.rate_bps,
        "sku_rates": [SkuRate.model_validate(row) for row in plan.sku_rates],
        "agency_rate_bps": plan.agency_rate_bps,
        "valid_from": plan.valid_from,
        "valid_until": plan.valid_until,
        "last_click_steals": plan.last_click_steals,
        "self_purchase": plan.self_purchase,
        "created_at": plan.created_at,
    }


async def listing_answers(session: AsyncSession, rows: list[AffiliateListing]) -> list[ListingOut]:
    answers = []
    for view in await listings.views(session, rows):
        listing = view.listing
        answers.append(
            ListingOut(
                **_plan_fields(view.plan, view.promoter_ids),
                id=listing.id,
                store_id=listing.store_id,
                product_id=listing.product_id,
                product_title=view.product.title,
                status=listing.status,
                review_reason=listing.review_reason,
                reviewed_at=listing.reviewed_at,
                ended_at=listing.ended_at,
                listed_at=listing.created_at,
                updated_at=listing.updated_at,
            )
        )
    return answers


async def listing_answer(session: AsyncSession, row: AffiliateListing) -> ListingOut:
    return (await listing_answers(session, [row]))[0]


async def plan_answers(session: AsyncSession, plans: list[AffiliatePlan]) -> list[PlanOut]:
    promoters = await repo.plan_promoters(session, [plan.id for plan in plans])
    return [PlanOut(**_plan_fields(plan, promoters.get(plan.id, []))) for plan in plans]


async def pool_answers(session: AsyncSession, items: list[PoolItem]) -> list[PoolItemOut]:
    media = await catalog_repo.media(
        session, [image_id for item in items for image_id in item.product.image_ids]
    )
    return [
        PoolItemOut(
            listing_id=item.listing.id,
            store_id=item.listing.store_id,
            product_id=item.product.id,
            title=item.product.title,
            image_url=cover_url(item.product, media),
            price_from_fen=item.default_sku.price_fen,
            price_to_fen=item.price_to_fen,
            default_sku_id=item.default_sku.id,
            rate_bps=item.rate_bps,
            commission_per_unit_fen=item.commission_per_unit_fen,
            stock_available=item.stock_available,
            plan_version=item.plan.version,
            valid_until=item.plan.valid_until,
            last_click_steals=item.plan.last_click_steals,
            self_purchase=item.plan.self_purchase,
        )
        for item in items
    ]


def earnings_out(
    promoter: Promoter, totals: Totals, lines: list[EarningLine], next_cursor: str | None
) -> EarningsOut:
    return EarningsOut(
        estimated_fen=totals.estimated_fen,
        frozen_fen=totals.frozen_fen,
        settled_fen=totals.settled_fen,
        clawed_back_fen=totals.clawed_back_fen,
        carried_fen=totals.carried_fen,
        paid_out_fen=totals.paid_out_fen,
        owed_fen=totals.owed_fen,
        payout_account_set=promoter.payout_openid is not None,
        lines=[
            EarningLineOut(
                id=line.commission.id,
                order_no=line.order_no,
                product=line.title,
                level=line.commission.level,
                rate_bps=line.commission.rate_bps,
                base_fen=line.commission.base_fen,
                refunded_fen=line.commission.refunded_fen,
                amount_fen=line.commission.amount_fen,
                status=line.commission.status,
                settled_fen=line.commission.settled_fen,
                clawed_back_fen=line.commission.clawed_back_fen,
                carried_fen=line.commission.carried_fen,
                paid_out_fen=line.commission.paid_out_fen,
                created_at=line.commission.created_at,
            )
            for line in lines
        ],
        next_cursor=next_cursor,
    )
