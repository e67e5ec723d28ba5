"""Answers of the affiliate routes, built from rows (personal data masked here)."""

from __future__ import annotations

import math
from fractions import Fraction

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates import listings
from weshop.affiliates import repository as repo
from weshop.affiliates.models import AffiliateListing, AffiliatePlan, Promoter
from weshop.affiliates.pool import PoolItem
from weshop.affiliates.promoters import Policy
from weshop.affiliates.schemas import (
    ListingOut,
    PlanOut,
    PolicyOut,
    PoolItemOut,
    PromoterOut,
    RecommendationOut,
    SkuRate,
)
from weshop.affiliates.selection import Recommendation
from weshop.catalog import repository as catalog_repo
from weshop.catalog.schemas import cover_url
from weshop.core.crypto import mask_name, mask_phone
from weshop.core.money import BPS_WHOLE, format_yuan
from weshop.web.console_forms import N_
from weshop.web.i18n import translations

EARNINGS_PER_VISIT = N_(
    "Expected earnings per visit {earnings}: conversion {conversion} × commission {commission}"
)
FROM_PRIOR = N_("Few visits yet ({visits}): the conversion leans on the pool's {rate}")
CATEGORY_FIT = N_("You have sold {units} in {category}")


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
            sales_30d=item.figures.units_paid,
            visits_30d=item.figures.visits,
            attributed_orders_30d=item.figures.attributed_orders,
            conversion_bps=item.conversion_bps,
            refund_rate_bps=item.refund_rate_bps,
            plan_version=item.plan.version,
            valid_until=item.plan.valid_until,
            last_click_steals=item.plan.last_click_steals,
            self_purchase=item.plan.self_purchase,
        )
        for item in items
    ]


def _half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def percent(value: Fraction) -> str:
    """``Fraction(31, 1000)`` -> ``'3.1%'``: tenths of a percent, rounded half up."""
    tenths = _half_up(value * 1000)
    return f"{tenths // 10}.{tenths % 10}%"


def explain(row: Recommendation, pool_rate: Fraction, language: str) -> list[str]:
    """The card's reasons in ``language``: earnings per visit = conversion × commission, the
    prior when the product is new to the pool, the fit with what the promoter sold."""
    text = translations(language).gettext
    lines = [
        text(EARNINGS_PER_VISIT).format(
            earnings=format_yuan(_half_up(row.expected_fen_per_visit)),
            conversion=percent(row.conversion),
            commission=format_yuan(row.item.commission_per_unit_fen),
        )
    ]
    if row.mostly_prior:
        lines.append(
            text(FROM_PRIOR).format(rate=percent(pool_rate), visits=row.item.figures.visits)
        )
    if row.category_sales:
        lines.append(
            text(CATEGORY_FIT).format(category=row.category_name, units=row.category_sales)
        )
    return lines


async def recommendation_answers(
    session: AsyncSession, rows: list[Recommendation], pool_rate: Fraction, language: str
) -> list[RecommendationOut]:
    items = await pool_answers(session, [row.item for row in rows])
    return [
        RecommendationOut(
            item=item,
            estimated_conversion_bps=_half_up(row.conversion * BPS_WHOLE),
            conversion_from_prior=row.mostly_prior,
            pool_conversion_bps=_half_up(pool_rate * BPS_WHOLE),
            expected_earnings_per_visit_fen=_half_up(row.expected_fen_per_visit),
            category_name=row.category_name,
            category_units_sold=row.category_sales,
            explanation=explain(row, pool_rate, language),
        )
        for item, row in zip(items, rows, strict=True)
    ]
