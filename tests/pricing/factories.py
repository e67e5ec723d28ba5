"""Small builders for pricing inputs, so each test states only the figures it is about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from weshop.pricing.inputs import (
    CartLine,
    Coupon,
    FullReduction,
    Funder,
    PricingContext,
    Scope,
    Tier,
)
from weshop.pricing.quote import Quote

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
YESTERDAY = NOW - timedelta(days=1)
TOMORROW = NOW + timedelta(days=1)


def line(
    sku_id: int,
    unit_fen: int,
    quantity: int = 1,
    *,
    store: int = 1,
    product: int | None = None,
    category: int | None = None,
    weight: int = 0,
    template: int | None = None,
) -> CartLine:
    return CartLine(
        sku_id=sku_id,
        product_id=sku_id if product is None else product,
        store_id=store,
        category_id=category,
        title=f"item {sku_id}",
        unit_price_fen=unit_fen,
        quantity=quantity,
        weight_grams=weight,
        shipping_template_id=template,
    )


def products(*ids: int) -> Scope:
    return Scope(kind="products", product_ids=frozenset(ids))


def reduction(
    id: int,
    *tiers: tuple[int, int],
    store: int = 1,
    percent: bool = False,
    **fields: Any,
) -> FullReduction:
    """``tiers`` are (threshold, amount off) — or (threshold, percent off) with ``percent``."""
    return FullReduction(
        id=id,
        store_id=store,
        label=f"reduction {id}",
        tiers=tuple(
            Tier(threshold_fen=threshold, percent_off=off)
            if percent
            else Tier(threshold_fen=threshold, amount_off_fen=off)
            for threshold, off in tiers
        ),
        **fields,
    )


def coupon(
    id: int,
    *,
    store: int | None = 1,
    kind: Literal["fixed", "percent", "no_threshold"] = "fixed",
    off: int = 0,
    percent: int = 0,
    cap: int | None = None,
    threshold: int = 0,
    scope: Scope | None = None,
    valid_from: datetime = YESTERDAY,
    valid_until: datetime = TOMORROW,
    funded_by: Funder = Funder.MERCHANT,
) -> Coupon:
    return Coupon(
        id=id,
        template_id=id,
        store_id=store,
        label=f"coupon {id}",
        kind=kind,
        amount_off_fen=off,
        percent_off=percent,
        cap_fen=cap,
        threshold_fen=threshold,
        scope=scope or Scope(),
        valid_from=valid_from,
        valid_until=valid_until,
        funded_by=funded_by,
    )


def context(**fields: Any) -> PricingContext:
    return PricingContext(now=NOW, **fields)


def payables(quote: Quote) -> dict[int, int]:
    return {quote_line.sku_id: quote_line.payable_fen for quote_line in quote.lines}


def adjustments(quote: Quote, sku_id: int) -> list[tuple[str, str, int]]:
    """(kind, source id, amount) of one line's adjustments, in the order they were applied."""
    (found,) = (quote_line for quote_line in quote.lines if quote_line.sku_id == sku_id)
    return [(a.kind, a.source_id, a.amount_fen) for a in found.adjustments]


def promotion_amounts(quote: Quote) -> dict[tuple[str, str], int]:
    return {(p.kind, p.source_id): p.amount_fen for p in quote.promotions}


def verdicts(quote: Quote) -> dict[int, tuple[bool, bool, str | None, int]]:
    """coupon id -> (usable, applied, reason, saving)."""
    return {v.coupon_id: (v.usable, v.applied, v.reason, v.saving_fen) for v in quote.coupons}
