"""The dashboard's period against the one before it: visitors, conversion, paid GMV, average
order value, refund rate (partial refunds count their amount), top products; figures checked
against data computed by hand; the page shows them with their trend."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from tests.analytics.support import move_order_in_time, page, paid_order, use_session
from tests.catalog.visits_support import browser, token_of
from tests.support import expect
from weshop.analytics.service import Percent, Period, day_start, period_dashboard
from weshop.catalog.visits import COMPONENT, Visitor, VisitRecorder
from weshop.core.clock import utcnow
from weshop.core.tenancy import StoreScope
from weshop.ledger.journal import business_day
from weshop.payments.models import Refund


async def refund_part(api, runner, store_id: int, owner, order_id: int, fen: int) -> None:
    order = expect(
        await api.client.get(
            f"/api/v1/merchant/stores/{store_id}/orders/{order_id}", headers=owner
        ),
        200,
    )
    line = order["lines"][0]["id"]
    expect(
        await api.client.post(
            f"/api/v1/merchant/stores/{store_id}/orders/{order_id}/refunds",
            json={"lines": [{"order_line_id": line, "amount_fen": fen}], "reason": "少发一件"},
            headers=owner,
        ),
        201,
    )
    await runner.run()


async def test_figures_of_a_period_and_the_one_before(app, api, runner, runtime) -> None:
    store_id, owner = await api.new_store()
    coat = await api.create_product(store_id, owner, title="羊毛大衣", price_fen=10000, stock=50)
    scarf = await api.create_product(store_id, owner, title="围巾", price_fen=3000, stock=50)
    coat_sku, scarf_sku = coat["skus"][0]["id"], scarf["skus"][0]["id"]
    first_buyer, second_buyer = await api.sign_in(), await api.sign_in()
    today = business_day(utcnow())
    yesterday = today - timedelta(days=1)

    # Today: 10000 + 6000 + 3000 paid by two buyers; 2500 of the coat refunded.
    coat_order = await paid_order(api, runner, first_buyer, coat_sku, 1)
    await paid_order(api, runner, second_buyer, scarf_sku, 2)
    await paid_order(api, runner, first_buyer, scarf_sku, 1)
    await refund_part(api, runner, store_id, owner, coat_order, 2500)
    # Yesterday: one coat, and 10000 refunded of it (in full, yesterday).
    old = await paid_order(api, runner, first_buyer, coat_sku, 1)
    await refund_part(api, runner, store_id, owner, old, 10000)
    await move_order_in_time(runtime, old, day_start(yesterday) + timedelta(hours=9))
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Refund)
            .where(Refund.order_id == old)
            .values(succeeded_at=day_start(yesterday) + timedelta(hours=20))
        )

    # Today's visitors: two guests and both buyers (one of them twice, on two phones).
    for token in (None, None, token_of(first_buyer), token_of(second_buyer), token_of(first_buyer)):
        async with browser(app, token) as phone:
            await phone.get(f"/p/{coat['id']}")
            await phone.get(f"/s/{store_id}")
    recorder: VisitRecorder = runtime.components[COMPONENT]
    # Yesterday's five visitors, counted by another process.
    other = VisitRecorder()
    for index in range(5):
        other.store_view(store_id, Visitor(None, f"yesterday-{index:022d}"), day_start(yesterday))
    await recorder.flush(runtime.db)
    await other.flush(runtime.db)

    async with runtime.db.transaction() as session:
        figures = await period_dashboard(
            session, StoreScope(store_id, 0, "owner"), today, Period.TODAY
        )
    assert (figures.first, figures.previous_first) == (today, yesterday)
    assert (figures.visitors.current, figures.visitors.previous) == (4, 5)
    assert figures.visitors.change == Percent(-200)  # -20.0%
    assert (figures.page_views.current, figures.page_views.previous) == (10, 5)
    assert (figures.paid_fen.current, figures.paid_fen.previous) == (19000, 10000)
    assert str(figures.paid_fen.change) == "90.0%"
    assert (figures.paid_orders.current, figures.buyers.current) == (3, 2)
    assert figures.average_order_fen.current == 6333  # 19000 / 3, to the fen
    assert str(figures.conversion.current) == "50.0%"  # 2 buyers of 4 visitors
    assert str(figures.conversion.previous) == "20.0%"  # 1 of 5
    assert str(figures.conversion.change) == "30.0%"  # percentage points
    assert (figures.refunded_fen.current, figures.refunded_orders.current) == (2500, 1)
    assert str(figures.refund_rate.current) == "13.2%"  # 2500 / 19000
    assert str(figures.refund_rate.previous) == "100.0%"
    assert [(p.title, p.paid_fen, p.quantity, p.buyers) for p in figures.top_products] == [
        ("羊毛大衣", 10000, 1, 1),
        ("围巾", 9000, 3, 2),
    ]
    coat_row = figures.top_products[0]
    assert (coat_row.views, coat_row.visitors, str(coat_row.conversion)) == (5, 4, "25.0%")

    async with runtime.db.transaction() as session:
        week = await period_dashboard(session, StoreScope(store_id, 0, "owner"), today, Period.WEEK)
    assert week.first == today - timedelta(days=6)
    assert (week.paid_fen.current, week.paid_orders.current, week.visitors.current) == (
        29000,
        4,
        9,
    )
    assert (week.paid_fen.previous, str(week.paid_fen.change)) == (0, "—")
    assert str(week.refund_rate.current) == "43.1%"  # 12500 / 29000


async def test_the_page_compares_periods_for_every_role(client, api, runner) -> None:
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, title="羊毛大衣", price_fen=2500, stock=9)
    await paid_order(api, runner, await api.sign_in(), product["skus"][0]["id"], 2)
    for role in ("owner", "finance", "customer_service"):
        use_session(
            client, owner if role == "owner" else await api.add_staff(store_id, owner, role)
        )
        answer = await page(client, f"/console/stores/{store_id}", period="7d")
        assert answer.status_code == 200, role
        assert 'data-figure="refund_rate"' in answer.text and "羊毛大衣" in answer.text
        assert f'href="/console/stores/{store_id}?period=7d" aria-current="page"' in answer.text
    assert "转化率" in answer.text and "客单价" in answer.text and "¥50.00" in answer.text
    assert (await page(client, f"/console/stores/{store_id}", period="90d")).status_code == 422
