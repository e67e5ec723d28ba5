"""The pool's figures of the last 30 days, from real clicks, orders and refunds."""

from __future__ import annotations

from datetime import timedelta

from tests.affiliates.conftest import POOL, Pool
from tests.affiliates.selling import buy, refund_first_line, shopper, visit
from tests.support import expect
from weshop.affiliates import pool as pool_service
from weshop.core.clock import utcnow


async def test_a_pool_item_counts_sales_visits_conversion_and_refunds(pool: Pool):
    await pool.pooled(rate_bps=1000)
    promoter, record = await pool.promoter()
    product_id, sku = pool.product["id"], pool.sku_ids[0]
    brought, browsed, direct, unpaid = [await shopper(pool) for _ in range(4)]
    await visit(pool, record, brought, product_id)
    await visit(pool, record, brought, product_id)
    await visit(pool, record, browsed, product_id)
    attributed = await buy(pool, brought, sku, 2)
    await buy(pool, direct, sku, 1)
    await buy(pool, unpaid, sku, 5, pay=False)
    await refund_first_line(pool, attributed, 100)

    [item] = expect(await pool.client.get(POOL, headers=promoter), 200)["items"]
    # Paid units only; the unpaid order of 5 does not count.
    assert item["sales_30d"] == 3
    assert item["visits_30d"] == 3 and item["attributed_orders_30d"] == 1
    # 1 attributed order / 3 visits = 33.33 %.
    assert item["conversion_bps"] == 3333
    # 1 refunded line of 2 paid lines.
    assert item["refund_rate_bps"] == 5000
    assert item["stock_available"] == 60 - 3 - 5


async def test_without_visits_or_sales_the_rates_are_unknown_not_zero(pool: Pool):
    await pool.pooled()
    promoter, _ = await pool.promoter()
    [item] = expect(await pool.client.get(POOL, headers=promoter), 200)["items"]
    assert (item["sales_30d"], item["visits_30d"], item["attributed_orders_30d"]) == (0, 0, 0)
    assert item["conversion_bps"] is None and item["refund_rate_bps"] is None


async def test_the_figures_cover_the_last_30_days_only(pool: Pool):
    await pool.pooled()
    _, record = await pool.promoter()
    product_id = pool.product["id"]
    who = await shopper(pool)
    await visit(pool, record, who, product_id)
    await buy(pool, who, pool.sku_ids[0], 1)
    async with pool.api.runtime.db.transaction() as session:
        today = (await pool_service.figures(session, [product_id], utcnow()))[product_id]
        later = utcnow() + timedelta(days=30, seconds=1)
        month_on = (await pool_service.figures(session, [product_id], later))[product_id]
    assert (today.units_paid, today.visits, today.attributed_orders) == (1, 1, 1)
    assert month_on == pool_service.Figures()
