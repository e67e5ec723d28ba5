"""Step 3 when the shopper has not chosen: the coupon combination that saves the most.

Each store has options: its full reduction kept, or dropped (considered only where a
stacking rule makes it exclusive with a coupon group), times no store coupon or one of its
usable store coupons. A combination is one option per store and no or one platform coupon;
it is valid when every store whose lines the platform coupon covers allows it next to that
store's option, and the platform coupon's threshold is met.

Without a platform coupon the stores do not affect each other, so each simply takes its best
option. With one, every valid combination is tried while there are at most ``SEARCH_LIMIT``
of them; beyond that (many stores with many coupons each) the search tries each store's own
best option that fits the platform coupon, and the platform coupon next to no store coupon:
bounded, and never worse than any single coupon, though it may miss a combination in which
a store gives up some saving so that a platform coupon fits. The best combination saves most
in total (reductions and coupons), then uses fewer coupons (the shopper keeps the rest for
later), then comes first in the enumeration order, in which coupons expiring sooner come
first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import product
from math import prod

from weshop.core.money import allocate
from weshop.pricing.coupon_rules import (
    FULL_REDUCTION,
    PLATFORM_COUPON,
    STORE_COUPON,
    Cart,
    Choice,
    coupon_saving,
)
from weshop.pricing.inputs import Coupon

SEARCH_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class Option:
    """One store's part of a combination, with the payables it leaves for a platform coupon."""

    store_id: int
    reduction_on: bool
    coupon: Coupon | None
    saving_fen: int
    after_reduction: list[int]  # what the platform coupon's threshold is measured on
    after_coupon: list[int]  # what the platform coupon's saving is taken from


# Per platform choice, per store, per option: None when they may not combine, else the
# (threshold base, eligible) that option adds to the platform coupon.
Fits = list[list[list[tuple[int, int] | None]]]
Key = tuple[int, int]  # (total saving, minus the coupons used): larger is better
Best = tuple[Key, int, tuple[int, ...]]  # the key, the platform index, each store's pick


def best_choice(
    cart: Cart, store_coupons: dict[int, list[Coupon]], platform_coupons: list[Coupon]
) -> Choice:
    """``store_coupons`` and ``platform_coupons`` hold only coupons usable on their own."""
    options = [
        store_options(cart, store_id, sorted(store_coupons.get(store_id, []), key=_by_expiry))
        for store_id in cart.stores
    ]
    by_expiry = sorted(platform_coupons, key=_by_expiry)
    platforms: list[Coupon | None] = [None, *by_expiry]
    fits = _fits(cart, options, platforms)
    fitting = [
        [[pick for pick, fit in enumerate(row) if fit is not None] for row in per_store]
        for per_store in fits
    ]
    count = sum(prod(len(picks) for picks in per_store) for per_store in fitting[1:])
    # Without a platform coupon (index 0) the stores are independent: each takes its best.
    best = _best_of(options, platforms, fits, [(0, _store_bests(options, fitting[0]))])
    # That combination is always valid, so there is a best one.
    assert best is not None
    for index in range(1, len(platforms)):
        if count <= SEARCH_LIMIT:
            found = _best_exhaustive(options, by_expiry[index - 1], fits[index], index)
        else:
            bounded = [
                (index, _store_bests(options, fitting[index])),
                (index, _platform_alone(cart, options, by_expiry[index - 1])),
            ]
            found = _best_of(options, platforms, fits, bounded)
        if found is not None and found[0] > best[0]:
            best = found
    _, index, picks = best
    chosen = [options[store][pick] for store, pick in enumerate(picks)]
    return Choice(
        kept_reductions=frozenset(option.store_id for option in chosen if option.reduction_on),
        store_coupons={
            option.store_id: option.coupon for option in chosen if option.coupon is not None
        },
        platform=platforms[index],
    )


def _by_expiry(coupon: Coupon) -> tuple[datetime, int]:
    return coupon.valid_until, coupon.id


def store_options(cart: Cart, store_id: int, coupons: Sequence[Coupon]) -> list[Option]:
    """The store's options; the first is the default: reduction kept if any, no coupon."""
    reduction = cart.reductions.get(store_id)
    rules = cart.rules(store_id)
    if reduction is None:
        states: tuple[bool, ...] = (False,)
    elif rules.combinable(FULL_REDUCTION, STORE_COUPON) and rules.combinable(
        FULL_REDUCTION, PLATFORM_COUPON
    ):
        states = (True,)
    else:
        states = (True, False)
    options = []
    for reduction_on in states:
        after = cart.payables(store_id, reduction_on)
        base_saving = reduction.amount_fen if reduction is not None and reduction_on else 0
        options.append(Option(store_id, reduction_on, None, base_saving, after, after))
        if reduction_on and not rules.combinable(FULL_REDUCTION, STORE_COUPON):
            continue
        for coupon in coupons:
            positions = cart.covered(coupon, store_id)
            eligible = [after[i] for i in positions]
            saving = coupon_saving(coupon, sum(eligible), sum(eligible))
            if saving is None:
                continue
            spent = list(after)
            for i, share in zip(positions, allocate(saving, eligible), strict=True):
                spent[i] -= share
            options.append(
                Option(store_id, reduction_on, coupon, base_saving + saving, after, spent)
            )
    return options


def _fits(cart: Cart, options: list[list[Option]], platforms: list[Coupon | None]) -> Fits:
    fits: Fits = [[[(0, 0)] * len(store) for store in options]]
    for platform in platforms[1:]:
        assert platform is not None  # only the first platform choice is "none"
        per_store = []
        for store in options:
            store_id = store[0].store_id
            positions = cart.covered(platform, store_id)
            rules = cart.rules(store_id)
            blocks_coupon = bool(positions) and not rules.combinable(STORE_COUPON, PLATFORM_COUPON)
            blocks_reduction = bool(positions) and not rules.combinable(
                FULL_REDUCTION, PLATFORM_COUPON
            )
            # Options share their payable lists (one per reduction state, and a coupon-less
            # option's after_coupon is its after_reduction): sum each list once.
            sums: dict[int, int] = {}
            row: list[tuple[int, int] | None] = []
            for option in store:
                if (option.coupon is not None and blocks_coupon) or (
                    option.reduction_on and blocks_reduction
                ):
                    row.append(None)
                    continue
                for values in (option.after_reduction, option.after_coupon):
                    if id(values) not in sums:
                        sums[id(values)] = sum(values[i] for i in positions)
                row.append((sums[id(option.after_reduction)], sums[id(option.after_coupon)]))
            per_store.append(row)
        fits.append(per_store)
    return fits


def _best_of(
    options: list[list[Option]],
    platforms: list[Coupon | None],
    fits: Fits,
    candidates: list[tuple[int, tuple[int, ...]]],
) -> Best | None:
    """The best valid one of the given (platform index, picks) combinations."""
    best: Best | None = None
    for index, picks in candidates:
        threshold_base = eligible = saving = coupons = 0
        for store, pick in enumerate(picks):
            fit = fits[index][store][pick]
            if fit is None:
                break
            threshold_base += fit[0]
            eligible += fit[1]
            saving += options[store][pick].saving_fen
            coupons += options[store][pick].coupon is not None
        else:
            platform = platforms[index]
            extra = 0 if platform is None else coupon_saving(platform, threshold_base, eligible)
            if extra is None:
                continue
            key = (saving + extra, -(coupons + (platform is not None)))
            if best is None or key > best[0]:
                best = (key, index, picks)
    return best


def _best_exhaustive(
    options: list[list[Option]],
    platform: Coupon,
    fits: list[list[tuple[int, int] | None]],
    index: int,
) -> Best | None:
    """The best valid combination of store options next to one platform coupon.

    The innermost loop of the search, so each combination is summed in one pass over
    (saving, coupons, threshold base, eligible, pick) rows rather than option by option."""
    rows = [
        [
            (option.saving_fen, option.coupon is not None, fit[0], fit[1], pick)
            for pick, (option, fit) in enumerate(zip(store, fits[position], strict=True))
            if fit is not None
        ]
        for position, store in enumerate(options)
    ]
    best_key: Key | None = None
    best_combo: tuple[tuple[int, int, int, int, int], ...] = ()
    for combo in product(*rows):
        saving, coupons, threshold_base, eligible, _ = map(sum, zip(*combo, strict=True))
        extra = coupon_saving(platform, threshold_base, eligible)
        if extra is None:
            continue
        key = (saving + extra, -(coupons + 1))
        if best_key is None or key > best_key:
            best_key, best_combo = key, combo
    if best_key is None:
        return None
    return best_key, index, tuple(row[4] for row in best_combo)


def _store_bests(options: list[list[Option]], fitting: list[list[int]]) -> tuple[int, ...]:
    """Each store's own best option among those that fit; the first of equals."""
    return tuple(
        max(
            picks,
            key=lambda pick, store=store: (
                options[store][pick].saving_fen,
                options[store][pick].coupon is None,
            ),
        )
        for store, picks in enumerate(fitting)
    )


def _platform_alone(cart: Cart, options: list[list[Option]], platform: Coupon) -> tuple[int, ...]:
    """The platform coupon with no store coupon, each reduction kept where it may combine."""
    picks = []
    for store in options:
        store_id = store[0].store_id
        keep = store[0].reduction_on and (
            not cart.touches(platform, store_id)
            or cart.reduction_combines(store_id, PLATFORM_COUPON)
        )
        picks.append(
            next(
                pick
                for pick, option in enumerate(store)
                if option.coupon is None and option.reduction_on == keep
            )
        )
    return tuple(picks)
