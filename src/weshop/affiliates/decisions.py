"""Each order line's attribution decision, taken in the checkout's transaction by the rules of
:mod:`weshop.affiliates.attribution` and stored with its evidence, so that every order has
an answer to "why did promoter X (not) get this order"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates import fraud
from weshop.affiliates import repository as repo
from weshop.affiliates.attribution import Click as ClickFact
from weshop.affiliates.attribution import Decision, Line, Plan, SelfPurchase, decide
from weshop.affiliates.clicks import claim_visitor_clicks, hold_shopper, shopper_clicks
from weshop.affiliates.models import (
    AffiliateListing,
    AffiliatePlan,
    Audience,
    Click,
    LineAttribution,
    PromoterStatus,
)
from weshop.affiliates.pool import sku_rate
from weshop.affiliates.promoters import Policy
from weshop.core.clock import utcnow
from weshop.orders.events import OrdersPlaced, PlacedLine


async def attribute_placed_lines(
    session: AsyncSession, placed: OrdersPlaced, visitor_id: str | None, policy: Policy
) -> list[LineAttribution]:
    """Decide and store the attribution of every placed line. The shopper's clicks are read
    after taking turns with their clicks (:func:`clicks.hold_shopper`), and the decision's
    moment is taken after that too: a click stamped before it is visible to it."""
    await hold_shopper(session, placed.user_id, visitor_id)
    decided_at = utcnow()
    if visitor_id is not None:
        await claim_visitor_clicks(session, placed.user_id, visitor_id)
    clicks = await shopper_clicks(
        session, placed.user_id, sorted({line.store_id for line in placed.lines})
    )
    window = timedelta(days=policy.binding_window_days)
    if not clicks:
        # Nobody to weigh: no plan to read (the common case costs one query and the insert).
        rows = [
            _row(
                placed,
                line,
                decide(_line(line, decided_at, None), [], None, window),
                window,
                decided_at,
            )
            for line in placed.lines
        ]
    else:
        rows = await _decide_with_clicks(session, placed, clicks, decided_at, window)
    session.add_all(rows)
    await session.flush()
    await fraud.screen(session, rows)
    return rows


async def _decide_with_clicks(
    session: AsyncSession,
    placed: OrdersPlaced,
    clicks: list[Click],
    decided_at: datetime,
    window: timedelta,
) -> list[LineAttribution]:
    product_ids = sorted({line.product_id for line in placed.lines})
    listings = await repo.live_listings_of_products(session, product_ids)
    plans = await repo.plans_of_listings(session, [listing.id for listing in listings.values()])
    current = {
        listing.product_id: _plan_in_force(listing, plans[listing.id], decided_at)
        for listing in listings.values()
    }
    audiences = await repo.plan_promoters(
        session,
        [
            plan.id
            for plan in current.values()
            if plan is not None and plan.audience == Audience.LISTED
        ],
    )
    buyer = await repo.promoter_of_user(session, placed.user_id)
    buyer_promoter_id = buyer.id if buyer and buyer.status == PromoterStatus.APPROVED else None
    facts = [ClickFact(c.id, c.promoter_id, c.store_id, c.at, c.product_id) for c in clicks]
    by_id = {click.id: click for click in clicks}
    rows = []
    for line in placed.lines:
        plan = current.get(line.product_id)
        decision = decide(
            _line(line, decided_at, buyer_promoter_id),
            facts,
            _rules(plan, audiences) if plan is not None else None,
            window,
        )
        row = _row(placed, line, decision, window, decided_at, plan_id=plan.id if plan else None)
        if decision.click_id is not None:
            row.channel = by_id[decision.click_id].channel
        if decision.attributed and plan is not None:
            listing = listings[line.product_id]
            rate_plan = plan_at(plans[listing.id], by_id[decision.click_id].at)
            row.rate_plan_id = rate_plan.id
            row.rate_bps = sku_rate(rate_plan, line.sku_id)
        rows.append(row)
    return rows


def _plan_in_force(
    listing: AffiliateListing, plans: Sequence[AffiliatePlan], now: datetime
) -> AffiliatePlan | None:
    """The listing's plan in force, if its validity window holds ``now``: else the product is
    not in the pool at this moment."""
    plan = next((row for row in plans if row.version == listing.plan_version), None)
    if plan is None or plan.valid_from > now:
        return None
    if plan.valid_until is not None and plan.valid_until <= now:
        return None
    return plan


def plan_at(plans: Sequence[AffiliatePlan], moment: datetime) -> AffiliatePlan:
    """The plan version whose rate a click at ``moment`` earns: the last one in force then. A
    click before the product was listed earns the first version's rate (the only terms the
    store ever offered for it until then)."""
    in_force = [row for row in plans if row.effective_from <= moment]
    return in_force[-1] if in_force else plans[0]


def _rules(plan: AffiliatePlan, audiences: dict[int, list[int]]) -> Plan:
    return Plan(
        last_click_steals=plan.last_click_steals,
        self_purchase=SelfPurchase(plan.self_purchase.value),
        audience=(
            frozenset(audiences.get(plan.id, [])) if plan.audience == Audience.LISTED else None
        ),
    )


def _line(line: PlacedLine, decided_at: datetime, buyer_promoter_id: int | None) -> Line:
    return Line(line.store_id, line.product_id, decided_at, buyer_promoter_id)


def _row(
    placed: OrdersPlaced,
    line: PlacedLine,
    decision: Decision,
    window: timedelta,
    decided_at: datetime,
    plan_id: int | None = None,
) -> LineAttribution:
    return LineAttribution(
        order_id=line.order_id,
        order_line_id=line.order_line_id,
        store_id=line.store_id,
        user_id=placed.user_id,
        product_id=line.product_id,
        sku_id=line.sku_id,
        promoter_id=decision.promoter_id,
        rule=decision.rule.value if decision.rule else None,
        reason=decision.reason.value if decision.reason else None,
        click_id=decision.click_id,
        clicked_at=decision.clicked_at,
        plan_id=plan_id,
        rate_bps=0,
        binding_window_seconds=int(window.total_seconds()),
        decided_at=decided_at,
    )


async def order_attributions(session: AsyncSession, order_id: int) -> list[LineAttribution]:
    rows = await session.scalars(
        select(LineAttribution)
        .where(LineAttribution.order_id == order_id)
        .order_by(LineAttribution.order_line_id)
    )
    return list(rows)
