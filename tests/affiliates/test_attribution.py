"""The attribution rules (``affiliates.attribution.decide``): each documented rule by example,
then properties over random click histories, checked against a declarative reading of the
rules rather than the replay that implements them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from weshop.affiliates.attribution import (
    Click,
    Decision,
    Line,
    NoAttribution,
    Plan,
    Rule,
    SelfPurchase,
    decide,
)

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
WINDOW = timedelta(days=7)
STORE, OTHER_STORE, PRODUCT = 1, 2, 10
PROPERTY = settings(max_examples=300, deadline=None)


def click(id_: int, promoter: int, day: float, store: int = STORE) -> Click:
    return Click(
        id=id_, promoter_id=promoter, store_id=store, at=T0 + day * DAY, product_id=PRODUCT
    )


def line(day: float, buyer_promoter: int | None = None) -> Line:
    return Line(STORE, PRODUCT, T0 + day * DAY, buyer_promoter)


def test_a_bound_shopper_stays_bound_to_the_first_promoter_within_the_window():
    decision = decide(line(3), [click(1, 7, 0), click(2, 8, 1)], Plan())
    assert (decision.promoter_id, decision.rule, decision.click_id) == (7, Rule.BOUND, 1)


def test_on_a_plan_whose_last_click_steals_the_last_click_wins():
    decision = decide(line(3), [click(1, 7, 0), click(2, 8, 1)], Plan(last_click_steals=True))
    assert (decision.promoter_id, decision.rule, decision.click_id) == (8, Rule.LAST_CLICK, 2)


def test_the_bound_promoter_s_own_click_starts_the_window_again():
    decision = decide(line(10), [click(1, 7, 0), click(2, 8, 5), click(3, 7, 6)], Plan())
    assert (decision.promoter_id, decision.click_id) == (7, 3)


def test_after_the_window_lapses_the_next_click_binds():
    decision = decide(line(9), [click(1, 7, 0), click(2, 8, 8)], Plan())
    assert (decision.promoter_id, decision.click_id) == (8, 2)


def test_a_lapsed_binding_is_the_evidence_of_why_nothing_is_attributed():
    decision = decide(line(7), [click(1, 7, 0)], Plan())
    assert decision == Decision(None, None, NoAttribution.WINDOW_LAPSED, 1, T0)


def test_a_click_on_another_store_does_not_bind_for_this_one():
    decision = decide(line(1), [click(1, 7, 0, store=OTHER_STORE)], Plan())
    assert (decision.promoter_id, decision.reason) == (None, NoAttribution.NO_CLICK)


def test_a_click_after_the_order_does_not_count():
    decision = decide(line(1), [click(1, 7, 2)], Plan())
    assert decision.reason is NoAttribution.NO_CLICK


def test_a_product_not_in_the_pool_earns_nothing_with_the_binding_as_evidence():
    decision = decide(line(1), [click(1, 7, 0)], None)
    assert (decision.promoter_id, decision.reason, decision.click_id) == (
        None,
        NoAttribution.NOT_IN_POOL,
        1,
    )


def test_a_self_purchase_goes_by_the_plan():
    clicks = [click(1, 7, 0)]
    paid = decide(line(1, buyer_promoter=7), clicks, Plan(self_purchase=SelfPurchase.COMMISSION))
    assert (paid.promoter_id, paid.rule) == (7, Rule.SELF_PURCHASE)
    unpaid = decide(line(1, buyer_promoter=7), clicks, Plan(self_purchase=SelfPurchase.NONE))
    assert (unpaid.promoter_id, unpaid.reason) == (None, NoAttribution.SELF_PURCHASE_EXCLUDED)


def test_a_listed_plan_ignores_the_clicks_of_promoters_it_does_not_admit():
    decision = decide(line(3), [click(1, 7, 0), click(2, 8, 1)], Plan(audience=frozenset({8})))
    assert (decision.promoter_id, decision.click_id) == (8, 2)


def test_clicks_at_the_same_instant_go_in_the_order_they_were_recorded():
    decision = decide(line(1), [click(2, 8, 0), click(1, 7, 0)], Plan())
    assert decision.promoter_id == 7


# Properties

clicks_strategy = st.lists(
    st.builds(
        lambda promoter, day, store: (promoter, day, store),
        st.integers(1, 4),
        st.integers(0, 40 * 24).map(lambda hours: hours / 24),
        st.sampled_from([STORE, STORE, STORE, OTHER_STORE]),
    ),
    max_size=12,
).map(lambda raw: [click(i + 1, p, d, s) for i, (p, d, s) in enumerate(raw)])
plans = st.one_of(
    st.none(),
    st.builds(
        Plan,
        last_click_steals=st.booleans(),
        self_purchase=st.sampled_from(list(SelfPurchase)),
        audience=st.one_of(st.none(), st.frozensets(st.integers(1, 4), max_size=3)),
    ),
)
orders = st.tuples(
    st.integers(0, 45 * 24).map(lambda hours: hours / 24), st.one_of(st.none(), st.integers(1, 4))
)


def counted(clicks: list[Click], at: datetime, plan: Plan | None) -> list[Click]:
    admitted = plan or Plan()
    return sorted(
        (
            c
            for c in clicks
            if c.store_id == STORE and c.at <= at and admitted.admits(c.promoter_id)
        ),
        key=lambda c: (c.at, c.id),
    )


def bound_at(history: list[Click], evidence: Click, steals: bool) -> bool:
    """Declaratively: ``evidence`` is the binding's click after ``history`` iff it is the last
    click of its promoter and every later click of anyone else came while that promoter's
    binding held, through a chain of their own clicks (or, when stealing, no click follows)."""
    later = [c for c in history if (c.at, c.id) > (evidence.at, evidence.id)]
    if steals:
        return not later
    if any(c.promoter_id == evidence.promoter_id for c in later):
        return False
    # No one else may have bound after the evidence: every later click falls in its window.
    if any(c.at >= evidence.at + WINDOW for c in later):
        return False
    # And the evidence itself must continue or start a binding: the click before it either
    # is its own promoter's within the window, or the previous binding had lapsed.
    earlier = [c for c in history if (c.at, c.id) < (evidence.at, evidence.id)]
    if not earlier:
        return True
    previous_binding = next(
        (c for c in reversed(earlier) if bound_at(earlier, c, steals=False)), None
    )
    return (
        previous_binding is None
        or previous_binding.promoter_id == evidence.promoter_id
        or evidence.at >= previous_binding.at + WINDOW
    )


@PROPERTY
@given(clicks_strategy, plans, orders)
def test_every_line_gets_one_decision_that_follows_from_the_clicks(clicks, plan, order):
    day, buyer_promoter = order
    the_line = line(day, buyer_promoter)
    decision = decide(the_line, clicks, plan, WINDOW)

    assert (decision.promoter_id is None) == (decision.rule is None) != (decision.reason is None)
    history = counted(clicks, the_line.ordered_at, plan)
    if decision.reason is NoAttribution.NO_CLICK:
        assert not history and decision.click_id is None
        return
    evidence = next(c for c in history if c.id == decision.click_id)
    assert decision.clicked_at == evidence.at
    steals = plan.last_click_steals if plan else False
    assert bound_at(history, evidence, steals)
    in_window = the_line.ordered_at < evidence.at + WINDOW
    if decision.reason is NoAttribution.WINDOW_LAPSED:
        assert not in_window
        return
    assert in_window
    if plan is None:
        assert decision.reason is NoAttribution.NOT_IN_POOL
    elif evidence.promoter_id == buyer_promoter:
        expected = plan.self_purchase is SelfPurchase.COMMISSION
        assert decision.attributed == expected
    else:
        assert decision.promoter_id == evidence.promoter_id
        assert decision.rule is (Rule.LAST_CLICK if steals else Rule.BOUND)


@PROPERTY
@given(clicks_strategy, clicks_strategy, plans, orders)
def test_clicks_on_other_stores_or_after_the_order_never_change_a_decision(
    clicks, noise, plan, order
):
    day, buyer_promoter = order
    the_line = line(day, buyer_promoter)
    unrelated = [
        Click(1000 + c.id, c.promoter_id, OTHER_STORE, c.at, c.product_id) for c in noise
    ] + [
        Click(
            2000 + c.id,
            c.promoter_id,
            STORE,
            the_line.ordered_at + timedelta(seconds=1) + (c.at - T0),
        )
        for c in noise
    ]
    assert decide(the_line, clicks + unrelated, plan, WINDOW) == decide(
        the_line, clicks, plan, WINDOW
    )
