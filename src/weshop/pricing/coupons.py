"""Step 3, coupons: which apply, what each line gives, and a verdict on every wallet coupon.

At most one store coupon per store and one platform coupon per checkout, subject to each
store's ``StackingRules``. With ``context.chosen_coupon_ids`` None the best combination is
searched (:mod:`weshop.pricing.coupon_search`); with a set, exactly those coupons are used,
and a chosen coupon that is not usable on its own (its verdict's reason, or
``not_in_wallet``), two chosen coupons of one group, or a chosen pair a store does not let
combine (``not_combinable``) raises ``coupon_not_usable``. A store's full
reduction stays unless it is exclusive with a coupon applied to its lines: the search weighs
both ways, while an explicit choice wins over the reduction.

Applied in this order: the kept full reductions, the store coupons, then the platform
coupon over every covered line of every store. A platform coupon's threshold is measured
after full reduction (before store coupons, like a store coupon's); its saving is taken
from what the lines still cost after store coupons.

Verdicts: ``usable`` means usable on its own (see :mod:`.coupon_rules`), with what it would
save so. A usable coupon not applied is ``not_combinable`` when a stacking rule keeps it from
what was applied, else ``better_combination_chosen``: its slot went to another coupon, it
would save nothing, or the shopper's explicit choice left it out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from weshop.core.errors import InvalidInput
from weshop.pricing.coupon_rules import (
    FULL_REDUCTION,
    PLATFORM_COUPON,
    STORE_COUPON,
    Cart,
    Choice,
    coupon_saving,
)
from weshop.pricing.coupon_search import best_choice
from weshop.pricing.inputs import Coupon, Funder
from weshop.pricing.worksheet import Applied, WorkLine, apportion


@dataclass(frozen=True, slots=True)
class Verdict:
    coupon: Coupon
    usable: bool
    applied: bool
    reason: str | None
    saving_fen: int


@dataclass(frozen=True, slots=True)
class CouponOutcome:
    applied: list[Applied]  # the kept full reductions, then the coupons
    coupons: tuple[Coupon, ...]
    verdicts: list[Verdict]


def apply_coupons(
    cart: Cart, wallet: Sequence[Coupon], chosen_ids: frozenset[int] | None
) -> CouponOutcome:
    alone = {coupon.id: cart.alone(coupon) for coupon in wallet}
    if chosen_ids is None:
        store_coupons: dict[int, list[Coupon]] = defaultdict(list)
        platform_coupons = []
        for coupon in wallet:
            if alone[coupon.id][0] is not None:
                continue
            if coupon.store_id is None:
                platform_coupons.append(coupon)
            else:
                store_coupons[coupon.store_id].append(coupon)
        choice = best_choice(cart, store_coupons, platform_coupons)
    else:
        choice = _chosen(cart, wallet, alone, chosen_ids)
    applied = _apply(cart, choice)
    applied_ids = {coupon.id for coupon in choice.coupons}
    verdicts = []
    for coupon in wallet:
        reason, saving = alone[coupon.id]
        if reason is not None:
            verdicts.append(Verdict(coupon, False, False, reason, 0))
        elif coupon.id in applied_ids:
            verdicts.append(Verdict(coupon, True, True, None, saving))
        else:
            reason = "not_combinable" if _conflicts(cart, choice, coupon) else None
            verdicts.append(
                Verdict(coupon, True, False, reason or "better_combination_chosen", saving)
            )
    return CouponOutcome(applied, choice.coupons, verdicts)


def _chosen(
    cart: Cart,
    wallet: Sequence[Coupon],
    alone: dict[int, tuple[str | None, int]],
    chosen_ids: frozenset[int],
) -> Choice:
    by_id = {coupon.id: coupon for coupon in wallet}
    problems: dict[int, str] = {}
    platforms: list[Coupon] = []
    by_store: dict[int, list[Coupon]] = defaultdict(list)
    for coupon_id in sorted(chosen_ids):
        coupon = by_id.get(coupon_id)
        if coupon is None:
            problems[coupon_id] = "not_in_wallet"
        elif (reason := alone[coupon_id][0]) is not None:
            problems[coupon_id] = reason
        elif coupon.store_id is None:
            platforms.append(coupon)
        else:
            by_store[coupon.store_id].append(coupon)
    # One coupon per group: every coupon of an overfull group is refused, none preferred.
    for group in (platforms, *by_store.values()):
        if len(group) > 1:
            problems.update((coupon.id, "not_combinable") for coupon in group)
    platform = platforms[0] if len(platforms) == 1 else None
    store_coupons = {store_id: group[0] for store_id, group in by_store.items() if len(group) == 1}
    if platform is not None:
        for store_id, coupon in store_coupons.items():
            if cart.touches(platform, store_id) and not cart.rules(store_id).combinable(
                STORE_COUPON, PLATFORM_COUPON
            ):
                problems[coupon.id] = problems[platform.id] = "not_combinable"
    if problems:
        raise InvalidInput(
            "some of the chosen coupons cannot be used",
            code="coupon_not_usable",
            details=[
                {"coupon_id": coupon_id, "reason": reason}
                for coupon_id, reason in sorted(problems.items())
            ],
        )
    kept = frozenset(
        store_id
        for store_id in cart.reductions
        if (store_id not in store_coupons or cart.reduction_combines(store_id, STORE_COUPON))
        and (
            platform is None
            or not cart.touches(platform, store_id)
            or cart.reduction_combines(store_id, PLATFORM_COUPON)
        )
    )
    return Choice(kept, store_coupons, platform)


def _apply(cart: Cart, choice: Choice) -> list[Applied]:
    applied = [cart.reductions[store_id].apply() for store_id in sorted(choice.kept_reductions)]
    platform = choice.platform
    platform_lines = [] if platform is None else _lines(cart, platform)
    # Measured now, before store coupons: every threshold counts the payable after reduction.
    platform_base = sum(line.payable_fen for line in platform_lines)
    for store_id in sorted(choice.store_coupons):
        coupon = choice.store_coupons[store_id]
        lines = _lines(cart, coupon)
        applied.append(_take(coupon, lines, sum(line.payable_fen for line in lines)))
    if platform is not None:
        applied.append(_take(platform, platform_lines, platform_base))
    return applied


def _lines(cart: Cart, coupon: Coupon) -> list[WorkLine]:
    return [
        cart.stores[store_id][i]
        for store_id in cart.stores_of(coupon)
        for i in cart.covered(coupon, store_id)
    ]


def _take(coupon: Coupon, lines: list[WorkLine], threshold_base_fen: int) -> Applied:
    saving = coupon_saving(coupon, threshold_base_fen, sum(line.payable_fen for line in lines))
    # Every chosen coupon met its threshold with at most the reductions kept here, and a
    # reduction not kept only raises the base, so the threshold holds.
    assert saving is not None, f"coupon {coupon.id} was chosen below its threshold"
    return apportion(
        lines,
        saving,
        kind="coupon",
        source_id=str(coupon.id),
        label=coupon.label,
        store_id=coupon.store_id,
        funded_by=Funder.PLATFORM if coupon.store_id is None else coupon.funded_by,
    )


def _conflicts(cart: Cart, choice: Choice, coupon: Coupon) -> bool:
    """Whether a stacking rule keeps ``coupon`` from what was applied (else its slot is taken)."""
    if coupon.store_id is not None:
        rules = cart.rules(coupon.store_id)
        return (
            coupon.store_id in choice.kept_reductions
            and not rules.combinable(FULL_REDUCTION, STORE_COUPON)
        ) or (
            choice.platform is not None
            and cart.touches(choice.platform, coupon.store_id)
            and not rules.combinable(STORE_COUPON, PLATFORM_COUPON)
        )
    for store_id in cart.stores:
        if not cart.touches(coupon, store_id):
            continue
        rules = cart.rules(store_id)
        if (
            store_id in choice.kept_reductions
            and not rules.combinable(FULL_REDUCTION, PLATFORM_COUPON)
        ) or (
            store_id in choice.store_coupons and not rules.combinable(STORE_COUPON, PLATFORM_COUPON)
        ):
            return True
    return False
