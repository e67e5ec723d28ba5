"""The promoter's pool: approved promoters only, what their plans let them see, and the
commission per unit exact to the fen."""

from __future__ import annotations

from datetime import timedelta

from tests.affiliates.conftest import POOL, Pool, open_pool
from tests.support import expect
from weshop.core.clock import utcnow


async def _pool_ids(pool: Pool, promoter) -> list[int]:
    page = expect(await pool.client.get(POOL, headers=promoter), 200)
    return [item["listing_id"] for item in page["items"]]


async def test_only_approved_promoters_see_the_pool(pool: Pool):
    await pool.pooled()
    shopper = await pool.api.sign_in()
    pending, _ = await pool.promoter(approve=False)
    for headers in (shopper, pending):
        answer = await pool.client.get(POOL, headers=headers)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "not_a_promoter"
    assert (await pool.client.get(POOL)).status_code == 401


async def test_a_pool_item_shows_price_range_stock_and_commission_per_unit(pool: Pool):
    listing = await pool.pooled(rate_bps=1234)
    promoter, _ = await pool.promoter()
    [item] = expect(await pool.client.get(POOL, headers=promoter), 200)["items"]
    assert item["listing_id"] == listing["id"] and item["title"] == "高山乌龙茶"
    assert item["price_from_fen"] == 1999 and item["price_to_fen"] == 4500
    assert item["default_sku_id"] == pool.sku_ids[0] and item["rate_bps"] == 1234
    # 1999 × 1234 / 10000 = 246.6766: 246 fen, never rounded up.
    assert item["commission_per_unit_fen"] == 246
    assert item["stock_available"] == 60 and item["plan_version"] == 1


async def test_a_per_sku_rate_of_the_default_sku_replaces_the_plans(pool: Pool):
    await pool.pooled(
        rate_bps=1000,
        sku_rates=[
            {"sku_id": pool.sku_ids[0], "rate_bps": 2333},
            {"sku_id": pool.sku_ids[1], "rate_bps": 10},
        ],
    )
    promoter, _ = await pool.promoter()
    [item] = expect(await pool.client.get(POOL, headers=promoter), 200)["items"]
    # 1999 × 2333 / 10000 = 466.3667.
    assert item["rate_bps"] == 2333 and item["commission_per_unit_fen"] == 466


async def test_the_plan_in_force_is_what_the_pool_shows(pool: Pool):
    listing = await pool.pooled(rate_bps=1000)
    promoter, _ = await pool.promoter()
    expect(
        await pool.client.patch(
            f"{pool.base}/{listing['id']}", json={"rate_bps": 2500}, headers=pool.owner
        ),
        200,
    )
    [item] = expect(await pool.client.get(POOL, headers=promoter), 200)["items"]
    # 1999 × 2500 / 10000 = 499.75.
    assert item["plan_version"] == 2 and item["commission_per_unit_fen"] == 499


async def test_a_listed_plan_hides_the_listing_from_other_promoters(pool: Pool):
    chosen, chosen_record = await pool.promoter()
    other, _ = await pool.promoter()
    listing = await pool.pooled(audience="listed", promoter_ids=[chosen_record["id"]])
    assert await _pool_ids(pool, chosen) == [listing["id"]]
    assert await _pool_ids(pool, other) == []
    # Opened to everyone by a new version, every promoter sees it.
    expect(
        await pool.client.patch(
            f"{pool.base}/{listing['id']}", json={"audience": "open"}, headers=pool.owner
        ),
        200,
    )
    assert await _pool_ids(pool, other) == [listing["id"]]


async def test_only_approved_listings_within_their_window_show(pool: Pool):
    promoter, _ = await pool.promoter()
    pending = expect(await pool.list_product(), 201)
    assert await _pool_ids(pool, promoter) == []
    now = utcnow()
    later = await open_pool(pool.api)
    await later.pooled(valid_from=(now + timedelta(days=1)).isoformat())
    ended = await open_pool(pool.api)
    ended_listing = await ended.pooled()
    running = await open_pool(pool.api)
    shown = await running.pooled(valid_until=(now + timedelta(days=1)).isoformat())
    expect(
        await ended.client.post(f"{ended.base}/{ended_listing['id']}/stop", headers=ended.owner),
        200,
    )
    assert await _pool_ids(pool, promoter) == [shown["id"]]
    expect(await pool.review(pending["id"], "approve"), 200)
    assert await _pool_ids(pool, promoter) == [shown["id"], pending["id"]]


async def test_the_pool_pages(pool: Pool):
    promoter, _ = await pool.promoter()
    ids = [(await pool.pooled())["id"]]
    for _ in range(2):
        ids.append((await (await open_pool(pool.api)).pooled())["id"])
    first = expect(await pool.client.get(POOL, params={"limit": 2}, headers=promoter), 200)
    second = expect(
        await pool.client.get(
            POOL, params={"limit": 2, "cursor": first["next_cursor"]}, headers=promoter
        ),
        200,
    )
    seen = [i["listing_id"] for i in first["items"]] + [i["listing_id"] for i in second["items"]]
    assert seen == ids[::-1] and second["next_cursor"] is None
