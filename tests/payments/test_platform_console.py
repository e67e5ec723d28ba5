"""The platform console's payment pages: a store's WeChat Pay sub-merchant, and a day's
reconciliation with the provider and the ledger."""

from __future__ import annotations

from tests.ledger.support import open_market, paid_order
from tests.storefront import page, post
from tests.stores.test_platform_console import operator_signs_in
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.payments.wechatpay.transactions import BEIJING


async def test_an_operator_records_a_stores_sub_merchant(api, client):
    store_id, _owner = await api.new_store("山野农场")
    await operator_signs_in(api, client)
    shown = await page(client, f"/platform/stores/{store_id}/payments")
    assert "暂无" in shown and "本系统未配置微信支付" in shown
    refused = await post(
        client, f"/platform/stores/{store_id}/payments/sub-merchant", {"sub_mchid": "12ab"}, 422
    )
    assert "子商户号" in refused.text
    await post(
        client, f"/platform/stores/{store_id}/payments/sub-merchant", {"sub_mchid": "1900000201"}
    )
    assert "1900000201" in await page(client, f"/platform/stores/{store_id}/payments")
    operator = await api.operator()
    account = expect(
        await client.get(
            f"/api/v1/platform/stores/{store_id}/payment-accounts/wechatpay", headers=operator
        ),
        200,
    )
    assert account["sub_mchid"] == "1900000201"


async def test_the_reconciliation_page_agrees_with_the_sandbox_for_today(api, client):
    market = await open_market(api, (1999,), shipping=False)
    await paid_order(market, [(market.skus[0], 1)])
    await operator_signs_in(api, client)
    today = utcnow().astimezone(BEIJING).date().isoformat()
    shown = await page(client, "/platform/reconciliation", date=today, provider="sandbox")
    assert "没有差异" in shown
    assert "<strong>1</strong>" in shown
