"""The platform console's money pages: fee rates and store plans, every store's balances, and
a day's reconciliation with the provider and the ledger."""

from __future__ import annotations

from tests.ledger.support import complete, open_market, paid_order
from tests.storefront import HTML, page, post
from tests.stores.test_platform_console import operator_signs_in
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.payments.wechatpay.transactions import BEIJING


async def test_an_operator_sets_a_rate_and_a_stores_plan(api, client):
    store_id, _owner = await api.new_store("山野农场")
    await operator_signs_in(api, client)
    shown = await page(client, "/platform/fees")
    assert "基础版" in shown and "山野农场" in shown

    refused = await post(
        client, "/platform/fees/rates", {"plan": "basic", "rate_percent": "120"}, status=422
    )
    assert "0 到 100" in refused.text
    await post(client, "/platform/fees/rates", {"plan": "basic", "rate_percent": "4.5"})
    await post(client, "/platform/fees/plans", {"store_id": str(store_id), "plan": "advanced"})

    operator = await api.operator()
    schedule = expect(
        await client.get("/api/v1/platform/ledger/fee-schedule", headers=operator), 200
    )
    assert [(r["plan"], r["platform_category_id"], r["rate_bp"]) for r in schedule["rates"]] == [
        ("basic", None, 450)
    ]
    shown = await page(client, "/platform/fees")
    assert "4.50%" in shown
    assert 'value="advanced" selected' in shown


async def test_the_settlements_page_shows_each_stores_money(api, client, runner):
    market = await open_market(api, (1999,), shipping=False)
    order = await paid_order(market, [(market.skus[0], 2)])
    await complete(market, order["id"])
    await operator_signs_in(api, client)
    shown = await page(client, "/platform/settlements")
    assert f'id="store-{market.store_id}"' in shown
    assert "¥39.98" in shown  # paid by the shopper, still frozen

    shopper_only = await api.sign_in()
    client.cookies.set("weshop_session", shopper_only["Authorization"].removeprefix("Bearer "))
    assert (await client.get("/platform/settlements", headers=HTML)).status_code == 403


async def test_a_tampered_store_number_is_refused_not_an_error(api, client):
    await operator_signs_in(api, client)
    for store_id in ("9" * 30, "0", "abc"):
        refused = await post(
            client, "/platform/fees/plans", {"store_id": store_id, "plan": "basic"}, status=422
        )
        assert "form-error" in refused.text


async def test_the_reconciliation_page_agrees_with_the_sandbox_for_today(api, client):
    market = await open_market(api, (1999,), shipping=False)
    await paid_order(market, [(market.skus[0], 1)])
    await operator_signs_in(api, client)
    today = utcnow().astimezone(BEIJING).date().isoformat()
    shown = await page(client, "/platform/reconciliation", date=today, provider="sandbox")
    assert "没有差异" in shown
    assert "<strong>1</strong>" in shown
