"""Hypothesis over the whole path: random click histories of several promoters on two stores,
then a checkout of both stores' products through the API. Every line gets exactly one
decision, and it is the one the rules (``attribution.decide``) give on the clicks the test
recorded and the plans it set — whatever the age of the clicks, the store they were on, or
whether the buyer is a promoter themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.affiliates.conftest import Pool, open_pool
from tests.support import Headers, expect
from weshop.affiliates.attribution import Click as ClickFact
from weshop.affiliates.attribution import Line, Plan, SelfPurchase, decide
from weshop.affiliates.models import Click, ClickChannel, LineAttribution
from weshop.core.clock import utcnow

WINDOW = timedelta(days=7)


@dataclass
class World:
    """Two stores with a pooled product each (the second's plan lets the last click steal
    and pays self-purchases), three promoters, and the clicks made so far by the promoter
    who also buys."""

    pool: Pool
    second_store_id: int
    products: list[dict]
    plans: list[Plan]
    promoters: list[tuple[Headers, dict]]
    buyer_address_ids: dict[int, int] = field(default_factory=dict)
    clicks_by_buyer: dict[int, list[ClickFact]] = field(default_factory=dict)


async def build_world(pool: Pool) -> World:
    await pool.pooled()
    store, owner = await pool.api.create_store(pool.operator, "第二家店")
    product = await pool.api.create_product(store["id"], owner, title="手工红糖", price_fen=3300)
    listing = expect(
        await pool.client.post(
            f"/api/v1/merchant/stores/{store['id']}/affiliate-listings",
            json={
                "product_id": product["id"],
                "rate_bps": 2000,
                "last_click_steals": True,
                "self_purchase": "commission",
            },
            headers=owner,
        ),
        201,
    )
    expect(await pool.review(listing["id"], "approve"), 200)
    promoters = [await pool.promoter() for _ in range(3)]
    return World(
        pool,
        store["id"],
        [pool.product, product],
        [Plan(), Plan(last_click_steals=True, self_purchase=SelfPurchase.COMMISSION)],
        promoters,
    )


@pytest.fixture
def worlds() -> dict[str, World]:
    return {}


clicks_strategy = st.lists(
    st.tuples(
        st.integers(0, 2),  # promoter
        st.integers(0, 1),  # store
        st.booleans(),  # on the product (else the store page)
        st.integers(0, 20 * 24 * 60),  # minutes ago
    ),
    max_size=6,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(clicks=clicks_strategy, buyer_is_promoter=st.booleans())
async def test_every_line_gets_the_decision_the_rules_give(
    api, runtime, worlds, clicks, buyer_is_promoter
):
    if "world" not in worlds:
        worlds["world"] = await build_world(await open_pool(api))
    world = worlds["world"]
    pool = world.pool
    if buyer_is_promoter:
        shopper, record = world.promoters[2]
        buyer_promoter_id = record["id"]
    else:
        shopper, record = await api.sign_in(), None
        buyer_promoter_id = None
    user_id = expect(await pool.client.get("/api/v1/me", headers=shopper), 200)["id"]
    if user_id not in world.buyer_address_ids:
        world.buyer_address_ids[user_id] = (await api.add_address(shopper))["id"]
    store_ids = [pool.store_id, world.second_store_id]
    now = utcnow()
    async with runtime.db.transaction() as session:
        rows = [
            Click(
                promoter_id=world.promoters[promoter][1]["id"],
                store_id=store_ids[store],
                product_id=world.products[store]["id"] if on_product else None,
                channel=ClickChannel.LINK,
                user_id=user_id,
                at=now - timedelta(minutes=minutes),
            )
            for promoter, store, on_product, minutes in clicks
        ]
        session.add_all(rows)
        await session.flush()
        recorded = world.clicks_by_buyer.setdefault(user_id, [])
        recorded += [ClickFact(c.id, c.promoter_id, c.store_id, c.at, c.product_id) for c in rows]
    answer = expect(
        await pool.client.post(
            "/api/v1/me/orders",
            json={
                "address_id": world.buyer_address_ids[user_id],
                "items": [
                    {"sku_id": product["skus"][0]["id"], "quantity": 1}
                    for product in world.products
                ],
            },
            headers=shopper,
        ),
        201,
    )
    order_ids = [order["id"] for order in answer["orders"]]
    async with runtime.db.transaction() as session:
        decisions = list(
            await session.scalars(
                select(LineAttribution).where(LineAttribution.order_id.in_(order_ids))
            )
        )
    line_ids = [line["id"] for order in answer["orders"] for line in order["lines"]]
    assert sorted(row.order_line_id for row in decisions) == sorted(line_ids)
    for row in decisions:
        store = store_ids.index(row.store_id)
        expected = decide(
            Line(row.store_id, row.product_id, row.decided_at, buyer_promoter_id),
            recorded,
            world.plans[store],
            WINDOW,
        )
        assert (row.promoter_id, row.rule, row.reason, row.click_id) == (
            expected.promoter_id,
            expected.rule,
            expected.reason,
            expected.click_id,
        )
        assert row.decided_at - now < timedelta(minutes=1)
        if expected.attributed:
            assert row.rate_bps == (1000 if store == 0 else 2000)
        else:
            assert row.rate_bps == 0
