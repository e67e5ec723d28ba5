"""A multi-store checkout paid once inside WeChat: JSAPI (a page under the official account)
and the mini-program, WeChat Pay in partner mode through paysim with wxsim's users."""

from __future__ import annotations

import html
import json

import pytest

from tests.payments.in_wechat import (
    MINIPROGRAM,
    OFFICIAL,
    WECHAT_UA,
    forward_callbacks,
    verifies,
)
from tests.payments.test_in_wechat import (
    PARAMS,
    RETURN,
    in_wechat_post,
    paid_at_cashier,
    record_sub_merchant,
)
from tests.storefront import HTML, post
from tests.support import expect
from tests.web.test_security_headers import inline_code
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


async def test_a_page_opened_in_wechat_pays_the_checkout_by_jsapi_and_outside_by_h5(
    api, installation, wx, cashier, inbox, merchant_keys
) -> None:
    async with installation("partner") as shop_in_wechat:
        forward_callbacks(inbox, shop_in_wechat.client)
        browser = shop_in_wechat.client
        shopper = await shop_in_wechat.web_sign_in(wx, "lina")
        placed = await two_store_checkout(api, shopper)
        checkout = placed["checkout_no"]

        started = await in_wechat_post(browser, f"/me/checkouts/{checkout}/pay")
        pay_page = started.headers["location"]
        assert pay_page == f"/me/checkouts/{checkout}/pay/wechat"
        shown = await browser.get(pay_page, headers={**HTML, "user-agent": WECHAT_UA})
        assert shown.status_code == 200 and "请在微信中确认支付" in shown.text
        assert "山野农场" in shown.text and "海边渔家" in shown.text
        assert '<script src="/static/wechat-pay.js" defer>' in shown.text
        assert inline_code(shown.text) == []
        params = json.loads(html.unescape(PARAMS.search(shown.text).group(1)))
        assert params["appId"] == OFFICIAL and verifies(merchant_keys, params)
        back = RETURN.search(shown.text).group(1)
        assert back.startswith("http://test/pay/return/combined/H")

        await paid_at_cashier(cashier, params)
        result = await browser.get(back, headers=HTML, follow_redirects=True)
        assert "支付成功" in result.text and result.text.count("已付款") == 2
        done = await browser.get(pay_page, headers=HTML)
        assert done.headers["location"] == f"/me/checkouts/{checkout}/result"

        # Outside WeChat: H5, to the provider's cashier and back to the checkout's result.
        second = (await two_store_checkout(api, shopper))["checkout_no"]
        outside = (await post(browser, f"/me/checkouts/{second}/pay")).headers["location"]
        assert outside.startswith("http://paysim.test/cashier/h5?prepay_id=wx")
        assert "redirect_url=http%3A%2F%2Ftest%2Fpay%2Freturn%2Fcombined%2FH" in outside
