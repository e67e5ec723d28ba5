"""The maximum split (最大分账比例): at settlement one payment's split sends the platform fee
and the commissions, and WeChat Pay refuses more than the authorised ratio (30% by default;
直销管理条例 art. 24 caps remuneration at 30% too). A pool plan whose highest rate plus its
agency rate plus the store's platform fee rate exceeds the policy's ``max_split_bps`` is
refused with 422 ``split_cap_exceeded`` naming the most the rate may be; nothing is written."""

from __future__ import annotations

import pytest

from tests.affiliates.conftest import POLICY, Pool
from tests.affiliates.test_console import console, listings_of, plans_of
from tests.analytics.support import submit, use_session
from tests.storefront import page, post
from tests.stores.test_platform_console import operator_signs_in
from tests.support import expect

LEDGER = "/api/v1/platform/ledger"


def refused_over_the_cap(answer, most: int, fee: int = 500, cap: int = 3000, agency: int = 0):
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "split_cap_exceeded"
    assert error["details"] == {
        "max_rate_bps": most,
        "max_split_bps": cap,
        "platform_fee_bps": fee,
        "agency_rate_bps": agency,
    }


async def test_a_plan_over_30_percent_with_the_fee_is_refused_and_writes_nothing(pool: Pool):
    # The basic plan's fee is 5%: commission may be 25% at most.
    refused_over_the_cap(await pool.list_product(rate_bps=2501), most=2500)
    refused_over_the_cap(
        await pool.list_product(
            rate_bps=1000, sku_rates=[{"sku_id": pool.sku_ids[1], "rate_bps": 2600}]
        ),
        most=2500,
    )
    refused_over_the_cap(
        await pool.list_product(rate_bps=2000, agency_rate_bps=600), most=1900, agency=600
    )
    refused_over_the_cap(
        await pool.list_product(rate_bps=0, agency_rate_bps=2600), most=0, agency=2600
    )
    assert expect(await pool.client.get(pool.base, headers=pool.owner), 200)["items"] == []
    listing = expect(await pool.list_product(rate_bps=2500), 201)
    assert listing["rate_bps"] == 2500


async def test_a_revision_over_the_cap_is_refused_and_adds_no_version(pool: Pool):
    listing = await pool.pooled(rate_bps=2000, agency_rate_bps=300)
    url = f"{pool.base}/{listing['id']}"
    refused_over_the_cap(
        await pool.client.patch(url, json={"rate_bps": 2201}, headers=pool.owner),
        most=2200,
        agency=300,
    )
    refused_over_the_cap(
        await pool.client.patch(
            url,
            json={"sku_rates": [{"sku_id": pool.sku_ids[0], "rate_bps": 2300}]},
            headers=pool.owner,
        ),
        most=2200,
        agency=300,
    )
    assert len(await plans_of(pool, listing["id"])) == 1
    # Clearing the agency rate makes room for it.
    revised = expect(
        await pool.client.patch(
            url, json={"rate_bps": 2500, "agency_rate_bps": None}, headers=pool.owner
        ),
        200,
    )
    assert revised["version"] == 2 and revised["rate_bps"] == 2500


async def test_the_stores_fee_plan_decides_the_room_left(pool: Pool):
    operator = pool.operator
    expect(
        await pool.client.put(
            f"{LEDGER}/stores/{pool.store_id}/fee-plan",
            json={"plan": "advanced"},
            headers=operator,
        ),
        200,
    )
    # The advanced plan's fee is 3%: 27% is the most.
    refused_over_the_cap(await pool.list_product(rate_bps=2701), most=2700, fee=300)
    listing = expect(await pool.list_product(rate_bps=2700), 201)
    # The platform raises the plan's fee to 10%: revisions are held to 20% from now on.
    rate = {"plan": "advanced", "platform_category_id": None, "rate_bp": 1000}
    expect(await pool.client.put(f"{LEDGER}/fee-rates", json=rate, headers=operator), 200)
    refused_over_the_cap(
        await pool.client.patch(
            f"{pool.base}/{listing['id']}", json={"rate_bps": 2100}, headers=pool.owner
        ),
        most=2000,
        fee=1000,
    )


async def test_the_policy_sets_the_cap_within_30_percent(pool: Pool):
    operator = pool.operator
    for wrong in (0, 3001, 10000):
        answer = await pool.client.put(POLICY, json={"max_split_bps": wrong}, headers=operator)
        assert answer.status_code == 422, wrong
    assert expect(await pool.client.get(POLICY, headers=operator), 200)["max_split_bps"] == 3000
    expect(await pool.client.put(POLICY, json={"max_split_bps": 2000}, headers=operator), 200)
    assert expect(await pool.client.get(POLICY, headers=operator), 200)["max_split_bps"] == 2000
    refused_over_the_cap(await pool.list_product(rate_bps=1501), most=1500, cap=2000)
    expect(await pool.list_product(rate_bps=1500), 201)


@pytest.mark.parametrize("revising", [False, True])
async def test_the_console_form_names_the_most_the_rate_may_be(
    pool: Pool, client, revising: bool
) -> None:
    use_session(client, pool.owner)
    form = {"audience": "open", "self_purchase": "none", "agency_rate_percent": "2.5"}
    if revising:
        listing = await pool.pooled(rate_bps=1000)
        url = console(pool, f"/{listing['id']}/plan")
    else:
        url = console(pool, "/new")
        form["product_id"] = str(pool.product["id"])
    refused = await submit(client, url, {**form, "rate_percent": "23"})
    assert refused.status_code == 422
    assert 'aria-invalid="true" aria-describedby="e-rate_percent"' in refused.text
    # 30% less the 5% fee and the 2.5% agency rate: 22.5% at most.
    assert "佣金比例最多为 22.5%" in refused.text and "平台服务费 5%" in refused.text
    if revising:
        assert len(await plans_of(pool, listing["id"])) == 1
    else:
        assert await listings_of(pool) == []
    accepted = await submit(client, url, {**form, "rate_percent": "22.5"})
    assert accepted.status_code == 303


async def test_the_platform_policy_form_sets_the_cap(api, pool: Pool, client) -> None:
    await operator_signs_in(api, client)
    shown = await page(client, "/platform/affiliates")
    assert "最大分账比例" in shown and "直销管理条例" in shown and 'value="3000"' in shown
    refused = await post(
        client, "/platform/affiliates/policy",
        {"max_depth": "1", "binding_window_days": "7", "min_withdrawal_fen": "1.00",
         "after_sales_freeze_days": "7", "max_split_bps": "3001"},
        status=422,
    )  # fmt: skip
    assert 'aria-invalid="true"' in refused.text
    assert expect(await client.get(POLICY, headers=pool.operator), 200)["updated_at"] is None
    await post(
        client, "/platform/affiliates/policy",
        {"max_depth": "1", "binding_window_days": "7", "min_withdrawal_fen": "1.00",
         "after_sales_freeze_days": "7", "max_split_bps": "2000"},
    )  # fmt: skip
    assert expect(await client.get(POLICY, headers=pool.operator), 200)["max_split_bps"] == 2000


async def test_a_category_rate_of_the_product_counts_as_its_lines_would_pay(pool: Pool, api):
    tea_platform = expect(
        await pool.client.post(
            "/api/v1/platform/categories", json={"name": "茶叶"}, headers=pool.operator
        ),
        201,
    )
    categories = f"/api/v1/merchant/stores/{pool.store_id}/categories"
    # The store's 茶叶 maps onto the platform's, whose fee rate its sub-category pays.
    tea = expect(
        await pool.client.post(
            categories,
            json={"name": "茶叶", "platform_category_id": tea_platform["id"]},
            headers=pool.owner,
        ),
        201,
    )
    green = expect(
        await pool.client.post(
            categories, json={"name": "绿茶", "parent_id": tea["id"]}, headers=pool.owner
        ),
        201,
    )
    leaf = await api.create_product(
        pool.store_id, pool.owner, title="龙井", price_fen=10000, category_id=green["id"]
    )
    rate = {"plan": "basic", "platform_category_id": tea_platform["id"], "rate_bp": 800}
    expect(await pool.client.put(f"{LEDGER}/fee-rates", json=rate, headers=pool.operator), 200)
    # The parent category's 8%: 22% is the most for the tea; other products keep 25%.
    refused_over_the_cap(
        await pool.list_product(product_id=leaf["id"], rate_bps=2201), most=2200, fee=800
    )
    expect(await pool.list_product(product_id=leaf["id"], rate_bps=2200), 201)
    expect(await pool.list_product(rate_bps=2500), 201)
