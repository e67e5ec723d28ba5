"""Paying inside WeChat: JSAPI (a page opened in WeChat, under the official account) and
mini-program payments, direct and partner, end to end through paysim with wxsim's users; a
shopper WeShop knows no openid of is refused before anything is written."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from tests.orders.conftest import open_shop
from tests.payments.in_wechat import (
    MINIPROGRAM,
    OFFICIAL,
    STORE_MINIPROGRAM,
    WECHAT_UA,
    Installation,
    forward_callbacks,
    verifies,
)
from tests.storefront import HTML, csrf_token, post, sign_in_page
from tests.support import expect
from tests.web.test_security_headers import inline_code
from weshop.core.clock import utcnow
from weshop.core.outbox import OutboxMessage
from weshop.payments.models import Payment
from weshop.paysim.identity import DIRECT_MCHID, PLATFORM_MCHID, READY_SUB_MCHID

PARAMS = re.compile(r'data-pay-params="([^"]+)"')
RETURN = re.compile(r'data-return-url="([^"]+)"')


async def order_of(api, shopper: dict, shop) -> dict:
    """An unpaid order of the shop's product, placed by ``shopper``."""
    address = await api.add_address(shopper)
    placed = await api.place_order(shopper, address["id"], [(shop.sku_id, 1)])
    return expect(placed, 201)["orders"][0]


async def pay(shop_in_wechat: Installation, shopper: dict, order_id: int, channel: str, **extra):
    return await shop_in_wechat.client.post(
        f"/api/v1/me/orders/{order_id}/payments",
        params={"channel": channel},
        headers={**shopper, **extra},
    )


async def paid_at_cashier(cashier, params: dict[str, str]) -> None:
    """The WeChat client hands the parameters to WeChat Pay's cashier (it checks paySign), and
    the payer confirms."""
    page = await cashier.get("/cashier/jsapi", params=params)
    assert page.status_code == 200, page.text
    assert "确认支付" in page.text
    prepay_id = params["package"].removeprefix("prepay_id=")
    confirmed = await cashier.post("/cashier/confirm", data={"prepay_id": prepay_id})
    assert confirmed.status_code == 200 and "支付成功" in confirmed.text, confirmed.text


async def count(runtime, model) -> int:
    async with runtime.db.session(write=False) as session:
        return await session.scalar(select(func.count()).select_from(model))


async def record_sub_merchant(api, store_id: int) -> None:
    expect(
        await api.client.put(
            f"/api/v1/platform/stores/{store_id}/payment-accounts/wechatpay",
            json={"sub_mchid": READY_SUB_MCHID},
            headers=await api.operator(),
        ),
        200,
    )


async def test_a_mini_program_payment_in_direct_mode_is_paid_by_its_callback(
    api, installation, wx, sim, cashier, inbox, merchant_keys
) -> None:
    shop = await open_shop(api)
    async with installation("direct") as shop_in_wechat:
        forward_callbacks(inbox, shop_in_wechat.client)
        shopper = await shop_in_wechat.mini_program_sign_in(wx, "lina")
        order = await order_of(api, shopper, shop)

        payment = expect(await pay(shop_in_wechat, shopper, order["id"], "miniprogram"), 201)
        assert payment["channel"] == "miniprogram" and payment["cashier_url"] == ""
        params = payment["pay_params"]
        assert params["appId"] == MINIPROGRAM and params["package"].startswith("prepay_id=wx")
        assert verifies(merchant_keys, params)
        at_paysim = sim.trading.find(DIRECT_MCHID, "", payment["out_trade_no"])
        assert at_paysim["trade_type"] == "JSAPI" and at_paysim["appid"] == MINIPROGRAM
        assert at_paysim["payer_openid"] == wx.sim.openid_of(MINIPROGRAM, "lina")

        await paid_at_cashier(cashier, params)
        paid = await api.order(shopper, order["id"])
        assert paid["status"] == "paid" and paid["paid_fen"] == order["payable_fen"]


async def test_a_jsapi_payment_in_partner_mode_pays_the_stores_sub_merchant(
    api, installation, wx, sim, cashier, inbox, merchant_keys
) -> None:
    shop = await open_shop(api)
    await record_sub_merchant(api, shop.store["id"])
    async with installation("partner") as shop_in_wechat:
        forward_callbacks(inbox, shop_in_wechat.client)
        shopper = await shop_in_wechat.web_sign_in(wx, "wangwei")
        order = await order_of(api, shopper, shop)

        payment = expect(await pay(shop_in_wechat, shopper, order["id"], "jsapi"), 201)
        params = payment["pay_params"]
        assert params["appId"] == OFFICIAL and verifies(merchant_keys, params)
        at_paysim = sim.trading.find(PLATFORM_MCHID, READY_SUB_MCHID, payment["out_trade_no"])
        assert at_paysim["appid"] == OFFICIAL and at_paysim["sub_appid"] == ""
        assert at_paysim["payer_openid"] == wx.sim.openid_of(OFFICIAL, "wangwei")
        assert at_paysim["profit_sharing"] == 1

        await paid_at_cashier(cashier, params)
        assert (await api.order(shopper, order["id"]))["status"] == "paid"


async def test_a_stores_own_mini_program_pays_as_sub_appid_and_sub_openid(
    api, installation, wx, sim, cashier, inbox, merchant_keys
) -> None:
    shop = await open_shop(api)
    await record_sub_merchant(api, shop.store["id"])
    own_app = {"store_id": shop.store["id"], "kind": "miniprogram", "appid": STORE_MINIPROGRAM}
    async with installation("partner", store_apps=[own_app]) as shop_in_wechat:
        forward_callbacks(inbox, shop_in_wechat.client)
        shopper = await shop_in_wechat.mini_program_sign_in(wx, "zhangmin", STORE_MINIPROGRAM)
        order = await order_of(api, shopper, shop)

        payment = expect(await pay(shop_in_wechat, shopper, order["id"], "miniprogram"), 201)
        params = payment["pay_params"]
        assert params["appId"] == STORE_MINIPROGRAM and verifies(merchant_keys, params)
        at_paysim = sim.trading.find(PLATFORM_MCHID, READY_SUB_MCHID, payment["out_trade_no"])
        assert (at_paysim["appid"], at_paysim["sub_appid"]) == (OFFICIAL, STORE_MINIPROGRAM)
        assert at_paysim["payer_sub_openid"] == wx.sim.openid_of(STORE_MINIPROGRAM, "zhangmin")
        assert at_paysim["payer_openid"] == ""

        await paid_at_cashier(cashier, params)
        assert (await api.order(shopper, order["id"]))["status"] == "paid"


async def test_without_an_openid_of_the_app_nothing_is_written(
    api, installation, wx, runtime
) -> None:
    shop = await open_shop(api)
    async with installation("direct") as shop_in_wechat:
        # Signed in by phone only, then in the mini-program only: no official-account openid.
        by_phone = await order_of(api, shop.shopper, shop)
        in_mini_program = await shop_in_wechat.mini_program_sign_in(wx, "liuyang")
        by_mini_program = await order_of(api, in_mini_program, shop)
        outbox_before = await count(runtime, OutboxMessage)
        for shopper, order, channel in (
            (shop.shopper, by_phone, "miniprogram"),
            (shop.shopper, by_phone, "jsapi"),
            (in_mini_program, by_mini_program, "jsapi"),
        ):
            refused = await pay(shop_in_wechat, shopper, order["id"], channel)
            assert refused.status_code == 409, refused.text
            error = refused.json()["error"]
            assert error["code"] == "wechat_openid_required"
            assert error["details"]["channel"] == channel
        assert await count(runtime, Payment) == 0
        assert await count(runtime, OutboxMessage) == outbox_before


async def test_asking_again_signs_the_same_prepay_afresh(
    api, installation, wx, sim, merchant_keys, clock
) -> None:
    shop = await open_shop(api)
    async with installation("direct") as shop_in_wechat:
        shopper = await shop_in_wechat.mini_program_sign_in(wx, "lina")
        order = await order_of(api, shopper, shop)
        first = expect(await pay(shop_in_wechat, shopper, order["id"], "miniprogram"), 201)
        clock.advance(seconds=5)
        again = expect(await pay(shop_in_wechat, shopper, order["id"], "miniprogram"), 201)
        assert again["out_trade_no"] == first["out_trade_no"]
        assert again["pay_params"]["package"] == first["pay_params"]["package"]
        assert again["pay_params"]["nonceStr"] != first["pay_params"]["nonceStr"]
        assert verifies(merchant_keys, again["pay_params"])
        # The same Idempotency-Key answers the first answer itself.
        keyed = {"Idempotency-Key": "pay-once-0001"}
        one = expect(await pay(shop_in_wechat, shopper, order["id"], "miniprogram", **keyed), 201)
        two = expect(await pay(shop_in_wechat, shopper, order["id"], "miniprogram", **keyed), 201)
        assert one == two
        assert await count(shop_in_wechat.runtime, Payment) == 1


async def in_wechat_post(client, path: str) -> httpx.Response:
    """A page's form posted from WeChat's browser."""
    body = {"csrf_token": await csrf_token(client)}
    answer = await client.post(path, data=body, headers={**HTML, "user-agent": WECHAT_UA})
    assert answer.status_code == 303, answer.text[:2000]
    return answer


async def test_a_page_opened_in_wechat_pays_by_jsapi_and_outside_as_before(
    api, installation, wx, cashier, inbox, merchant_keys
) -> None:
    shop = await open_shop(api)
    async with installation("direct") as shop_in_wechat:
        forward_callbacks(inbox, shop_in_wechat.client)
        browser = shop_in_wechat.client
        shopper = await shop_in_wechat.web_sign_in(wx, "lina")
        order = await order_of(api, shopper, shop)

        started = await in_wechat_post(browser, f"/me/orders/{order['id']}/pay")
        pay_page = started.headers["location"]
        assert pay_page == f"/me/orders/{order['id']}/pay/wechat"
        shown = await browser.get(pay_page, headers={**HTML, "user-agent": WECHAT_UA})
        assert shown.status_code == 200 and "请在微信中确认支付" in shown.text
        assert f'<script src="{wx.url}/open/js/jweixin-1.6.0.js">' in shown.text
        assert '<script src="/static/wechat-pay.js" defer>' in shown.text
        assert wx.url in shown.headers["content-security-policy"]
        assert inline_code(shown.text) == []
        params = json.loads(html.unescape(PARAMS.search(shown.text).group(1)))
        assert params["appId"] == OFFICIAL and verifies(merchant_keys, params)
        back = RETURN.search(shown.text).group(1)
        assert back.startswith("http://test/pay/return/P")

        await paid_at_cashier(cashier, params)
        result = await browser.get(back, headers=HTML, follow_redirects=True)
        assert "支付成功" in result.text
        done = await browser.get(pay_page, headers=HTML)
        assert done.headers["location"] == f"/me/orders/{order['id']}/result"

        # Outside WeChat: H5 exactly as before, to the provider's cashier and back.
        second = await order_of(api, shopper, shop)
        outside = (await post(browser, f"/me/orders/{second['id']}/pay")).headers["location"]
        assert outside.startswith("http://paysim.test/cashier/h5?prepay_id=wx")
        assert "redirect_url=http%3A%2F%2Ftest%2Fpay%2Freturn%2FP" in outside


async def test_in_wechat_without_an_openid_the_page_pays_as_outside(api, installation) -> None:
    shop = await open_shop(api)
    async with installation("direct") as shop_in_wechat:
        browser = shop_in_wechat.client
        phone = await sign_in_page(browser)  # by phone: WeShop knows no openid of theirs
        shopper = await api.sign_in(phone)
        order = await order_of(api, shopper, shop)
        started = await in_wechat_post(browser, f"/me/orders/{order['id']}/pay")
        assert started.headers["location"].startswith("http://paysim.test/cashier/h5?")
        unready = await browser.get(f"/me/orders/{order['id']}/pay/wechat", headers=HTML)
        assert unready.status_code == 200 and "重新支付" in unready.text
        assert "data-pay-params" not in unready.text


@pytest.fixture
def kept() -> dict[str, Any]:
    """What the examples of a property share: the shop."""
    return {}


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.sampled_from(["ask", "ask_keyed", "lapse"]), min_size=1, max_size=6))
async def test_re_asking_returns_the_same_prepay(
    api, installation, wx, sim, runtime, merchant_keys, kept, steps
) -> None:
    """However the shopper asks again (with or without a key, after the prepay's time here
    ran out), the order has one payment, one transaction at WeChat Pay and one prepay, each
    answer signed afresh and valid."""
    if "shop" not in kept:
        kept["shop"] = await open_shop(api)
    async with installation("direct") as shop_in_wechat:
        shopper = await shop_in_wechat.mini_program_sign_in(wx, "lina")
        order = await order_of(api, shopper, kept["shop"])
        answers = []
        for step in ["ask", *steps, "ask"]:
            if step == "lapse":
                async with runtime.db.transaction() as session:
                    await session.execute(
                        update(Payment)
                        .where(Payment.order_id == order["id"])
                        .values(prepay_expires_at=utcnow() - timedelta(seconds=1))
                    )
                continue
            key = {"Idempotency-Key": f"prepay-{order['id']}"} if step == "ask_keyed" else {}
            answers.append(
                expect(await pay(shop_in_wechat, shopper, order["id"], "miniprogram", **key), 201)
            )
        assert {answer["out_trade_no"] for answer in answers} == {answers[0]["out_trade_no"]}
        assert {answer["pay_params"]["package"] for answer in answers} == {
            answers[0]["pay_params"]["package"]
        }
        assert all(verifies(merchant_keys, answer["pay_params"]) for answer in answers)
        async with runtime.db.session() as session:
            payments = list(
                await session.scalars(select(Payment).where(Payment.order_id == order["id"]))
            )
        assert len(payments) == 1 and payments[0].prepay_expires_at > utcnow()
        at_paysim = sim.store.all(
            "SELECT prepay_id FROM transactions WHERE out_trade_no = ?",
            (answers[0]["out_trade_no"],),
        )
        assert [f"prepay_id={row['prepay_id']}" for row in at_paysim] == [
            answers[0]["pay_params"]["package"]
        ]
