"""The business rules a promotion's terms must meet, each refusal with its own error code.

They run before anything is written, so refused terms leave no trace.
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.errors import InvalidInput
from weshop.pricing.inputs import Scope, Tier
from weshop.promotions import repository as repo
from weshop.promotions.models import CouponKind, ReductionKind
from weshop.promotions.schemas import ReductionIn, ScopeIn, StackingIn, TemplateCreate

MAX_QUANTITY = 10_000_000
MAX_PER_SHOPPER = 100
MAX_VALID_DAYS = 365


def _refuse(message: str, code: str, **details: Any) -> InvalidInput:
    return InvalidInput(message, code=code, details=details or None)


def check_percent(value: int | None) -> int:
    if value is None or not 1 <= value <= 99:
        raise _refuse("percent_off must be 1 to 99", "invalid_percent", percent_off=value)
    return value


def check_template_terms(data: TemplateCreate, now: datetime) -> None:
    """Refuse terms no coupon should have; see the codes below."""
    if data.kind == CouponKind.PERCENT:
        check_percent(data.percent_off)
        if data.amount_off_fen is not None:
            raise _refuse("a percent coupon takes no amount_off_fen", "invalid_amount")
        if data.cap_fen is not None and data.cap_fen < 1:
            raise _refuse("cap_fen must be at least 1 fen", "invalid_cap")
    else:
        if data.amount_off_fen is None or data.amount_off_fen < 1:
            raise _refuse("amount_off_fen must be at least 1 fen", "invalid_amount")
        if data.percent_off is not None:
            raise _refuse(f"a {data.kind} coupon takes no percent_off", "invalid_percent")
        if data.cap_fen is not None:
            raise _refuse("only percent coupons have a cap", "invalid_cap")
    if data.kind == CouponKind.FIXED and data.threshold_fen <= (data.amount_off_fen or 0):
        raise _refuse(
            "the threshold must be above the amount off (else it is a no-threshold coupon)",
            "threshold_below_discount",
            threshold_fen=data.threshold_fen,
            amount_off_fen=data.amount_off_fen,
        )
    if data.kind == CouponKind.NO_THRESHOLD and data.threshold_fen:
        raise _refuse("a no-threshold coupon takes no threshold", "threshold_not_allowed")
    if not 1 <= data.total_quantity <= MAX_QUANTITY:
        raise _refuse(f"total_quantity must be 1 to {MAX_QUANTITY}", "invalid_quantity")
    if not 1 <= data.per_shopper_limit <= MAX_PER_SHOPPER:
        raise _refuse(f"per_shopper_limit must be 1 to {MAX_PER_SHOPPER}", "invalid_limit")
    _check_validity(data, now)


def _check_validity(data: TemplateCreate, now: datetime) -> None:
    window = (data.valid_from, data.valid_until)
    days = data.valid_days_after_claim
    if days is not None:
        if any(window):
            raise _refuse(
                "give either a validity window or valid_days_after_claim, not both",
                "ambiguous_validity",
            )
        if not 1 <= days <= MAX_VALID_DAYS:
            raise _refuse(
                f"valid_days_after_claim must be 1 to {MAX_VALID_DAYS}", "invalid_validity_days"
            )
        return
    if data.valid_from is None or data.valid_until is None:
        raise _refuse(
            "give valid_from and valid_until, or valid_days_after_claim", "validity_required"
        )
    if data.valid_until <= data.valid_from:
        raise _refuse("the validity window ends before it starts", "invalid_window")
    if data.valid_until <= now:
        raise _refuse("the validity window is already over", "window_over")


async def checked_scope(
    session: AsyncSession, store_id: int | None, scope: ScopeIn
) -> dict[str, Any]:
    """The scope as stored; its ids must be the store's (any store's for the platform)."""
    products, categories = sorted(set(scope.product_ids)), sorted(set(scope.category_ids))
    wanted = {"all": [], "products": products, "categories": categories}[scope.kind]
    other = categories if scope.kind == "products" else products
    if scope.kind == "all" and (products or categories):
        raise _refuse("a scope of kind all lists no ids", "invalid_scope")
    if scope.kind != "all" and (not wanted or other):
        raise _refuse(
            f"a scope of kind {scope.kind} lists {scope.kind} ids and nothing else",
            "invalid_scope",
        )
    finder = repo.existing_products if scope.kind == "products" else repo.existing_categories
    if wanted:
        unknown = sorted(set(wanted) - await finder(session, store_id, wanted))
        if unknown:
            raise _refuse(
                f"some {scope.kind} are not this store's", "unknown_scope_ids", ids=unknown
            )
    return {"kind": scope.kind, "product_ids": products, "category_ids": categories}


def checked_tiers(data: ReductionIn) -> list[dict[str, int | None]]:
    """Tiers in ascending thresholds, each giving more than the one below it."""
    amount = data.kind == ReductionKind.AMOUNT
    tiers = sorted(data.tiers, key=lambda tier: tier.threshold_fen)
    for tier in tiers:
        if tier.threshold_fen < 1:
            raise _refuse("a tier's threshold must be at least 1 fen", "invalid_tier")
        if amount:
            if tier.percent_off is not None or tier.amount_off_fen is None:
                raise _refuse("an amount rule's tiers take amount_off_fen only", "invalid_tier")
            if tier.amount_off_fen < 1:
                raise _refuse("amount_off_fen must be at least 1 fen", "invalid_amount")
            if tier.amount_off_fen >= tier.threshold_fen:
                raise _refuse(
                    "a tier's threshold must be above its amount off",
                    "threshold_below_discount",
                    threshold_fen=tier.threshold_fen,
                )
        else:
            if tier.amount_off_fen is not None:
                raise _refuse("a percent rule's tiers take percent_off only", "invalid_tier")
            check_percent(tier.percent_off)
    for lower, upper in pairwise(tiers):
        if lower.threshold_fen == upper.threshold_fen:
            raise _refuse(
                "two tiers have the same threshold",
                "overlapping_tiers",
                threshold_fen=lower.threshold_fen,
            )
        benefit = (lambda t: t.amount_off_fen) if amount else (lambda t: t.percent_off)
        if benefit(upper) <= benefit(lower):
            raise _refuse(
                "a higher threshold must give a bigger discount",
                "tier_benefit_not_increasing",
                threshold_fen=upper.threshold_fen,
            )
    # The pricing core's own value type is the final check of what it will be given.
    return [
        Tier(
            threshold_fen=t.threshold_fen,
            amount_off_fen=t.amount_off_fen,
            percent_off=t.percent_off,
        ).model_dump()
        for t in tiers
    ]


def check_reduction_window(data: ReductionIn, now: datetime) -> None:
    if data.starts_at and data.ends_at and data.ends_at <= data.starts_at:
        raise _refuse("the rule ends before it starts", "invalid_window")
    if data.ends_at and data.ends_at <= now:
        raise _refuse("the rule's window is already over", "window_over")


def checked_pairs(data: StackingIn) -> list[list[str]]:
    pairs = set()
    for a, b in data.exclusive_pairs:
        if a == b:
            raise _refuse("a group cannot exclude itself", "invalid_pair", group=a)
        pairs.add(tuple(sorted((a.value, b.value))))
    return [list(pair) for pair in sorted(pairs)]


def scope_value(stored: dict[str, Any]) -> Scope:
    return Scope(
        kind=stored["kind"],
        product_ids=frozenset(stored.get("product_ids", ())),
        category_ids=frozenset(stored.get("category_ids", ())),
    )
