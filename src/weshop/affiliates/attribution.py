"""Who earns an order line: the attribution rules of the alliance pool, as one pure function.

Every order line gets exactly one :class:`Decision`, with its evidence: the click it rests on
(and when it was), the rule applied, or the reason nothing was attributed. The same facts
always give the same decision, so "why did promoter X not get this order" is answered by
replaying the recorded clicks.

The rules (the README's "Attribution" repeats them for shoppers and promoters):

1. Only clicks on the line's store count: a click on another store's product or store page
   binds the shopper for that store's pool products, never for this one. Clicks after the
   order, and clicks of promoters the line's plan does not admit (a plan listed for named
   promoters), do not count.
2. A click binds the shopper to its promoter for the window (``binding_window``, 7 days by
   default), counted from the click. Another click by the bound promoter starts the window
   again. A click by another promoter while the binding holds changes nothing, unless the
   line's plan says the last click steals; once the binding has lapsed, the next click binds.
3. The line goes to the promoter bound when the order is placed. Bound nobody: nothing
   (``no_click``, or ``window_lapsed`` with the last binding as evidence).
4. A product that is not in the pool when the order is placed earns nothing
   (``not_in_pool``), whoever is bound.
5. A promoter bound to themselves (buying through their own link) is a self-purchase: the
   plan decides, commission to themselves (``self_purchase``) or nothing
   (``self_purchase_excluded``).

Clicks at the same instant are ordered by their id (the order they were recorded in). The
plan in force when the order is placed decides stealing, self-purchase and the audience;
the rate of the commission is a later step's (the plan in force at the click).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_BINDING_WINDOW = timedelta(days=7)


class Rule(enum.StrEnum):
    """Why a line went to its promoter."""

    BOUND = "bound"  # the promoter the shopper was bound to when ordering
    LAST_CLICK = "last_click"  # the same, on a plan whose last click steals
    SELF_PURCHASE = "self_purchase"  # bound to themselves, and the plan pays them


class NoAttribution(enum.StrEnum):
    """Why a line went to nobody."""

    NO_CLICK = "no_click"  # no click of an admitted promoter on this store before the order
    WINDOW_LAPSED = "window_lapsed"  # bound once, but no longer when ordering
    NOT_IN_POOL = "not_in_pool"  # the product was not in the pool when the order was placed
    SELF_PURCHASE_EXCLUDED = "self_purchase_excluded"  # bound to themselves; the plan says no


class SelfPurchase(enum.StrEnum):
    COMMISSION = "commission"
    NONE = "none"


@dataclass(frozen=True)
class Click:
    """A visit through a promoter's link: to a product (``product_id``) or a store page."""

    id: int
    promoter_id: int
    store_id: int
    at: datetime
    product_id: int | None = None


@dataclass(frozen=True)
class Line:
    """The order line to attribute, and who bought it (``buyer_promoter_id``: the buyer's own
    promoter id when the buyer is a promoter)."""

    store_id: int
    product_id: int
    ordered_at: datetime
    buyer_promoter_id: int | None = None


@dataclass(frozen=True)
class Plan:
    """What the pool's plan said of the line's product when the order was placed (a product
    not in the pool then has no plan). ``audience``: the promoters a listed plan admits;
    ``None`` for a plan open to every promoter."""

    last_click_steals: bool = False
    self_purchase: SelfPurchase = SelfPurchase.NONE
    audience: frozenset[int] | None = None

    def admits(self, promoter_id: int) -> bool:
        return self.audience is None or promoter_id in self.audience


@dataclass(frozen=True)
class Decision:
    """One line's attribution: ``promoter_id`` and ``rule`` when it earns, else ``reason``;
    ``click_id``/``clicked_at``: the click the binding rests on (also when nothing is
    attributed but a binding was found: it is the evidence of the reason)."""

    promoter_id: int | None
    rule: Rule | None
    reason: NoAttribution | None
    click_id: int | None
    clicked_at: datetime | None

    @property
    def attributed(self) -> bool:
        return self.promoter_id is not None


def decide(
    line: Line,
    clicks: Iterable[Click],
    plan: Plan | None,
    binding_window: timedelta = DEFAULT_BINDING_WINDOW,
) -> Decision:
    """The line's one decision (see the module's rules). ``plan`` is None when the product
    was not in the pool at ``line.ordered_at``."""
    admitted = plan or Plan()
    counted = sorted(
        (
            click
            for click in clicks
            if click.store_id == line.store_id
            and click.at <= line.ordered_at
            and admitted.admits(click.promoter_id)
        ),
        key=lambda click: (click.at, click.id),
    )
    binding = bound_click(counted, binding_window, steals=admitted.last_click_steals)
    if binding is None:
        return _nobody(NoAttribution.NO_CLICK, None)
    if line.ordered_at >= binding.at + binding_window:
        return _nobody(NoAttribution.WINDOW_LAPSED, binding)
    if plan is None:
        return _nobody(NoAttribution.NOT_IN_POOL, binding)
    if binding.promoter_id == line.buyer_promoter_id:
        if plan.self_purchase is SelfPurchase.NONE:
            return _nobody(NoAttribution.SELF_PURCHASE_EXCLUDED, binding)
        return _to(binding, Rule.SELF_PURCHASE)
    return _to(binding, Rule.LAST_CLICK if plan.last_click_steals else Rule.BOUND)


def bound_click(clicks: list[Click], binding_window: timedelta, *, steals: bool) -> Click | None:
    """The click the shopper's binding rests on after ``clicks`` (in time order, counted ones
    only): the last click of the bound promoter, whose window may have lapsed since."""
    binding: Click | None = None
    for click in clicks:
        if (
            binding is None
            or click.at >= binding.at + binding_window  # the binding has lapsed
            or steals
            or click.promoter_id == binding.promoter_id  # the bound promoter's window restarts
        ):
            binding = click
    return binding


def _to(click: Click, rule: Rule) -> Decision:
    return Decision(click.promoter_id, rule, None, click.id, click.at)


def _nobody(reason: NoAttribution, evidence: Click | None) -> Decision:
    return Decision(
        None,
        None,
        reason,
        evidence.id if evidence else None,
        evidence.at if evidence else None,
    )
