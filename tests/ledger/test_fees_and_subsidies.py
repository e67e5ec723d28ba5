"""The platform fee follows the store's plan and the product's category, fixed at payment;
a platform-funded discount is a subsidy the platform pays the store at settlement."""

from __future__ import annotations

from tests.ledger.support import (
    after_sales_closed,
    complete,
    fee_of,
    open_market,
    order_kinds,
    order_terms,
    paid_order,
    refund,
    report,
)
from tests.promotions.conftest import claim, create_platform_template
from tests.support import expect
from weshop.core.money import allocate
from weshop.ledger.chart_of_accounts import Term
from weshop.ledger.models import AccountKind as K

LEDGER = "/api/v1/platform/ledger"


async def test_the_fee_follows_plan_and_category_and_is_fixed_when_paid(api, runtime, runner):
    client = api.client
    market = await open_market(api, prices=(3333,), shipping=False)
    operator = await api.operator()
    platform = "/api/v1/platform/categories"
    food = expect(await client.post(platform, json={"name": "食品"}, headers=operator), 201)
    tea_platform = expect(
        await client.post(
            platform, json={"name": "茶叶", "parent_id": food["id"]}, headers=operator
        ),
        201,
    )
    categories = f"/api/v1/merchant/stores/{market.store_id}/categories"
    # The store's 茶叶 maps onto the platform's; its sub-category 绿茶 has no mapping of its
    # own, so it is under the platform's 茶叶 through its parent.
    tea = expect(
        await client.post(
            categories,
            json={"name": "茶叶", "platform_category_id": tea_platform["id"]},
            headers=market.owner,
        ),
        201,
    )
    green = expect(
        await client.post(
            categories, json={"name": "绿茶", "parent_id": tea["id"]}, headers=market.owner
        ),
        201,
    )
    leaf = await api.create_product(
        market.store_id, market.owner, title="龙井", price_fen=10000, category_id=green["id"]
    )
    plan = expect(
        await client.put(
            f"{LEDGER}/stores/{market.store_id}/fee-plan",
            json={"plan": "advanced"},
            headers=operator,
        ),
        200,
    )
    assert plan == {"store_id": market.store_id, "plan": "advanced"}
    rate = {"plan": "advanced", "platform_category_id": tea_platform["id"], "rate_bp": 800}
    schedule = expect(await client.put(f"{LEDGER}/fee-rates", json=rate, headers=operator), 200)
    assert schedule["defaults"] == {"basic": 500, "advanced": 300}
    assert [(r["plan"], r["platform_category_id"], r["rate_bp"]) for r in schedule["rates"]] == [
        ("advanced", tea_platform["id"], 800)
    ]

    order = await paid_order(market, [(leaf["skus"][0]["id"], 1), (market.skus[0], 1)])
    # 8% of the tea (the platform category its store category's parent maps onto), 3% of the
    # rest (the advanced plan's).
    assert (await order_kinds(runtime, order["id"]))[K.STORE_FEE_HELD] == (
        10000 * 800 + 3333 * 300 + 5000
    ) // 10000
    # A new rate reaches orders paid from now on, not this one.
    expect(
        await client.put(f"{LEDGER}/fee-rates", json=dict(rate, rate_bp=100), headers=operator), 200
    )
    cup_line = next(line for line in order["lines"] if line["unit_price_fen"] == 3333)
    await refund(runner, market, order["id"], {cup_line["id"]: 3333})
    assert (await order_kinds(runtime, order["id"]))[K.STORE_FEE_HELD] == 800
    assert (await report(runtime)).violations == []


async def test_fee_schedule_input_is_checked(api):
    client, operator = api.client, await api.operator()
    too_high = await client.put(
        f"{LEDGER}/fee-rates", json={"plan": "basic", "rate_bp": 5001}, headers=operator
    )
    assert too_high.status_code == 422
    unknown = await client.put(
        f"{LEDGER}/fee-rates",
        json={"plan": "basic", "platform_category_id": 999999, "rate_bp": 400},
        headers=operator,
    )
    assert unknown.status_code == 404
    # Fees are per platform category: a store category id is refused, never ignored (which
    # would set the whole plan's rate).
    old_field = await client.put(
        f"{LEDGER}/fee-rates",
        json={"plan": "basic", "category_id": 1, "rate_bp": 400},
        headers=operator,
    )
    assert old_field.status_code == 422
    schedule = expect(await client.get(f"{LEDGER}/fee-schedule", headers=operator), 200)
    assert schedule["defaults"]["basic"] == 500 and schedule["rates"] == []
    nowhere = await client.put(
        f"{LEDGER}/stores/999999/fee-plan", json={"plan": "basic"}, headers=operator
    )
    assert nowhere.status_code == 404
    shopper = await api.sign_in()
    assert (await client.get(f"{LEDGER}/fee-schedule", headers=shopper)).status_code == 403
    expect(
        await client.put(
            f"{LEDGER}/fee-rates", json={"plan": "basic", "rate_bp": 400}, headers=operator
        ),
        200,
    )
    schedule = expect(await client.get(f"{LEDGER}/fee-schedule", headers=operator), 200)
    assert [(r["plan"], r["platform_category_id"], r["rate_bp"]) for r in schedule["rates"]] == [
        ("basic", None, 400)
    ]


async def test_a_platform_coupon_is_a_subsidy_paid_at_settlement(api, runtime, runner, worker):
    market = await open_market(api, prices=(12345,))
    operator = await api.operator()
    template = await create_platform_template(api, operator)
    expect(await claim(api.client, market.shopper, template["id"]), 201)
    order = await paid_order(market, [(market.skus[0], 1)])
    line = order["lines"][0]
    assert line["payable_fen"] == 10345
    paid = order["payable_fen"]
    kinds = await order_kinds(runtime, order["id"])
    assert kinds[K.STORE_SUBSIDY_DUE] == 2000 == -kinds[K.PLATFORM_SUBSIDY]
    assert kinds[K.STORE_FEE_HELD] == fee_of(paid)  # on what the shopper paid

    await refund(runner, market, order["id"], {line["id"]: 5172})
    kept = allocate(2000, [10345 - 5172, 5172])[0]
    assert (await order_kinds(runtime, order["id"]))[K.STORE_SUBSIDY_DUE] == kept
    await complete(market, order["id"])
    await worker.drain(after_sales_closed())
    kinds = await order_kinds(runtime, order["id"])
    fee = fee_of(paid - 5172)
    assert kinds[K.STORE_AVAILABLE] == paid - 5172 - fee + kept
    assert kinds[K.STORE_SUBSIDY_DUE] == 0
    terms = await order_terms(runtime, order["id"])
    assert terms[Term.PLATFORM] == fee - kept
    assert terms[Term.PAID] == (
        terms[Term.STORE_RELEASED]
        + terms[Term.STORE_FROZEN]
        + terms[Term.PLATFORM]
        + terms[Term.REFUNDED]
    )
    balance = expect(
        await api.client.get(market.merchant("/finance/balance"), headers=market.owner), 200
    )
    assert (balance["subsidy_fen"], balance["fee_paid_fen"]) == (kept, fee)
    assert (await report(runtime)).violations == []
