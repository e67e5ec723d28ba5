"""Best for you: the pool ranked by expected earnings per visit from real clicks and orders,
a prior for products with few visits, and the fit with what the promoter sold before."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from tests.affiliates.conftest import Pool
from tests.affiliates.selling import buy, category, pooled_product, shopper, visit
from tests.support import expect
from weshop.affiliates.selection import PRIOR_VISITS, smoothed_conversion
from weshop.affiliates.views import percent

RECOMMENDED = "/api/v1/me/affiliate-pool/recommended"


async def _visits(pool: Pool, promoter: dict, product: dict, visits: int, buyers: int) -> None:
    """``visits`` shoppers follow the promoter's link to the product; ``buyers`` of them buy
    one unit and pay."""
    for number in range(visits):
        who = await shopper(pool)
        await visit(pool, promoter, who, product["id"])
        if number < buyers:
            await buy(pool, who, product["skus"][0]["id"], 1)


async def _cards(pool: Pool, headers: dict, **cookies: str) -> list[dict]:
    pool.client.cookies.clear()
    for name, value in cookies.items():
        pool.client.cookies.set(name, value)
    try:
        return expect(await pool.client.get(RECOMMENDED, headers=headers), 200)
    finally:
        pool.client.cookies.clear()


async def test_the_ranking_follows_conversion_times_commission(pool: Pool):
    promoter, record = await pool.promoter()
    converts = await pooled_product(pool, "会卖的茶", 10000, 1000)
    # A higher commission that nobody bought through.
    dearer = await pooled_product(pool, "没人买的茶", 10000, 1200)
    await _visits(pool, record, converts, visits=4, buyers=2)
    await _visits(pool, record, dearer, visits=4, buyers=0)

    cards = await _cards(pool, promoter)
    assert [card["item"]["product_id"] for card in cards] == [converts["id"], dearer["id"]]
    first, second = cards
    # The pool's rate: 2 orders / 8 visits; each product (o + 20 × 1/4) / (v + 20).
    assert first["pool_conversion_bps"] == 2500
    # 7/24 = 29.17 %, × ¥10.00 = 291.67 fen; 5/24 × ¥12.00 = 250 fen.
    assert first["estimated_conversion_bps"] == 2917
    assert first["expected_earnings_per_visit_fen"] == 292
    assert second["estimated_conversion_bps"] == 2083
    assert second["expected_earnings_per_visit_fen"] == 250
    assert first["explanation"][0] == "预计每次访问收益 ¥2.92：转化率 29.2% × 佣金 ¥10.00"
    assert first["explanation"][1] == "访问尚少（4 次）：转化率参考联盟平均 25.0%"
    assert first["item"]["visits_30d"] == 4 and first["item"]["attributed_orders_30d"] == 2

    [english, _] = await _cards(pool, promoter, weshop_lang="en")
    assert english["explanation"][0] == (
        "Expected earnings per visit ¥2.92: conversion 29.2% × commission ¥10.00"
    )


async def test_a_product_without_visits_gets_the_pools_rate(pool: Pool):
    promoter, record = await pool.promoter()
    sold = await pooled_product(pool, "卖过的茶", 5000, 1000)
    fresh = await pooled_product(pool, "新上架的茶", 5000, 1000)
    await _visits(pool, record, sold, visits=2, buyers=1)

    cards = {card["item"]["product_id"]: card for card in await _cards(pool, promoter)}
    new = cards[fresh["id"]]
    assert new["item"]["visits_30d"] == 0 and new["conversion_from_prior"]
    assert new["estimated_conversion_bps"] == new["pool_conversion_bps"] == 5000
    # 50 % of ¥5.00.
    assert new["expected_earnings_per_visit_fen"] == 250
    # The sold one: (1 + 20 × 1/2) / (2 + 20) = 50 % as well; its own rate is 50 %.
    assert cards[sold["id"]]["estimated_conversion_bps"] == 5000


async def test_the_categories_a_promoter_sold_move_up(pool: Pool):
    seller, seller_record = await pool.promoter()
    newcomer, _ = await pool.promoter()
    tea = await category(pool, pool.store_id, pool.owner, "茶叶")
    teaware = await category(pool, pool.store_id, pool.owner, "茶具")
    leaves = await pooled_product(pool, "龙井", 8000, 1000, category_id=tea)
    cups = await pooled_product(pool, "茶杯", 8000, 1000, category_id=teaware)
    # The seller sold tea of another store, whose category bears the same name.
    other_store, other_owner = await pool.api.create_store(pool.operator, "另一家茶铺")
    other_tea = await category(pool, other_store["id"], other_owner, "茶叶")
    sold = await pooled_product(
        pool, "碧螺春", 8000, 1000, store=(other_store["id"], other_owner), category_id=other_tea
    )
    await _visits(pool, seller_record, sold, visits=1, buyers=1)

    def order(cards: list[dict]) -> list[int]:
        return [
            card["item"]["product_id"] for card in cards if card["item"]["product_id"] != sold["id"]
        ]

    # Equal figures and commission: without a history the newest listing comes first...
    assert order(await _cards(pool, newcomer)) == [cups["id"], leaves["id"]]
    # ...with one, the category the promoter sold in goes up.
    cards = await _cards(pool, seller)
    assert order(cards) == [leaves["id"], cups["id"]]
    [leaves_card] = [card for card in cards if card["item"]["product_id"] == leaves["id"]]
    assert leaves_card["category_units_sold"] == 1
    assert leaves_card["explanation"][-1] == "你在「茶叶」已卖出 1 件"


async def test_only_approved_promoters_get_recommendations(pool: Pool):
    pending, _ = await pool.promoter(approve=False)
    answer = await pool.client.get(RECOMMENDED, headers=pending)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "not_a_promoter"


@given(
    visits=st.integers(0, 10_000),
    orders=st.integers(0, 10_000),
    prior=st.fractions(0, 1),
)
def test_a_smoothed_conversion_lies_between_the_products_rate_and_the_prior(
    visits: int, orders: int, prior: Fraction
):
    estimate = smoothed_conversion(orders, visits, prior)
    if visits == 0:
        assert estimate == prior
        return
    own = Fraction(min(orders, visits), visits)
    assert min(own, prior) <= estimate <= max(own, prior)
    # The product's own figures weigh as much as the prior once it has PRIOR_VISITS visits.
    if visits == PRIOR_VISITS:
        assert estimate == (own + prior) / 2


@given(st.fractions(0, 1))
def test_a_percent_is_rounded_half_up_to_a_tenth(value: Fraction):
    shown = percent(value)
    tenths = int(shown.rstrip("%").replace(".", ""))
    assert abs(Fraction(tenths, 1000) - value) <= Fraction(1, 2000)
