"""The platform console's payment pages: a store's WeChat Pay sub-merchant."""

from __future__ import annotations

from tests.storefront import page, post
from tests.stores.test_platform_console import operator_signs_in
from tests.support import expect


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
