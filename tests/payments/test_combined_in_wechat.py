"""A multi-store checkout paid once inside WeChat: JSAPI (a page under the official account)
and the mini-program, WeChat Pay in partner mode through paysim with wxsim's users."""

from __future__ import annotations

import pytest

from tests.payments.in_wechat import MINIPROGRAM, OFFICIAL, forward_callbacks, verifies
from tests.payments.test_in_wechat import paid_at_cashier, record_sub_merchant
from tests.support import expect
from weshop.paysim.identity import PLATFORM_MCHID, READY_SUB_MCHID


async def two_store_checkout(api, shopper) -> dict:
    operator = await api.operator()
    skus = []
    for name in ("山野农场", "海边渔家"):
        store, owner = await api.create_store(operator, name)
        await record_sub_merchant(api, store["id"])
        product = await api.create_product(store["id"], owner, price_fen=1234)
        skus.append(product["skus"][0]["id"])
    address = await api.add_address(shopper)
    return expect(await api.place_order(shopper, address["id"], [(s, 1) for s in skus]), 201)


@pytest.mark.parametrize(("channel", "appid"), [("jsapi", OFFICIAL), ("miniprogram", MINIPROGRAM)])
async def test_a_checkout_is_paid_once_inside_wechat(
    api, installation, wx, sim, cashier, inbox, merchant_keys, channel, appid
) -> None:
    async with installation("partner") as shop_in_wechat:
        forward_callbacks(inbox, shop_in_wechat.client)
        if channel == "jsapi":
            shopper = await shop_in_wechat.web_sign_in(wx, "wangwei")
        else:
            shopper = await shop_in_wechat.mini_program_sign_in(wx, "wangwei")
        placed = await two_store_checkout(api, shopper)
        url = f"/api/v1/checkouts/{placed['checkout_no']}/payments"
        paying = expect(
            await shop_in_wechat.client.post(url, params={"channel": channel}, headers=shopper),
            201,
        )
        assert paying["kind"] == "combined" and paying["cashier_url"] == ""
        params = paying["pay_params"]
        assert params["appId"] == appid and verifies(merchant_keys, params)
        combined = sim.combining.find(PLATFORM_MCHID, paying["combine_out_trade_no"])
        assert combined["trade_type"] == "JSAPI" and combined["combine_appid"] == appid
        assert combined["payer_openid"] == wx.sim.openid_of(appid, "wangwei")
        subs = sim.combining.sub_transactions(combined)
        assert [sub["sub_mchid"] for sub in subs] == [READY_SUB_MCHID] * 2

        again = expect(
            await shop_in_wechat.client.post(url, params={"channel": channel}, headers=shopper),
            201,
        )
        assert again["pay_params"]["package"] == params["package"]
        await paid_at_cashier(cashier, params)
        for order in placed["orders"]:
            assert (await api.order(shopper, order["id"]))["status"] == "paid"
