"""Properties: the fee and subsidy arithmetic on its own, and random orders of several lines
with partial refunds at random moments and settlements, after which every order's money adds
up to the fen, matches a plain model, and `weshop ledger check` finds nothing. The shopper came
through a promoter's link: every line earns a commission, cut from the store's share at
settlement and clawed back by refunds after it."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ledger.support import (
    Market,
    after_sales_closed,
    ask_refund,
    entry_kinds,
    fee_of,
    open_market,
    order_kinds,
    order_terms,
    paid_order,
    report,
    ship,
)
from tests.support import expect
from weshop.affiliates import links
from weshop.affiliates.clicks import Visit
from weshop.affiliates.models import ClickChannel, Promoter
from weshop.core.money import bps_share
from weshop.ledger.chart_of_accounts import Term
from weshop.ledger.models import AccountKind as K
from weshop.ledger.models import EntryKind
from weshop.ledger.targets import fee_split, subsidy_due

amounts = st.integers(min_value=0, max_value=10**9)


@given(
    parts=st.lists(st.tuples(amounts, st.integers(0, 5000)), min_size=1, max_size=8),
)
def test_the_fee_is_rounded_once_and_split_exactly(parts):
    bases = {index: base for index, (base, _) in enumerate(parts)}
    rates = {index: rate for index, (_, rate) in enumerate(parts)}
    split = fee_split(bases, rates)
    exact = sum(base * rate for base, rate in parts)
    assert sum(split.values()) == (exact + 5000) // 10000
    for index, (base, rate) in enumerate(parts):
        assert 0 <= split[index] <= base
        # Within a fen and a half of its exact share: half from rounding the total once.
        assert abs(split[index] * 10000 - base * rate) < 15000


@given(subsidy=amounts, payable=st.integers(1, 10**9), data=st.data())
def test_a_subsidy_shrinks_with_what_is_refunded(subsidy, payable, data):
    kept = data.draw(st.integers(0, payable))
    less = data.draw(st.integers(0, kept))
    due = subsidy_due(subsidy, kept, payable, order_kept=True)
    assert 0 <= subsidy_due(subsidy, less, payable, order_kept=True) <= due <= subsidy
    assert subsidy_due(subsidy, payable, payable, order_kept=True) == subsidy
    assert subsidy_due(subsidy, 0, payable, order_kept=False) == 0


# Per order: its lines (product, quantity); whether it is cancelled before shipping; whether
# the shopper confirms receipt (else auto-confirm does); and refunds (stage, line, percent of
# what is left), at stages 0 paid, 1 shipped, 2 received, 3 window running, 4 settled.
order_plans = st.tuples(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(1, 3)),
        min_size=1,
        max_size=3,
        unique_by=lambda item: item[0],
    ),
    st.sampled_from([False, False, False, True]),
    st.booleans(),
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2), st.integers(1, 100)), max_size=4),
)


COMMISSION_BPS = 1000


async def promoted(api, market: Market) -> Market:
    """Every product of the market in the alliance pool at 10%, and the market's shopper
    bound to a promoter by a click on their store link."""
    operator = await api.operator()
    for product in market.products:
        listing = expect(
            await api.client.post(
                market.merchant("/affiliate-listings"),
                json={"product_id": product["id"], "rate_bps": COMMISSION_BPS},
                headers=market.owner,
            ),
            201,
        )
        expect(
            await api.client.post(
                f"/api/v1/platform/affiliate-listings/{listing['id']}/approve", headers=operator
            ),
            200,
        )
    applicant = await api.sign_in()
    record = expect(
        await api.client.post(
            "/api/v1/me/promoter",
            json={"real_name": "王小明", "phone": "13912345678"},
            headers=applicant,
        ),
        201,
    )
    expect(
        await api.client.post(
            f"/api/v1/platform/promoters/{record['id']}/approve", headers=operator
        ),
        200,
    )
    user = expect(await api.client.get("/api/v1/me", headers=market.shopper), 200)
    async with api.runtime.db.transaction() as session:
        promoter = await session.get_one(Promoter, record["id"])
        link = await links.share_link(
            session, promoter, links.Target(links.TargetKind.STORE, market.store_id)
        )
        await links.follow(session, link.code, ClickChannel.LINK, Visit(user["id"], None))
    return market


@pytest.fixture
def markets() -> dict[str, Market]:
    """One store for every example of a test: each example's orders are its own."""
    return {}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=st.lists(order_plans, min_size=1, max_size=2))
async def test_random_orders_refunds_and_settlements_keep_every_fen(
    api, runtime, runner, worker, markets, plans
):
    if "shop" not in markets:
        markets["shop"] = await promoted(api, await open_market(api))
    market = markets["shop"]
    orders, refunded = [], {}
    for items, *_ in plans:
        order = await paid_order(market, [(market.skus[i], quantity) for i, quantity in items])
        orders.append(order)
        refunded[order["id"]] = dict.fromkeys(_parts(order), 0)
    for stage in range(5):
        for order, (_, cancel, confirm, refunds) in zip(orders, plans, strict=True):
            for _, pick, percent in (r for r in refunds if r[0] == stage):
                closed = cancel and stage > 0
                await _refund(market, order, pick, percent, refunded[order["id"]], closed)
            await _move_on(market, order, stage, cancel, confirm, refunded[order["id"]])
        await runner.run()  # the stage's refunds go to the provider
        if stage == 2:  # unconfirmed orders are confirmed, confirmed ones settle
            await worker.drain(after_sales_closed(11))
        if stage == 3:
            await worker.drain(after_sales_closed(19))
    for order in orders:
        await _holds(runtime, order, refunded[order["id"]])
    assert (await report(runtime)).violations == []


def _parts(order: dict) -> dict[int | None, int]:
    parts: dict[int | None, int] = {line["id"]: line["payable_fen"] for line in order["lines"]}
    parts[None] = order["shipping_fen"]
    return parts


async def _refund(market, order, pick: int, percent: int, done: dict, closed: bool) -> None:
    line = order["lines"][pick % len(order["lines"])]
    left = line["payable_fen"] - done[line["id"]]
    amount = max(1, left * percent // 100)
    answer = await ask_refund(market, order["id"], {line["id"]: amount})
    if left == 0 or closed:  # nothing left of the line, or the order was cancelled
        assert answer.status_code == 409
        return
    expect(answer, 201)
    done[line["id"]] += amount


async def _move_on(market, order, stage: int, cancel: bool, confirm: bool, done) -> None:
    client, shopper, order_id = market.api.client, market.shopper, order["id"]
    if stage == 0 and cancel:
        cancelled = await client.post(
            f"/api/v1/me/orders/{order_id}/cancel", json={}, headers=shopper
        )
        expect(cancelled, 200)
        done.update(_parts(order))
    elif stage == 0:
        await ship(market, order_id)
    elif stage == 1 and confirm and not cancel:
        confirmed = await client.post(
            f"/api/v1/me/orders/{order_id}/confirm-receipt", headers=shopper
        )
        expect(confirmed, 200)


async def _holds(runtime, order: dict, refunded: dict[int | None, int]) -> None:
    """The order's money against a plain model: every fen paid is somewhere, and the fee
    is 5% (rounded half up) of what the shopper kept paid."""
    kinds = await order_kinds(runtime, order["id"])
    terms = await order_terms(runtime, order["id"])
    paid, back = order["payable_fen"], sum(refunded.values())
    assert (terms[Term.PAID], terms[Term.REFUNDED]) == (paid, back)
    assert terms[Term.PAID] == (
        terms[Term.STORE_RELEASED]
        + terms[Term.STORE_FROZEN]
        + terms[Term.PLATFORM]
        + terms[Term.COMMISSION]
        + terms[Term.REFUNDED]
    )
    assert kinds.get(K.STORE_FEE_HELD, 0) + kinds.get(K.PLATFORM_FEE, 0) == fee_of(paid - back)
    # Once settled, each line's commission is 10% of what the shopper kept of it (rounded
    # down), wherever the refunds fell; before, it is still in the store's frozen money.
    settled = EntryKind.SETTLEMENT in await entry_kinds(runtime, order["id"])
    commission = sum(
        bps_share(line["payable_fen"] - refunded[line["id"]], COMMISSION_BPS)
        for line in order["lines"]
    )
    assert terms[Term.COMMISSION] == (commission if settled else 0)
    store = kinds.get(K.STORE_FROZEN, 0) + kinds.get(K.STORE_AVAILABLE, 0)
    assert store == paid - back - fee_of(paid - back) - terms[Term.COMMISSION]
