"""The rules of one coupon, and the cart as the coupon step sees it.

A coupon is usable on its own when it is within its validity window
(``valid_from <= now < valid_until``), a store coupon finds lines of its store, its scope
covers at least one line (a platform coupon: of any store), and the covered lines' payable
after full reduction reaches ``threshold_fen`` (``no_threshold``: 0). "After full reduction"
counts a store's reduction only where its stacking rules let it combine with the coupon.
Saving: fixed / no_threshold ``min(amount_off_fen, eligible)``; percent
``min(floor(eligible * percent_off / 100), cap_fen)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from weshop.pricing.full_reduction import Reduction
from weshop.pricing.inputs import Coupon, StackingGroup, StackingRules
from weshop.pricing.worksheet import WorkLine

FULL_REDUCTION = StackingGroup.FULL_REDUCTION
STORE_COUPON = StackingGroup.STORE_COUPON
PLATFORM_COUPON = StackingGroup.PLATFORM_COUPON
DEFAULT_RULES = StackingRules()


def coupon_saving(coupon: Coupon, threshold_base_fen: int, eligible_fen: int) -> int | None:
    """What ``coupon`` takes off ``eligible_fen``; None when the threshold is not reached."""
    threshold = 0 if coupon.kind == "no_threshold" else coupon.threshold_fen
    if threshold_base_fen < threshold:
        return None
    if coupon.kind == "percent":
        off = eligible_fen * coupon.percent_off // 100
        return off if coupon.cap_fen is None else min(off, coupon.cap_fen)
    return min(coupon.amount_off_fen, eligible_fen)


@dataclass(frozen=True, slots=True)
class Choice:
    """What step 3 decided: the stores whose full reduction stays, and the coupons used."""

    kept_reductions: frozenset[int]
    store_coupons: Mapping[int, Coupon]
    platform: Coupon | None

    @property
    def coupons(self) -> tuple[Coupon, ...]:
        store = tuple(self.store_coupons[store_id] for store_id in sorted(self.store_coupons))
        return store if self.platform is None else (*store, self.platform)


@dataclass(slots=True)
class Cart:
    """The lines after step 1 grouped by store (ascending ids), with each store's best
    reduction and stacking rules. Covered-line lookups are cached: the search asks often.
    Payables read here are those after step 1, so everything that needs them (verdicts, the
    search) runs before the choice is applied to the lines."""

    stores: Mapping[int, Sequence[WorkLine]]
    reductions: Mapping[int, Reduction]
    stacking: Mapping[int, StackingRules]
    now: datetime
    # Lines a campaign keeps out of promotions, by store: only to say why a coupon that
    # would cover them is not used.
    held_back: Mapping[int, Sequence[WorkLine]] = field(default_factory=dict)
    _covered: dict[tuple[int, int], tuple[int, ...]] = field(default_factory=dict, init=False)
    _payables: dict[tuple[int, bool], list[int]] = field(default_factory=dict, init=False)

    def rules(self, store_id: int) -> StackingRules:
        return self.stacking.get(store_id, DEFAULT_RULES)

    def covered(self, coupon: Coupon, store_id: int) -> tuple[int, ...]:
        """Positions, within the store's lines, of the lines ``coupon`` covers."""
        key = (coupon.id, store_id)
        found = self._covered.get(key)
        if found is None:
            lines = self.stores[store_id]
            if coupon.store_id not in (None, store_id):
                found = ()
            elif coupon.scope.kind == "all":  # the usual scope: no need to ask every line
                found = tuple(range(len(lines)))
            else:
                found = tuple(i for i, line in enumerate(lines) if coupon.scope.covers(line.cart))
            self._covered[key] = found
        return found

    def touches(self, coupon: Coupon, store_id: int) -> bool:
        return bool(self.covered(coupon, store_id))

    def stores_of(self, coupon: Coupon) -> Sequence[int]:
        if coupon.store_id is None:
            return list(self.stores)
        return [coupon.store_id] if coupon.store_id in self.stores else []

    def payables(self, store_id: int, reduction_on: bool) -> list[int]:
        """The store's line payables after step 1, less its full reduction when on."""
        reduction = self.reductions.get(store_id) if reduction_on else None
        key = (store_id, reduction is not None)
        found = self._payables.get(key)
        if found is None:
            lines = self.stores[store_id]
            found = [line.payable_fen for line in lines]
            if reduction is not None:
                position = {id(line): i for i, line in enumerate(lines)}
                for line, share in zip(reduction.lines, reduction.shares(), strict=True):
                    found[position[id(line)]] -= share
            self._payables[key] = found
        return found

    def reduction_combines(self, store_id: int, group: StackingGroup) -> bool:
        """Whether the store has a reduction that may stay alongside a coupon of ``group``."""
        return store_id in self.reductions and self.rules(store_id).combinable(
            FULL_REDUCTION, group
        )

    def alone(self, coupon: Coupon) -> tuple[str | None, int]:
        """Why ``coupon`` cannot be used on its own (None: it can), and what it saves then."""
        if self.now < coupon.valid_from:
            return "not_yet_valid", 0
        if self.now >= coupon.valid_until:
            return "expired", 0
        stores = self.stores_of(coupon)
        if not stores:
            return "other_store", 0
        base = 0
        covers_any = False
        for store_id in stores:
            positions = self.covered(coupon, store_id)
            if not positions:
                continue
            covers_any = True
            payables = self.payables(store_id, self.reduction_combines(store_id, coupon.group))
            base += sum(payables[i] for i in positions)
        if not covers_any:
            if self._covers_held_back(coupon):
                return "not_with_campaign", 0
            return "wrong_scope", 0
        saving = coupon_saving(coupon, base, base)
        if saving is None:
            return "threshold_not_met", 0
        return None, saving

    def _covers_held_back(self, coupon: Coupon) -> bool:
        return any(
            coupon.store_id in (None, store_id) and coupon.scope.covers(line.cart)
            for store_id, lines in self.held_back.items()
            for line in lines
        )
