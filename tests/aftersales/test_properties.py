"""Property: random sequences of partial after-sales requests over random orders never give
back more than was paid of a line, give back every fen of a line once all its units are
refunded in full, sum exactly on the order, and leave the ledger's check clean."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.aftersales.support import ask, set_policy, store_does
from tests.ledger.support import Market, open_market, paid_order, report, ship
from tests.support import expect

# Per order: its lines (product, quantity), and requests (line pick, units, percent of the
# most the request may ask for, kind).
order_plans = st.tuples(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(1, 4)),
        min_size=1,
        max_size=3,
        unique_by=lambda item: item[0],
    ),
    st.lists(
        st.tuples(
            st.integers(0, 2),
            st.integers(1, 4),
            st.sampled_from([100, 100, 1, 37, 99]),
            st.sampled_from(["refund_only", "return_and_refund"]),
        ),
        max_size=6,
    ),
)


@pytest.fixture
def markets() -> dict[str, Market]:
    return {}


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=st.lists(order_plans, min_size=1, max_size=2))
async def test_random_partial_requests_keep_every_fen(api, runtime, runner, markets, plans):
    if "shop" not in markets:
        markets["shop"] = await open_market(api)
        await set_policy(markets["shop"], fast_refund_threshold_fen=0)
    market = markets["shop"]
    for items, requests in plans:
        order = await paid_order(market, [(market.skus[i], quantity) for i, quantity in items])
        await ship(market, order["id"])
        units = {line["id"]: line["quantity"] for line in order["lines"]}
        given_back = dict.fromkeys(units, 0)
        full = dict.fromkeys(units, True)
        for pick, quantity, percent, kind in requests:
            line = order["lines"][pick % len(order["lines"])]
            index = order["lines"].index(line)
            probe = await ask(market, order, line=index, quantity=quantity, kind=kind)
            if quantity > units[line["id"]]:  # more than shipped, or than is left
                assert probe.status_code in (409, 422), probe.text
                assert probe.json()["error"]["code"] in ("quantity_exceeds_line", "not_shipped")
                continue
            if probe.status_code == 409:  # the units' share rounds to 0 fen
                assert probe.json()["error"]["code"] == "nothing_to_refund"
                continue
            asked = expect(probe, 201)
            if percent < 100:
                amount = max(1, asked["max_fen"] * percent // 100)
                await shopper_lowers(market, asked["id"], amount)
                full[line["id"]] = full[line["id"]] and amount == asked["max_fen"]
            request = await store_does(market, asked["id"], "approve")
            if kind == "return_and_refund":
                await market.api.client.post(
                    f"/api/v1/me/aftersales/{asked['id']}/return-shipment",
                    json={"carrier": "顺丰", "tracking_no": "SF10000001"},
                    headers=market.shopper,
                )
                request = await store_does(market, asked["id"], "receipt")
            await runner.run()
            units[line["id"]] -= quantity
            given_back[line["id"]] += request["amount_fen"]
        answer = await market.api.order(market.shopper, order["id"])
        for line in answer["lines"]:
            assert 0 <= given_back[line["id"]] <= line["payable_fen"]
            if units[line["id"]] == 0 and full[line["id"]]:
                assert given_back[line["id"]] == line["payable_fen"]
        assert answer["refunded_fen"] == sum(given_back.values())
    assert (await report(runtime)).violations == []


async def shopper_lowers(market: Market, request_id: int, amount: int) -> None:
    expect(
        await market.api.client.post(
            f"/api/v1/me/aftersales/{request_id}/edit",
            json={"amount_fen": amount},
            headers=market.shopper,
        ),
        200,
    )
