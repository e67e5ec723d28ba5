"""The store dashboard: today's figures and 30 days of paid GMV by China day, in two queries;
the page shows them with a chart every role that reads orders may see."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from tests.analytics.support import move_order_in_time, page, paid_order, use_session
from weshop.analytics.service import day_start, store_dashboard
from weshop.core.clock import utcnow
from weshop.core.tenancy import StoreScope
from weshop.ledger.journal import business_day


async def test_figures_by_china_day_in_two_queries(client, api, runner, runtime) -> None:
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, price_fen=1999, stock=6)
    sku_id = product["skus"][0]["id"]
    shopper = await api.sign_in()
    today = business_day(utcnow())
    early = await paid_order(api, runner, shopper, sku_id, 1)
    just_after_midnight = await paid_order(api, runner, shopper, sku_id, 2)
    too_old = await paid_order(api, runner, shopper, sku_id, 1)
    await api.place_order(shopper, (await api.add_address(shopper))["id"], [(sku_id, 1)])
    # 10:00 two days ago; 00:30 today in China, which is still yesterday in UTC; 30 days ago.
    await move_order_in_time(
        runtime, early, day_start(today - timedelta(days=2)) + timedelta(hours=10)
    )
    await move_order_in_time(runtime, just_after_midnight, day_start(today) + timedelta(minutes=30))
    await move_order_in_time(runtime, too_old, day_start(today - timedelta(days=30)))

    statements: list[str] = []

    def listen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", listen)
    try:
        async with runtime.db.transaction() as session:
            figures = await store_dashboard(session, StoreScope(store_id, 0, "owner"), today)
    finally:
        event.remove(runtime.db.engine.sync_engine, "before_cursor_execute", listen)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2

    assert len(figures.series) == 30 and figures.series[-1].day == today
    assert (figures.paid_today_fen, figures.paid_orders_today) == (3998, 1)
    assert figures.series[-3].paid_fen == 1999 and figures.series[-2].paid_fen == 0
    assert (figures.series_paid_fen, figures.series_paid_orders) == (5997, 2)
    assert figures.orders_today == 2  # the one paid after midnight and the unpaid one
    assert figures.orders_to_ship == 3
    assert figures.low_stock_skus == 1  # 6 - 5 sold or held = 1 left, at most 5
    assert figures.best_day is not None and figures.best_day.day == today


async def test_the_dashboard_page_draws_the_chart_for_every_role(client, api, runner) -> None:
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, price_fen=2500, stock=50)
    await paid_order(api, runner, await api.sign_in(), product["skus"][0]["id"], 2)
    for role in ("owner", "operator", "finance", "customer_service"):
        use_session(
            client, owner if role == "owner" else await api.add_staff(store_id, owner, role)
        )
        answer = await page(client, f"/console/stores/{store_id}")
        assert answer.status_code == 200, role
        assert "<svg" in answer.text and 'role="img"' in answer.text
        assert "¥50.00" in answer.text  # paid today
        assert 'aria-current="page"' in answer.text
    assert "近 30 天共有 1 笔订单支付，支付金额 ¥50.00。" in answer.text
    await client.get("/lang", params={"to": "en"})
    english = await page(client, f"/console/stores/{store_id}")
    assert "In the last 30 days, ¥50.00 was paid for 1 orders." in english.text
    await client.get("/lang", params={"to": "zh-CN"})
    other_id, _ = await api.new_store("别家小店")
    assert (await page(client, f"/console/stores/{other_id}")).status_code == 404
