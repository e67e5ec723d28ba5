"""Step 2, full reduction (满减 / 满折): the single best active reduction of each store.

For each reduction active at ``context.now`` (``starts_at <= now < ends_at``, None open) the
eligible amount is the payable of the store's lines its scope covers. The tier reached is
the one with the highest threshold not above that amount (of tiers sharing that threshold,
the larger saving); its saving is ``amount_off_fen`` capped at the eligible amount, or
``floor(eligible * percent_off / 100)``. The store keeps the reduction that saves most
(ties: higher ``priority``, then lower ``id``). It is apportioned over the covered lines
only after the coupon step has decided whether stacking rules let it stay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from weshop.core.money import allocate
from weshop.pricing.inputs import FullReduction, Tier
from weshop.pricing.worksheet import Applied, WorkLine, apportion


@dataclass(frozen=True, slots=True)
class Reduction:
    promotion: FullReduction
    lines: tuple[WorkLine, ...]  # the covered lines of the store
    amount_fen: int

    def shares(self) -> list[int]:
        """What each covered line would give, exactly as :meth:`apply` will take it."""
        return allocate(self.amount_fen, [line.payable_fen for line in self.lines])

    def apply(self) -> Applied:
        return apportion(
            self.lines,
            self.amount_fen,
            kind="full_reduction",
            source_id=str(self.promotion.id),
            label=self.promotion.label,
            store_id=self.promotion.store_id,
            funded_by=self.promotion.funded_by,
        )


def is_active(promotion: FullReduction, now: datetime) -> bool:
    starts, ends = promotion.starts_at, promotion.ends_at
    return (starts is None or starts <= now) and (ends is None or now < ends)


def tier_saving(tiers: Sequence[Tier], eligible_fen: int) -> int:
    reached = [tier for tier in tiers if tier.threshold_fen <= eligible_fen]
    if not reached:
        return 0
    top = max(tier.threshold_fen for tier in reached)
    return max(_saving(tier, eligible_fen) for tier in reached if tier.threshold_fen == top)


def _saving(tier: Tier, eligible_fen: int) -> int:
    if tier.amount_off_fen is not None:
        return min(tier.amount_off_fen, eligible_fen)
    assert tier.percent_off is not None  # Tier validates that it has exactly one of the two
    return eligible_fen * tier.percent_off // 100


def best_reductions(
    stores: Mapping[int, Sequence[WorkLine]],
    promotions: Sequence[FullReduction],
    now: datetime,
) -> dict[int, Reduction]:
    """The best reduction of each store that has one saving at least a fen."""
    best: dict[int, Reduction] = {}
    for promotion in promotions:
        store_lines = stores.get(promotion.store_id)
        if not store_lines or not is_active(promotion, now):
            continue
        covered = tuple(line for line in store_lines if promotion.scope.covers(line.cart))
        saving = tier_saving(promotion.tiers, sum(line.payable_fen for line in covered))
        if saving <= 0:
            continue
        candidate = Reduction(promotion, covered, saving)
        current = best.get(promotion.store_id)
        if current is None or _rank(candidate) > _rank(current):
            best[promotion.store_id] = candidate
    return best


def _rank(reduction: Reduction) -> tuple[int, int, int]:
    return (reduction.amount_fen, reduction.promotion.priority, -reduction.promotion.id)
