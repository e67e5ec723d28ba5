"""Whole payments through the simulator with WeShop's client: order, cashier, callback, query,
close, refunds — direct and partner mode."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.paysim.fixtures import NOTIFY_URL, decrypt_delivery, pay_at_cashier
from weshop.payments.wechatpay.errors import WechatPayApiError
from weshop.payments.wechatpay.transactions import TradeType
from weshop.paysim.identity import READY_SUB_MCHID


def expect_error(exc_info: pytest.ExceptionInfo[WechatPayApiError], status: int, code: str) -> None:
    assert (exc_info.value.http_status, exc_info.value.wechat_code) == (status, code)


async def test_jsapi_order_paid_then_called_back_and_queried(
    direct, sim, cashier, inbox, merchant_keys
) -> None:
    answer = await direct.transactions.create(
        TradeType.JSAPI,
        out_trade_no="JSAPI20260310001",
        description="WeShop 测试商品",
        total_fen=1999,
        notify_url=NOTIFY_URL,
        payer_openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
        attach="store=7",
    )
    prepay_id = answer["prepay_id"]
    assert prepay_id.startswith("wx")
    assert (await direct.transactions.query("JSAPI20260310001"))["trade_state"] == "NOTPAY"

    # The merchant page hands the signed parameters to the WeChat client (the cashier).
    params = direct.client.jsapi_pay_params(direct.appid, prepay_id)
    page = await cashier.get("/cashier/jsapi", params=params)
    assert page.status_code == 200 and "¥19.99" in page.text
    forged = await cashier.get("/cashier/jsapi", params={**params, "nonceStr": "tampered"})
    assert forged.status_code == 400 and "paySign" in forged.text

    paid = await cashier.post("/cashier/confirm", data={"prepay_id": prepay_id})
    assert paid.status_code == 200 and "支付成功" in paid.text
    assert "1 条回调被确认" in paid.text
    (delivery,) = inbox.deliveries
    assert delivery.url == NOTIFY_URL
    opened = decrypt_delivery(delivery, merchant_keys)
    assert opened["envelope"]["event_type"] == "TRANSACTION.SUCCESS"
    assert opened["envelope"]["resource"]["original_type"] == "transaction"
    resource = opened["resource"]
    assert resource["trade_state"] == "SUCCESS"
    assert resource["payer"] == {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}
    assert resource["amount"] == {
        "total": 1999,
        "currency": "CNY",
        "payer_total": 1999,
        "payer_currency": "CNY",
    }

    queried = await direct.transactions.query("JSAPI20260310001")
    assert queried["trade_state"] == "SUCCESS"
    assert queried["transaction_id"] == resource["transaction_id"]
    assert queried["trade_type"] == "JSAPI"
    assert queried["attach"] == "store=7"
    assert queried["success_time"].endswith("+08:00")


async def test_h5_and_native_orders_are_paid_at_their_cashier_pages(direct, cashier) -> None:
    h5 = await direct.transactions.create(
        TradeType.H5,
        out_trade_no="H5ORDER000001",
        description="H5",
        total_fen=100,
        notify_url=NOTIFY_URL,
        payer_client_ip="203.0.113.9",
    )
    assert h5["h5_url"].startswith("http://paysim.test/cashier/h5?prepay_id=wx")
    native = await direct.transactions.create(
        TradeType.NATIVE,
        out_trade_no="NATIVE0000001",
        description="Native",
        total_fen=200,
        notify_url=NOTIFY_URL,
    )
    assert native["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")

    assert (await pay_at_cashier(cashier, h5_url=h5["h5_url"])).status_code == 200
    assert (await pay_at_cashier(cashier, code_url=native["code_url"])).status_code == 200
    assert (await direct.transactions.query("H5ORDER000001"))["trade_type"] == "MWEB"
    assert (await direct.transactions.query("NATIVE0000001"))["trade_state"] == "SUCCESS"


async def test_h5_needs_the_payer_ip_and_jsapi_the_openid(direct) -> None:
    with pytest.raises(WechatPayApiError) as missing_ip:
        await direct.client.request(
            "POST",
            "/v3/pay/transactions/h5",
            body={
                "appid": direct.appid,
                "mchid": direct.client.mchid,
                "description": "x",
                "out_trade_no": "H5NOIP000001",
                "notify_url": NOTIFY_URL,
                "amount": {"total": 1},
            },
        )
    expect_error(missing_ip, 400, "PARAM_ERROR")
    assert missing_ip.value.detail["field"] == "scene_info/payer_client_ip"


async def test_partner_order_is_paid_to_the_sub_merchant_with_profit_sharing(
    partner, sim, cashier, inbox, merchant_keys
) -> None:
    answer = await partner.transactions.create(
        TradeType.H5,
        out_trade_no="PARTNER000001",
        description="店铺商品",
        total_fen=5000,
        notify_url=NOTIFY_URL,
        payer_client_ip="203.0.113.9",
        sub_mchid=READY_SUB_MCHID,
    )
    await pay_at_cashier(cashier, h5_url=answer["h5_url"])
    resource = decrypt_delivery(inbox.deliveries[0], merchant_keys)["resource"]
    assert resource["sp_mchid"] == partner.client.mchid
    assert resource["sub_mchid"] == READY_SUB_MCHID
    queried = await partner.transactions.query("PARTNER000001", sub_mchid=READY_SUB_MCHID)
    assert queried["trade_state"] == "SUCCESS"
    # Made with settle_info.profit_sharing: the money waits, frozen, at the sub-merchant.
    assert await partner.profit_sharing.unsplit_amount(queried["transaction_id"]) == 5000


async def test_partner_refuses_a_sub_merchant_of_nobody(partner) -> None:
    with pytest.raises(WechatPayApiError) as unknown:
        await partner.transactions.create(
            TradeType.NATIVE,
            out_trade_no="PARTNER000002",
            description="x",
            total_fen=1,
            notify_url=NOTIFY_URL,
            sub_mchid="1999999999",
        )
    expect_error(unknown, 400, "MCH_NOT_EXISTS")


async def test_direct_merchant_cannot_use_partner_apis(direct, partner) -> None:
    with pytest.raises(WechatPayApiError) as refused:
        await direct.client.request(
            "GET",
            f"/v3/pay/partner/transactions/out-trade-no/X123456?sp_mchid={direct.client.mchid}"
            f"&sub_mchid={READY_SUB_MCHID}",
        )
    expect_error(refused, 403, "NO_AUTH")


async def test_order_numbers_are_idempotent(direct, cashier) -> None:
    order = {
        "out_trade_no": "IDEMPOTENT001",
        "description": "same",
        "total_fen": 300,
        "notify_url": NOTIFY_URL,
    }
    first = await direct.transactions.create(TradeType.NATIVE, **order)
    again = await direct.transactions.create(TradeType.NATIVE, **order)
    assert first == again
    with pytest.raises(WechatPayApiError) as reused:
        await direct.transactions.create(TradeType.NATIVE, **{**order, "total_fen": 301})
    expect_error(reused, 403, "OUT_TRADE_NO_USED")
    await pay_at_cashier(cashier, code_url=first["code_url"])
    with pytest.raises(WechatPayApiError) as paid:
        await direct.transactions.create(TradeType.NATIVE, **order)
    expect_error(paid, 400, "ORDERPAID")


async def test_close_stops_payment_and_is_idempotent(direct, cashier, clock) -> None:
    answer = await direct.transactions.create(
        TradeType.NATIVE,
        out_trade_no="CLOSEME00001",
        description="x",
        total_fen=100,
        notify_url=NOTIFY_URL,
    )
    await direct.transactions.close("CLOSEME00001")
    await direct.transactions.close("CLOSEME00001")
    assert (await direct.transactions.query("CLOSEME00001"))["trade_state"] == "CLOSED"
    refused = await pay_at_cashier(cashier, code_url=answer["code_url"])
    assert refused.status_code == 400 and "ORDER_CLOSED" in refused.text
    with pytest.raises(WechatPayApiError) as closed:
        await direct.transactions.create(
            TradeType.NATIVE,
            out_trade_no="CLOSEME00001",
            description="x",
            total_fen=100,
            notify_url=NOTIFY_URL,
        )
    expect_error(closed, 400, "ORDER_CLOSED")
    with pytest.raises(WechatPayApiError) as unknown:
        await direct.transactions.close("NEVERMADE0001")
    expect_error(unknown, 404, "ORDER_NOT_EXIST")


async def test_close_of_a_paid_order_answers_orderpaid(direct, cashier) -> None:
    answer = await direct.transactions.create(
        TradeType.NATIVE, out_trade_no="PAIDCLOSE001", description="x", total_fen=1,
        notify_url=NOTIFY_URL,
    )  # fmt: skip
    await pay_at_cashier(cashier, code_url=answer["code_url"])
    with pytest.raises(WechatPayApiError) as paid:
        await direct.transactions.close("PAIDCLOSE001")
    expect_error(paid, 400, "ORDERPAID")


async def test_an_order_past_its_time_expire_is_closed(direct, cashier, clock) -> None:
    answer = await direct.transactions.create(
        TradeType.NATIVE,
        out_trade_no="EXPIRES00001",
        description="x",
        total_fen=100,
        notify_url=NOTIFY_URL,
        time_expire=clock() + timedelta(minutes=15),
    )
    clock.advance(minutes=16)
    assert (await direct.transactions.query("EXPIRES00001"))["trade_state"] == "CLOSED"
    assert (await pay_at_cashier(cashier, code_url=answer["code_url"])).status_code == 400


async def paid_order(pay, cashier, out_trade_no: str, total: int, **extra) -> str:
    answer = await pay.transactions.create(
        TradeType.NATIVE,
        out_trade_no=out_trade_no,
        description="refund me",
        total_fen=total,
        notify_url=NOTIFY_URL,
        **extra,
    )
    await pay_at_cashier(cashier, code_url=answer["code_url"])
    return (await pay.transactions.query(out_trade_no, sub_mchid=extra.get("sub_mchid")))[
        "transaction_id"
    ]


async def test_partial_then_full_refund_and_over_refund_refused(
    direct, sim, cashier, inbox, merchant_keys
) -> None:
    await paid_order(direct, cashier, "REFUNDME0001", 1000)
    partial = await direct.refunds.create(
        out_trade_no="REFUNDME0001",
        out_refund_no="R-REFUNDME-1",
        refund_fen=300,
        total_fen=1000,
        reason="少发一件",
        notify_url=NOTIFY_URL,
    )
    assert partial["status"] == "PROCESSING"
    assert partial["amount"]["refund"] == 300
    # The same out_refund_no answers the same refund, never a second one.
    again = await direct.refunds.create(
        out_trade_no="REFUNDME0001", out_refund_no="R-REFUNDME-1", refund_fen=300, total_fen=1000
    )
    assert again["refund_id"] == partial["refund_id"]

    with pytest.raises(WechatPayApiError) as over:
        await direct.refunds.create(
            out_trade_no="REFUNDME0001", out_refund_no="R-REFUNDME-2", refund_fen=701,
            total_fen=1000,
        )  # fmt: skip
    expect_error(over, 400, "INVALID_REQUEST")
    rest = await direct.refunds.create(
        out_trade_no="REFUNDME0001", out_refund_no="R-REFUNDME-3", refund_fen=700, total_fen=1000
    )
    assert rest["status"] == "PROCESSING"

    inbox.deliveries.clear()
    assert await sim.process_due() == 1  # the first refund had a notify_url
    assert (await direct.refunds.query("R-REFUNDME-1"))["status"] == "SUCCESS"
    assert (await direct.refunds.query("R-REFUNDME-3"))["status"] == "SUCCESS"
    notice = decrypt_delivery(inbox.deliveries[0], merchant_keys)
    assert notice["envelope"]["event_type"] == "REFUND.SUCCESS"
    assert notice["resource"]["refund_status"] == "SUCCESS"
    assert notice["resource"]["amount"]["refund"] == 300
    assert (await direct.transactions.query("REFUNDME0001"))["trade_state"] == "REFUND"
    with pytest.raises(WechatPayApiError) as nothing_left:
        await direct.refunds.create(
            out_trade_no="REFUNDME0001", out_refund_no="R-REFUNDME-4", refund_fen=1, total_fen=1000
        )
    expect_error(nothing_left, 400, "INVALID_REQUEST")


async def test_refund_errors(direct, cashier) -> None:
    with pytest.raises(WechatPayApiError) as unknown:
        await direct.refunds.create(
            out_trade_no="NOSUCHORDER1", out_refund_no="R-NOSUCH-1", refund_fen=1, total_fen=1
        )
    expect_error(unknown, 404, "RESOURCE_NOT_EXISTS")
    with pytest.raises(WechatPayApiError) as no_refund:
        await direct.refunds.query("R-NEVER-MADE")
    expect_error(no_refund, 404, "RESOURCE_NOT_EXISTS")
    await paid_order(direct, cashier, "WRONGTOTAL01", 500)
    with pytest.raises(WechatPayApiError) as wrong_total:
        await direct.refunds.create(
            out_trade_no="WRONGTOTAL01", out_refund_no="R-WRONG-1", refund_fen=1, total_fen=499
        )
    expect_error(wrong_total, 400, "PARAM_ERROR")
