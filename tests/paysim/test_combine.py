"""Combined payments (合单支付) through the simulator with WeShop's client: placed, paid once
at the cashier, called back with every sub-order, queried, closed; each sub-order's money
lands in its own sub-merchant's funds and a refund of one touches that one only."""

from __future__ import annotations

import pytest

from tests.paysim.fixtures import NOTIFY_URL, decrypt_delivery, pay_at_cashier
from weshop.payments.wechatpay.combine import SubOrder
from weshop.payments.wechatpay.errors import WechatPayApiError
from weshop.payments.wechatpay.transactions import TradeType
from weshop.paysim import funds
from weshop.paysim.identity import PLATFORM_MCHID

COMBINED_URL = NOTIFY_URL + "/combined"


def subs(sim, count: int = 3, prefix: str = "SUB") -> list[SubOrder]:
    return [
        SubOrder(
            sub_mchid=sim.open_sub_merchant(f"店铺{i}"),
            out_trade_no=f"{prefix}{i:06d}",
            total_fen=1000 * (i + 1) + i,
            description=f"店铺{i} - 订单 2026031000{i}",
            attach=f"order={i}",
        )
        for i in range(count)
    ]


async def test_three_sub_orders_are_paid_once_each_to_its_own_sub_merchant(
    partner, sim, cashier, inbox, merchant_keys
) -> None:
    sub_orders = subs(sim)
    combine = partner.combine_transactions
    answer = await combine.create(
        TradeType.H5,
        combine_out_trade_no="COMBINE0000001",
        sub_orders=sub_orders,
        notify_url=COMBINED_URL,
        payer_client_ip="203.0.113.9",
    )
    again = await combine.create(
        TradeType.H5,
        combine_out_trade_no="COMBINE0000001",
        sub_orders=sub_orders,
        notify_url=COMBINED_URL,
        payer_client_ip="203.0.113.9",
    )
    assert again == answer
    queried = await combine.query("COMBINE0000001")
    assert [sub["trade_state"] for sub in queried["sub_orders"]] == ["NOTPAY"] * 3

    page = await cashier.get(answer["h5_url"].removeprefix("http://paysim.test"))
    assert "¥60.03" in page.text and "店铺2" in page.text
    paid = await pay_at_cashier(cashier, h5_url=answer["h5_url"])
    assert paid.status_code == 200 and "1 条回调被确认" in paid.text

    (delivery,) = inbox.deliveries
    assert delivery.url == COMBINED_URL
    opened = decrypt_delivery(delivery, merchant_keys)
    assert opened["envelope"]["event_type"] == "TRANSACTION.SUCCESS"
    resource = opened["resource"]
    assert resource["combine_mchid"] == PLATFORM_MCHID
    assert resource["combine_out_trade_no"] == "COMBINE0000001"
    assert [
        (sub["sub_mchid"], sub["out_trade_no"], sub["trade_state"], sub["amount"]["total_amount"])
        for sub in resource["sub_orders"]
    ] == [(s.sub_mchid, s.out_trade_no, "SUCCESS", s.total_fen) for s in sub_orders]
    assert len({sub["transaction_id"] for sub in resource["sub_orders"]}) == 3
    assert await combine.query("COMBINE0000001") == resource | {
        "sub_orders": resource["sub_orders"]
    }

    # Each store's money is its own (frozen: profit sharing), and nothing reached the platform.
    for sub in sub_orders:
        assert funds.balance(sim.store, f"mch:{sub.sub_mchid}") == (0, sub.total_fen)
    assert funds.balance(sim.store, f"mch:{PLATFORM_MCHID}") == (0, 0)

    # A refund of one sub-order (the ordinary refund API) touches that sub-merchant only.
    first = sub_orders[0]
    await partner.refunds.create(
        out_trade_no=first.out_trade_no,
        out_refund_no="REFUNDSUB0000001",
        refund_fen=500,
        total_fen=first.total_fen,
        reason="退一件",
        notify_url=NOTIFY_URL + "/refunds",
        sub_mchid=first.sub_mchid,
    )
    await sim.process_due()
    assert funds.balance(sim.store, f"mch:{first.sub_mchid}") == (0, first.total_fen - 500)
    for sub in sub_orders[1:]:
        assert funds.balance(sim.store, f"mch:{sub.sub_mchid}") == (0, sub.total_fen)
    states = [sub["trade_state"] for sub in (await combine.query("COMBINE0000001"))["sub_orders"]]
    assert states == ["REFUND", "SUCCESS", "SUCCESS"]

    # Profit sharing works on a sub-order's own transaction.
    second = resource["sub_orders"][1]
    amounts = await partner.profit_sharing.unsplit_amount(second["transaction_id"])
    assert amounts == sub_orders[1].total_fen

    with pytest.raises(WechatPayApiError) as closing_paid:
        await combine.close("COMBINE0000001", sub_orders)
    assert closing_paid.value.wechat_code == "ORDERPAID"


async def test_closing_names_every_sub_order_and_closes_them_all(partner, sim, cashier) -> None:
    sub_orders = subs(sim, 2, "CLS")
    combine = partner.combine_transactions
    answer = await combine.create(
        TradeType.NATIVE,
        combine_out_trade_no="COMBINECLOSE01",
        sub_orders=sub_orders,
        notify_url=COMBINED_URL,
    )
    with pytest.raises(WechatPayApiError) as partial:
        await combine.close("COMBINECLOSE01", sub_orders[:1])
    assert (partial.value.http_status, partial.value.wechat_code) == (400, "INVALID_REQUEST")
    await combine.close("COMBINECLOSE01", sub_orders)
    queried = await combine.query("COMBINECLOSE01")
    assert [sub["trade_state"] for sub in queried["sub_orders"]] == ["CLOSED", "CLOSED"]
    refused = await pay_at_cashier_refused(cashier, answer["code_url"])
    assert "ORDER_CLOSED" in refused
    with pytest.raises(WechatPayApiError) as reopened:
        await combine.create(
            TradeType.NATIVE,
            combine_out_trade_no="COMBINECLOSE01",
            sub_orders=sub_orders,
            notify_url=COMBINED_URL,
        )
    assert reopened.value.wechat_code == "ORDER_CLOSED"


async def pay_at_cashier_refused(cashier, code_url: str) -> str:
    pr = code_url.split("pr=", 1)[1]
    answer = await cashier.post("/cashier/confirm", data={"pr": pr})
    assert answer.status_code == 400
    return answer.text


async def test_the_request_is_checked_as_wechat_pay_checks_it(partner, direct, sim) -> None:
    sub_orders = subs(sim, 2, "CHK")
    combine = partner.combine_transactions

    async def refused(body_change: dict, path: str = "h5", client=None) -> WechatPayApiError:
        body = {
            "combine_appid": partner.appid,
            "combine_mchid": PLATFORM_MCHID,
            "combine_out_trade_no": "COMBINECHECK01",
            "scene_info": {"payer_client_ip": "203.0.113.9", "h5_info": {"type": "Wap"}},
            "sub_orders": [combine._sub_order(sub) for sub in sub_orders],
            "notify_url": COMBINED_URL,
            **body_change,
        }
        with pytest.raises(WechatPayApiError) as exc:
            await (client or partner.client).request(
                "POST", f"/v3/combine-transactions/{path}", body=body
            )
        return exc.value

    one = await refused({"sub_orders": [combine._sub_order(sub_orders[0])]})
    assert (one.http_status, one.wechat_code) == (400, "PARAM_ERROR")
    many = await refused({"sub_orders": [combine._sub_order(sub_orders[0])] * 51})
    assert many.wechat_code == "PARAM_ERROR"
    doubled = await refused({"sub_orders": [combine._sub_order(sub_orders[0])] * 2})
    assert doubled.detail["field"] == "sub_orders/1/out_trade_no"
    long_text = combine._sub_order(sub_orders[0]) | {"description": "山" * 43}
    assert (await refused({"sub_orders": [long_text, combine._sub_order(sub_orders[1])]})).detail
    foreign = combine._sub_order(sub_orders[0]) | {"sub_mchid": "1999999999"}
    unknown = await refused({"sub_orders": [foreign, combine._sub_order(sub_orders[1])]})
    assert unknown.wechat_code == "MCH_NOT_EXISTS"
    no_scene = await refused({"scene_info": {"payer_client_ip": "203.0.113.9"}})
    assert no_scene.detail["field"] == "scene_info/h5_info"
    no_payer = await refused({}, path="jsapi")
    assert no_payer.detail["field"] == "combine_payer_info/openid"
    wrong_app = await refused({"combine_appid": "wx_not_bound"})
    assert wrong_app.wechat_code == "APPID_MCHID_NOT_MATCH"
    by_direct = await refused({}, client=direct.client)
    assert (by_direct.http_status, by_direct.wechat_code) == (403, "NO_AUTH")

    await combine.create(
        TradeType.H5,
        combine_out_trade_no="COMBINECHECK01",
        sub_orders=sub_orders,
        notify_url=COMBINED_URL,
        payer_client_ip="203.0.113.9",
    )
    changed = [sub_orders[0], SubOrder(**{**sub_orders[1].__dict__, "total_fen": 1})]
    with pytest.raises(WechatPayApiError) as reused:
        await combine.create(
            TradeType.H5,
            combine_out_trade_no="COMBINECHECK01",
            sub_orders=changed,
            notify_url=COMBINED_URL,
            payer_client_ip="203.0.113.9",
        )
    assert (reused.value.http_status, reused.value.wechat_code) == (403, "OUT_TRADE_NO_USED")
    with pytest.raises(WechatPayApiError) as unknown_query:
        await combine.query("NOSUCHCOMBINE1")
    assert (unknown_query.value.http_status, unknown_query.value.wechat_code) == (
        404,
        "ORDER_NOT_EXIST",
    )


async def test_jsapi_combined_order_is_paid_in_the_wechat_client(partner, sim, cashier) -> None:
    sub_orders = subs(sim, 2, "JSA")
    answer = await partner.combine_transactions.create(
        TradeType.JSAPI,
        combine_out_trade_no="COMBINEJSAPI01",
        sub_orders=sub_orders,
        notify_url=COMBINED_URL,
        payer_openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    )
    params = partner.client.jsapi_pay_params(partner.appid, answer["prepay_id"])
    page = await cashier.get("/cashier/jsapi", params=params)
    assert page.status_code == 200 and "合单" in page.text
    forged = await cashier.get("/cashier/jsapi", params={**params, "nonceStr": "x"})
    assert forged.status_code == 400
    paid = await cashier.post("/cashier/confirm", data={"prepay_id": answer["prepay_id"]})
    assert paid.status_code == 200
    queried = await partner.combine_transactions.query("COMBINEJSAPI01")
    assert queried["combine_payer_info"] == {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}
