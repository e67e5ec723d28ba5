"""The pricing core: ``price(lines, context) -> Quote``. Pure: no I/O, no clock, no database.

One checkout may hold lines of several stores. The steps run in this order, each on what the
previous ones left, and every fen taken is an adjustment on the line that gave it:

1. Item price per line (:mod:`.item_price`): the base price, or the member price of the
   store's level, or a campaign price — the lower, unless the campaign is exclusive. A line
   priced by a campaign the store's stacking rules keep apart from promotions
   (``StackingRules.campaigns_without_promotions``; by default a flash sale) takes no part in
   steps 2 and 3: its coupons say ``not_with_campaign``.
2. Full reduction per store (:mod:`.full_reduction`): the store's single best active
   reduction, at the highest tier its covered lines reach.
3. Coupons (:mod:`.coupons`, :mod:`.coupon_search`): at most one store coupon per store and
   one platform coupon, within each store's stacking rules — the shopper's choice, or the
   combination that saves most (every combination up to 20,000 of them, then a bounded
   search); a verdict for every coupon in the wallet.
4. Points per store (:mod:`.points`): whole points, capped by balance and by a share of the
   store's goods payable.
5. Shipping per store (:mod:`.shipping`): by template, piece or weight, province rule, free
   over a threshold of the goods payable; an unreachable province makes a store undeliverable.
   A store whose goods are collected at a pickup point (``context.pickup_store_ids``) ships
   nothing: its total says ``delivery="pickup"`` and its fee is 0.

Every split goes through :func:`weshop.core.money.allocate` weighted by what each line still
costs, so no line goes negative, no discount exceeds what it applies to, and the parts of each
discount sum exactly to it. Lines keep the caller's order; stores and their promotions come
by ascending store id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import Field, model_validator

from weshop.core.errors import InvalidInput
from weshop.core.money import CURRENCY
from weshop.pricing.coupon_rules import DEFAULT_RULES, Cart
from weshop.pricing.coupons import CouponOutcome, apply_coupons
from weshop.pricing.full_reduction import best_reductions
from weshop.pricing.inputs import CartLine, Coupon, Frozen, Funder, PricingContext
from weshop.pricing.item_price import item_prices
from weshop.pricing.points import PointsSpent, apply_points
from weshop.pricing.shipping import PICKED_UP, Shipping, store_shipping
from weshop.pricing.worksheet import AdjustmentKind, Applied, PromotionKind, WorkLine

VerdictReason = Literal[
    "expired",
    "not_yet_valid",
    "other_store",
    "wrong_scope",
    "threshold_not_met",
    "not_combinable",
    "better_combination_chosen",
    "not_with_campaign",
]


class Adjustment(Frozen):
    kind: AdjustmentKind
    source_id: str
    label: str
    amount_fen: int = Field(le=0, description="What this adjustment took off the line.")
    funded_by: Funder


class QuoteLine(Frozen):
    sku_id: int
    product_id: int
    store_id: int
    title: str
    spec_text: str
    quantity: int
    list_unit_price_fen: int
    unit_price_fen: int = Field(description="After the member or campaign price (step 1).")
    subtotal_fen: int = Field(description="List unit price times quantity.")
    adjustments: tuple[Adjustment, ...] = ()
    payable_fen: int = Field(ge=0)

    @property
    def platform_funded_fen(self) -> int:
        """What the platform funded of the line's discounts (its coupons), in fen."""
        return -sum(a.amount_fen for a in self.adjustments if a.funded_by == Funder.PLATFORM)


class Allocation(Frozen):
    sku_id: int
    amount_fen: int = Field(le=0)


class OrderPromotion(Frozen):
    kind: PromotionKind
    source_id: str
    label: str
    store_id: int | None = Field(description="None: a platform coupon, over every store.")
    amount_fen: int = Field(le=0)
    funded_by: Funder
    allocations: tuple[Allocation, ...] = Field(description="One per covered line.")


class CouponVerdict(Frozen):
    coupon_id: int
    store_id: int | None
    usable: bool = Field(description="Whether it could be used on its own in this checkout.")
    applied: bool
    reason: VerdictReason | None = Field(description="Why it is not applied; None if it is.")
    saving_fen: int = Field(ge=0, description="What it saves on its own after full reduction.")


class StoreTotal(Frozen):
    store_id: int
    subtotal_fen: int
    discount_fen: int = Field(ge=0)
    shipping_fen: int = Field(ge=0)
    points_used: int = Field(ge=0)
    delivery: Literal["express", "pickup"] = Field(
        default="express",
        description="express: shipped at `shipping_fen`; pickup: collected by the shopper at "
        "a pickup point (自提), so no shipping fee.",
    )
    deliverable: bool
    payable_fen: int = Field(ge=0, description="Goods payable plus shipping.")


class Quote(Frozen):
    currency: str = CURRENCY
    lines: tuple[QuoteLine, ...]
    promotions: tuple[OrderPromotion, ...] = ()
    stores: tuple[StoreTotal, ...]
    coupons: tuple[CouponVerdict, ...] = ()
    applied_coupon_ids: tuple[int, ...] = ()
    subtotal_fen: int
    discount_fen: int
    shipping_fen: int
    points_value_fen: int
    payable_fen: int

    @model_validator(mode="after")
    def _balanced(self) -> Quote:
        # A safety net, cheap next to pricing: a quote that does not add up never leaves here.
        goods = sum(line.payable_fen for line in self.lines)
        for line in self.lines:
            if line.subtotal_fen + sum(a.amount_fen for a in line.adjustments) != line.payable_fen:
                raise ValueError(f"line {line.sku_id} does not add up")
        for promotion in self.promotions:
            if sum(a.amount_fen for a in promotion.allocations) != promotion.amount_fen:
                raise ValueError(f"{promotion.kind} {promotion.source_id} is not fully allocated")
        if (
            self.subtotal_fen != sum(line.subtotal_fen for line in self.lines)
            or self.subtotal_fen - self.discount_fen != goods
            or self.shipping_fen != sum(store.shipping_fen for store in self.stores)
            or self.payable_fen != goods + self.shipping_fen
        ):
            raise ValueError("the quote's totals do not add up")
        return self

    def for_store(self, store_id: int) -> Quote:
        """This quote restricted to one store: its lines, its total, its part of each
        promotion (a platform coupon counts only the allocations to this store's lines), the
        verdicts on its own and on platform coupons. Each order keeps one as its snapshot."""
        lines = tuple(line for line in self.lines if line.store_id == store_id)
        if not lines:
            raise ValueError(f"the quote has no lines of store {store_id}")
        skus = {line.sku_id for line in lines}
        promotions = []
        for promotion in self.promotions:
            if promotion.store_id not in (None, store_id):
                continue
            allocations = tuple(a for a in promotion.allocations if a.sku_id in skus)
            if allocations:
                amount = sum(a.amount_fen for a in allocations)
                promotions.append(
                    promotion.model_copy(update={"allocations": allocations, "amount_fen": amount})
                )
        stores = tuple(store for store in self.stores if store.store_id == store_id)
        kept_coupons = {int(p.source_id) for p in promotions if p.kind == "coupon"}
        subtotal = sum(line.subtotal_fen for line in lines)
        goods = sum(line.payable_fen for line in lines)
        return Quote(
            currency=self.currency,
            lines=lines,
            promotions=tuple(promotions),
            stores=stores,
            coupons=tuple(v for v in self.coupons if v.store_id in (None, store_id)),
            applied_coupon_ids=tuple(i for i in self.applied_coupon_ids if i in kept_coupons),
            subtotal_fen=subtotal,
            discount_fen=subtotal - goods,
            shipping_fen=stores[0].shipping_fen,
            points_value_fen=-sum(p.amount_fen for p in promotions if p.kind == "points"),
            payable_fen=goods + stores[0].shipping_fen,
        )


def price(lines: Sequence[CartLine], context: PricingContext) -> Quote:
    """Price a checkout's lines, of one store or several. Raises ``InvalidInput`` for lines or
    a wallet that repeat an id, a line naming a shipping template the context lacks, and
    (``coupon_not_usable``) chosen coupons that cannot be used together."""
    _check_unique(lines, context.coupons)
    work = item_prices(lines, context)
    stores: dict[int, list[WorkLine]] = {
        store_id: [] for store_id in sorted({line.store_id for line in lines})
    }
    for line in work:
        stores[line.cart.store_id].append(line)
    promoted, held_back = _by_stacking(stores, context)
    reductions = best_reductions(promoted, context.full_reductions, context.now)
    cart = Cart(promoted, reductions, context.stacking, context.now, held_back)
    outcome = apply_coupons(cart, context.coupons, context.chosen_coupon_ids)
    points = apply_points(stores, context.points)
    templates = {template.id: template for template in context.shipping_templates}
    shipping = {
        store_id: PICKED_UP
        if store_id in context.pickup_store_ids
        else store_shipping(
            store_id,
            store_lines,
            templates,
            context.default_shipping_template.get(store_id),
            context.province,
        )
        for store_id, store_lines in stores.items()
    }
    return _freeze(work, stores, outcome, points, shipping, context.pickup_store_ids)


def _by_stacking(
    stores: Mapping[int, Sequence[WorkLine]], context: PricingContext
) -> tuple[dict[int, list[WorkLine]], dict[int, list[WorkLine]]]:
    """Each store's lines that take full reductions and coupons, and those its stacking
    rules hold back because of the campaign that priced them."""
    promoted: dict[int, list[WorkLine]] = {}
    held_back: dict[int, list[WorkLine]] = {}
    for store_id, store_lines in stores.items():
        rules = context.stacking.get(store_id, DEFAULT_RULES)
        promoted[store_id] = [line for line in store_lines if rules.promotes(line.campaign_kind)]
        if len(promoted[store_id]) != len(store_lines):
            held_back[store_id] = [
                line for line in store_lines if not rules.promotes(line.campaign_kind)
            ]
    return promoted, held_back


def _check_unique(lines: Sequence[CartLine], wallet: Sequence[Coupon]) -> None:
    # Allocations name lines by SKU and verdicts name coupons by id: both must be unambiguous.
    if len({line.sku_id for line in lines}) != len(lines):
        raise InvalidInput("a SKU appears on two lines", code="duplicate_sku")
    if len({coupon.id for coupon in wallet}) != len(wallet):
        raise InvalidInput("a coupon appears twice in the wallet", code="duplicate_coupon")


def _freeze(
    work: list[WorkLine],
    stores: Mapping[int, Sequence[WorkLine]],
    outcome: CouponOutcome,
    points: Mapping[int, PointsSpent],
    shipping: Mapping[int, Shipping],
    pickup_store_ids: frozenset[int],
) -> Quote:
    # The whole quote is handed to pydantic as one tree of plain values: validating it in one
    # call costs a fraction of building its hundreds of small models one by one.
    applied: list[Applied] = [*outcome.applied, *(spent.applied for spent in points.values())]
    totals = []
    for store_id, store_lines in stores.items():
        subtotal = sum(line.cart.unit_price_fen * line.cart.quantity for line in store_lines)
        goods = sum(line.payable_fen for line in store_lines)
        spent = points.get(store_id)
        fee, deliverable = shipping[store_id].fee_fen, shipping[store_id].deliverable
        totals.append(
            {
                "store_id": store_id,
                "subtotal_fen": subtotal,
                "discount_fen": subtotal - goods,
                "shipping_fen": fee,
                "points_used": 0 if spent is None else spent.points,
                "delivery": "pickup" if store_id in pickup_store_ids else "express",
                "deliverable": deliverable,
                "payable_fen": goods + fee,
            }
        )
    return Quote.model_validate(
        {
            "lines": [_quote_line(line) for line in work],
            "promotions": [_promotion(a) for a in applied],
            "stores": totals,
            "coupons": [
                {
                    "coupon_id": v.coupon.id,
                    "store_id": v.coupon.store_id,
                    "usable": v.usable,
                    "applied": v.applied,
                    "reason": v.reason,
                    "saving_fen": v.saving_fen,
                }
                for v in outcome.verdicts
            ],
            "applied_coupon_ids": [coupon.id for coupon in outcome.coupons],
            "subtotal_fen": sum(total["subtotal_fen"] for total in totals),
            "discount_fen": sum(total["discount_fen"] for total in totals),
            "shipping_fen": sum(total["shipping_fen"] for total in totals),
            "points_value_fen": sum(spent.applied.amount_fen for spent in points.values()),
            "payable_fen": sum(total["payable_fen"] for total in totals),
        }
    )


def _quote_line(line: WorkLine) -> dict[str, Any]:
    cart = line.cart
    return {
        "sku_id": cart.sku_id,
        "product_id": cart.product_id,
        "store_id": cart.store_id,
        "title": cart.title,
        "spec_text": cart.spec_text,
        "quantity": cart.quantity,
        "list_unit_price_fen": cart.unit_price_fen,
        "unit_price_fen": line.unit_fen,
        "subtotal_fen": cart.unit_price_fen * cart.quantity,
        "adjustments": [
            {
                "kind": entry.kind,
                "source_id": entry.source_id,
                "label": entry.label,
                "amount_fen": entry.amount_fen,
                "funded_by": entry.funded_by,
            }
            for entry in line.entries
        ],
        "payable_fen": line.payable_fen,
    }


def _promotion(applied: Applied) -> dict[str, Any]:
    return {
        "kind": applied.kind,
        "source_id": applied.source_id,
        "label": applied.label,
        "store_id": applied.store_id,
        "amount_fen": -applied.amount_fen,
        "funded_by": applied.funded_by,
        "allocations": [
            {"sku_id": sku_id, "amount_fen": -share} for sku_id, share in applied.shares
        ],
    }
