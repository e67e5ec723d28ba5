"""Pool listings: a store lists a product with a plan, changes the plan (a new version),
unlists it; the platform reviews listings and takes them down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates import repository as repo
from weshop.affiliates.models import (
    AffiliateListing,
    AffiliatePlan,
    Audience,
    ListingStatus,
    PlanPromoter,
)
from weshop.affiliates.promoters import current_policy
from weshop.affiliates.schemas import ListingIn, PlanPatch, PlanTerms
from weshop.affiliates.state import LISTING_MACHINE
from weshop.catalog.models import Product
from weshop.core.errors import Conflict, InvalidInput, NotFound
from weshop.core.pagination import paginate
from weshop.core.tenancy import StoreScope
from weshop.ledger import fees


@dataclass(frozen=True)
class ListingView:
    """A listing with what its answers show beside it."""

    listing: AffiliateListing
    product: Product
    plan: AffiliatePlan
    promoter_ids: list[int]


SPLIT_CAP_EXCEEDED = "split_cap_exceeded"


async def _check_split_cap(
    session: AsyncSession, store_id: int, product_id: int, terms: PlanTerms
) -> None:
    """At settlement one payment's split sends the platform fee and every promoter's
    commission; WeChat Pay refuses a split beyond the maximum ratio, so a plan that could ask
    for more is refused now, while the store can still lower it."""
    cap = (await current_policy(session)).max_split_bps
    fee = await fees.product_rate(session, store_id, product_id)
    agency = terms.agency_rate_bps or 0
    highest = max([terms.rate_bps, *(row.rate_bps for row in terms.sku_rates)])
    if highest + agency + fee > cap:
        most = max(cap - fee - agency, 0)
        raise InvalidInput(
            f"the platform fee ({fee} bps), the agency rate ({agency} bps) and a commission "
            f"rate of {highest} bps would split more than {cap} bps of a payment: the "
            f"commission rate may be at most {most} bps",
            code=SPLIT_CAP_EXCEEDED,
            details={
                "max_rate_bps": most,
                "max_split_bps": cap,
                "platform_fee_bps": fee,
                "agency_rate_bps": agency,
            },
        )


async def _check_terms(
    session: AsyncSession, store_id: int, product_id: int, terms: PlanTerms, now: datetime
) -> None:
    """Each refusal has its code; nothing is written before all pass."""
    starts = terms.valid_from or now
    if terms.valid_until is not None and terms.valid_until <= starts:
        raise InvalidInput("the plan's window ends before it starts", code="invalid_window")
    if terms.audience == Audience.LISTED:
        if not terms.promoter_ids:
            raise InvalidInput(
                "a listed plan names at least one promoter", code="promoter_ids_required"
            )
        wanted = set(terms.promoter_ids)
        known = await repo.approved_promoter_ids(session, list(wanted))
        if unknown := sorted(wanted - known):
            raise InvalidInput(
                "not approved promoters", code="unknown_promoter", details={"promoter_ids": unknown}
            )
    elif terms.promoter_ids:
        raise InvalidInput(
            "an open plan is open to every promoter: list none", code="promoter_ids_not_listed"
        )
    sku_ids = [row.sku_id for row in terms.sku_rates]
    if len(set(sku_ids)) != len(sku_ids):
        raise InvalidInput("each SKU may have one rate", code="duplicate_sku")
    if unknown := sorted(set(sku_ids) - await repo.sku_ids_of(session, product_id)):
        raise InvalidInput(
            "not SKUs of the listed product", code="unknown_sku", details={"sku_ids": unknown}
        )
    await _check_split_cap(session, store_id, product_id, terms)


async def _add_plan(
    session: AsyncSession,
    listing: AffiliateListing,
    version: int,
    terms: PlanTerms,
    actor_id: int,
    now: datetime,
) -> AffiliatePlan:
    plan = AffiliatePlan(
        listing_id=listing.id,
        store_id=listing.store_id,
        version=version,
        effective_from=now,
        audience=terms.audience,
        rate_bps=terms.rate_bps,
        sku_rates=[row.model_dump() for row in terms.sku_rates],
        agency_rate_bps=terms.agency_rate_bps,
        valid_from=terms.valid_from or now,
        valid_until=terms.valid_until,
        last_click_steals=terms.last_click_steals,
        self_purchase=terms.self_purchase,
        created_by=actor_id,
        created_at=now,
    )
    session.add(plan)
    await session.flush()
    session.add_all(
        PlanPromoter(plan_id=plan.id, promoter_id=promoter_id)
        for promoter_id in sorted(set(terms.promoter_ids))
    )
    await session.flush()
    return plan


async def create_listing(
    session: AsyncSession, scope: StoreScope, data: ListingIn, now: datetime
) -> AffiliateListing:
    product = await repo.product(session, scope.store_id, data.product_id)
    if product is None:
        # Another store's product is as unknown as one that does not exist.
        raise NotFound("no such product", code="unknown_product")
    await _check_terms(session, scope.store_id, product.id, data, now)
    if await repo.live_listing_of_product(session, product.id):
        raise Conflict("this product is already in the pool", code="already_listed")
    listing = AffiliateListing(
        store_id=scope.store_id,
        product_id=product.id,
        live_product_id=product.id,
        status=ListingStatus.PENDING,
        plan_version=1,
        created_by=scope.actor_id,
        created_at=now,
        updated_at=now,
    )
    session.add(listing)
    await session.flush()
    await _add_plan(session, listing, 1, data, scope.actor_id, now)
    return listing


async def store_listing(
    session: AsyncSession, scope: StoreScope, listing_id: int
) -> AffiliateListing:
    listing = await repo.listing(session, listing_id, scope.store_id)
    if listing is None:
        raise NotFound("no such pool listing")
    return listing


async def any_listing(session: AsyncSession, listing_id: int) -> AffiliateListing:
    listing = await repo.listing(session, listing_id)
    if listing is None:
        raise NotFound("no such pool listing")
    return listing


async def list_listings(
    session: AsyncSession,
    store_id: int | None,
    status: ListingStatus | None,
    cursor: str | None,
    limit: int,
) -> list[AffiliateListing]:
    query = paginate(repo.listings_query(store_id, status), AffiliateListing, cursor, limit)
    return list(await session.scalars(query))


CLEARABLE_TERMS = frozenset({"valid_until", "agency_rate_bps"})


async def revise_plan(
    session: AsyncSession, scope: StoreScope, listing_id: int, patch: PlanPatch, now: datetime
) -> AffiliateListing:
    """A new plan version from the current one and the changes; the old one stays as it was
    (clicks made under it keep their terms)."""
    listing = await store_listing(session, scope, listing_id)
    LISTING_MACHINE.target(listing.status, "revise")
    current = (await repo.current_plans(session, [listing]))[listing.id]
    promoters = await repo.plan_promoters(session, [current.id])
    terms: dict[str, Any] = {
        "audience": current.audience,
        "promoter_ids": promoters.get(current.id, []),
        "rate_bps": current.rate_bps,
        "sku_rates": current.sku_rates,
        "agency_rate_bps": current.agency_rate_bps,
        "valid_from": current.valid_from,
        "valid_until": current.valid_until,
        "last_click_steals": current.last_click_steals,
        "self_purchase": current.self_purchase,
    }
    # Left out: unchanged. Null clears what may be absent (no end, no agency rate); a null
    # anywhere else changes nothing either.
    changes = {
        field: value
        for field, value in patch.model_dump(exclude_unset=True).items()
        if value is not None or field in CLEARABLE_TERMS
    }
    if changes.get("audience") == Audience.OPEN and "promoter_ids" not in changes:
        changes["promoter_ids"] = []
    revised = PlanTerms.model_validate({**terms, **changes})
    await _check_terms(session, listing.store_id, listing.product_id, revised, now)
    version = listing.plan_version + 1
    # The compare-and-set on the state serialises concurrent revisions; the unique
    # (listing, version) refuses the loser of a race.
    await LISTING_MACHINE.apply(session, listing, "revise", plan_version=version)
    await _add_plan(session, listing, version, revised, scope.actor_id, now)
    return listing


async def end_listing(
    session: AsyncSession, scope: StoreScope, listing_id: int, now: datetime
) -> AffiliateListing:
    listing = await store_listing(session, scope, listing_id)
    await LISTING_MACHINE.apply(session, listing, "end", live_product_id=None, ended_at=now)
    return listing


async def review(
    session: AsyncSession,
    operator_id: int,
    listing_id: int,
    action: str,
    reason: str,
    now: datetime,
) -> AffiliateListing:
    """``approve``, ``reject`` or ``take_down``, with the reason of the last two."""
    listing = await any_listing(session, listing_id)
    values: dict[str, Any] = {
        "review_reason": reason,
        "reviewed_at": now,
        "reviewed_by": operator_id,
    }
    if action != "approve":
        values["live_product_id"] = None
    await LISTING_MACHINE.apply(session, listing, action, **values)
    return listing


async def plans(session: AsyncSession, listing: AffiliateListing) -> list[AffiliatePlan]:
    return await repo.plans_of(session, listing.id)


async def views(session: AsyncSession, listings: list[AffiliateListing]) -> list[ListingView]:
    plans_by_listing = await repo.current_plans(session, listings)
    products = await repo.products(session, [row.product_id for row in listings])
    promoters = await repo.plan_promoters(session, [p.id for p in plans_by_listing.values()])
    return [
        ListingView(
            listing=row,
            product=products[row.product_id],
            plan=plans_by_listing[row.id],
            promoter_ids=promoters.get(plans_by_listing[row.id].id, []),
        )
        for row in listings
    ]
