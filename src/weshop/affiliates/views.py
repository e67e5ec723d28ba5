"""Answers of the affiliate routes, built from rows (personal data masked here)."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates import decisions, links, listings
from weshop.affiliates import repository as repo
from weshop.affiliates.attribution import NoAttribution, Rule
from weshop.affiliates.earnings import EarningLine, Totals
from weshop.affiliates.models import (
    AffiliateListing,
    AffiliatePlan,
    ClickChannel,
    CommissionHold,
    LineAttribution,
    Promoter,
    ShareLink,
)
from weshop.affiliates.pool import PoolItem
from weshop.affiliates.promoters import Policy
from weshop.affiliates.schemas import (
    ClickEvidence,
    CommissionHoldOut,
    EarningLineOut,
    EarningsOut,
    HoldFinding,
    LineAttributionOut,
    ListingOut,
    OrderAttributionOut,
    PlanOut,
    PolicyOut,
    PoolItemOut,
    PromoterOut,
    RecommendationOut,
    ShareLinkOut,
    SkuRate,
)
from weshop.affiliates.selection import Recommendation
from weshop.catalog import repository as catalog_repo
from weshop.catalog.schemas import cover_url
from weshop.catalog.web import absolute
from weshop.core.crypto import mask_name, mask_phone
from weshop.core.money import BPS_WHOLE, format_yuan
from weshop.web.console_forms import N_
from weshop.web.i18n import translations
from weshop.web.templating import shop_time

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
        max_split_bps=policy.max_split_bps,
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


# Attribution

# What each decision means, as a sentence with named fields (``%(name)s``): the API answers
# it in English, the consoles translate it.
_EXPLANATIONS: dict[str, str] = {
    Rule.BOUND: (
        "Promoter %(promoter)s: the shopper was bound to them by their click at %(clicked_at)s,"
        " and a binding lasts %(days)s days from the click."
    ),
    Rule.LAST_CLICK: (
        "Promoter %(promoter)s: the plan lets the last click win, and theirs at %(clicked_at)s"
        " was the last within %(days)s days before the order."
    ),
    Rule.SELF_PURCHASE: (
        "Promoter %(promoter)s bought through their own link (click at %(clicked_at)s): the"
        " plan pays commission on self-purchases."
    ),
    NoAttribution.NO_CLICK: (
        "Nobody: no click on this store's links by a promoter the plan admits before the order."
    ),
    NoAttribution.WINDOW_LAPSED: (
        "Nobody: the last binding (promoter %(promoter)s, click at %(clicked_at)s) had lapsed;"
        " a binding lasts %(days)s days."
    ),
    NoAttribution.NOT_IN_POOL: (
        "Nobody: the product was not in the alliance pool when the order was placed"
        " (promoter %(promoter)s was bound)."
    ),
    NoAttribution.SELF_PURCHASE_EXCLUDED: (
        "Nobody: promoter %(promoter)s bought through their own link, and the plan pays no"
        " commission on self-purchases."
    ),
}


def attribution_explained(row: LineAttribution, promoter_code: str | None) -> tuple[str, dict]:
    """The decision of one line as a message id and its fields (times in China time)."""
    key = row.rule or row.reason
    assert key is not None  # every decision has a rule or a reason
    fields = {
        "promoter": promoter_code or "-",
        "clicked_at": shop_time(row.clicked_at, "%Y-%m-%d %H:%M:%S") or "-",
        "days": f"{row.binding_window_seconds / 86400:g}",
    }
    return _EXPLANATIONS[key], fields


async def attribution_answer(
    session: AsyncSession, order_id: int, order_no: str
) -> OrderAttributionOut:
    rows = await decisions.order_attributions(session, order_id)
    titles = await repo.order_line_titles(session, order_id)
    clicks = await repo.clicks_by_id(session, [row.click_id for row in rows if row.click_id])
    codes = await repo.promoter_codes(
        session,
        [row.promoter_id for row in rows if row.promoter_id]
        + [click.promoter_id for click in clicks.values()],
    )
    versions = await repo.plan_versions(
        session, [plan for row in rows for plan in (row.plan_id, row.rate_plan_id) if plan]
    )
    lines = []
    for row in rows:
        click = clicks.get(row.click_id) if row.click_id else None
        promoter_id = row.promoter_id or (click.promoter_id if click else None)
        message, fields = attribution_explained(row, codes.get(promoter_id))
        lines.append(
            LineAttributionOut(
                order_line_id=row.order_line_id,
                product_id=row.product_id,
                sku_id=row.sku_id,
                title=titles.get(row.order_line_id, ""),
                attributed=row.promoter_id is not None,
                promoter_id=row.promoter_id,
                promoter_code=codes.get(row.promoter_id) if row.promoter_id else None,
                rule=Rule(row.rule) if row.rule else None,
                reason=NoAttribution(row.reason) if row.reason else None,
                explanation=message % fields,
                click=(
                    ClickEvidence(
                        id=click.id,
                        at=click.at,
                        channel=click.channel,
                        promoter_id=click.promoter_id,
                        promoter_code=codes.get(click.promoter_id),
                    )
                    if click
                    else None
                ),
                plan_version=versions.get(row.plan_id) if row.plan_id else None,
                rate_plan_version=versions.get(row.rate_plan_id) if row.rate_plan_id else None,
                rate_bps=row.rate_bps,
                binding_window_seconds=row.binding_window_seconds,
                decided_at=row.decided_at,
            )
        )
    return OrderAttributionOut(order_id=order_id, order_no=order_no, lines=lines)


def share_link_out(runtime: Any, link: ShareLink) -> ShareLinkOut:
    url = absolute(runtime, links.short_path(link.code))
    return ShareLinkOut(
        code=link.code,
        url=url,
        poster_url=f"{url}?ch={ClickChannel.POSTER.value}",
        target=link.target,
        store_id=link.store_id,
        product_id=link.product_id,
        target_path=links.link_path(link),
        created_at=link.created_at,
    )


async def hold_answers(
    session: AsyncSession, holds: list[CommissionHold]
) -> list[CommissionHoldOut]:
    codes = await repo.promoter_codes(session, [hold.promoter_id for hold in holds])
    return [
        CommissionHoldOut(
            id=hold.id,
            order_id=hold.order_id,
            order_line_id=hold.order_line_id,
            store_id=hold.store_id,
            promoter_id=hold.promoter_id,
            promoter_code=codes.get(hold.promoter_id),
            findings=[HoldFinding.model_validate(finding) for finding in hold.findings],
            status=hold.status,
            decision_note=hold.decision_note,
            decided_at=hold.decided_at,
            created_at=hold.created_at,
        )
        for hold in holds
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
