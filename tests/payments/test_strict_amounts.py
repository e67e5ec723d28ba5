"""A provider's payloads carry amounts as integers of fen and nothing else.

A properly signed callback (or answer) whose amount is 1999.5 was once read as 1999 and
applied. Every kind — the sandbox's payment callback, WeChat Pay's payment and refund
callbacks, its answer to a payment query, its trade bill — now refuses an amount that is not
a whole number of fen, and applies nothing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.ledger.support import ask_refund, entry_kinds, open_market
from tests.payments.test_notifications import (
    NOTIFY,
    notice,
    signed,
    stored_notifications,
    unpaid_order,
)
from tests.payments.test_refund_notifications import (
    REFUNDS_NOTIFY,
    forward_to,
    paid_wechat_order,
    refund_status,
)
from tests.paysim.fixtures import pay_at_cashier
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.ledger.models import EntryKind
from weshop.payments.wechatpay.bills import yuan_to_fen
from weshop.payments.wechatpay.errors import WechatPayError
from weshop.paysim.identity import PLATFORM_MCHID, READY_SUB_MCHID

PAYMENT_NOTIFY = "/api/v1/payments/notify/wechatpay"


def not_integers(amount: int) -> list[object]:
    return [amount + 0.5, float(amount), str(amount), True, None, [amount]]


async def test_the_sandbox_callback_refuses_a_non_integer_amount(api, client, runtime) -> None:
    shop, order, payment = await unpaid_order(api)
    for amount in not_integers(payment["amount_fen"]):
        body, headers = signed(runtime, notice(payment, amount_fen=amount))
        answer = await client.post(NOTIFY, content=body, headers=headers)
        assert answer.status_code == 401, (amount, answer.text)
    assert await stored_notifications(runtime) == 0
    assert (await api.order(shop.shopper, order["id"]))["status"] == "pending_payment"

    body, headers = signed(runtime, notice(payment))  # the same, with the integer amount
    expect(await client.post(NOTIFY, content=body, headers=headers), 200)
    assert (await api.order(shop.shopper, order["id"]))["status"] == "paid"


async def wechat_payment(api, client, market_order) -> dict:
    market, order = market_order
    return expect(
        await client.post(
            f"/api/v1/me/orders/{order['id']}/payments",
            params={"provider": "wechatpay"},
            headers=market.shopper,
        ),
        201,
    )


async def test_wechatpay_payment_callbacks_and_queries_refuse_a_non_integer_amount(
    api, client, runtime, wechatpay, sim, cashier, inbox
) -> None:
    market = await open_market(api, (1999,), shipping=False)
    expect(
        await client.put(
            f"/api/v1/platform/stores/{market.store_id}/payment-accounts/wechatpay",
            json={"sub_mchid": READY_SUB_MCHID},
            headers=await api.operator(),
        ),
        200,
    )
    placed = expect(
        await api.place_order(market.shopper, market.address_id, [(market.skus[0], 1)]), 201
    )
    order = placed["orders"][0]
    payment = await wechat_payment(api, client, (market, order))
    inbox.status = 500  # the test hands the callbacks over itself

    def transaction(total: object) -> dict:
        return {
            "sp_mchid": PLATFORM_MCHID,
            "sub_mchid": READY_SUB_MCHID,
            "out_trade_no": payment["out_trade_no"],
            "transaction_id": "4200000000000000000000009999",
            "trade_type": "MWEB",
            "trade_state": "SUCCESS",
            "success_time": utcnow().isoformat(),
            "amount": {"total": total, "currency": "CNY"},
        }

    # Callbacks signed and sealed by the simulator itself, each with a wrong kind of amount.
    for amount in not_integers(payment["amount_fen"]):
        sim.notifier.enqueue(
            mchid=PLATFORM_MCHID,
            url=f"http://weshop.test{PAYMENT_NOTIFY}",
            event_type="TRANSACTION.SUCCESS",
            summary="支付成功",
            original_type="transaction",
            resource=transaction(amount),
        )
        await sim.process_due()
        sent = inbox.deliveries[-1]
        answer = await client.post(PAYMENT_NOTIFY, content=sent.body, headers=sent.headers)
        assert answer.status_code == 401, (amount, answer.text)
    assert await stored_notifications(runtime) == 0
    assert (await api.order(market.shopper, order["id"]))["status"] == "pending_payment"

    # WeChat Pay's signed answer to a query, its amount not a whole number of fen: refused.
    await pay_at_cashier(cashier, h5_url=payment["cashier_url"])
    sim.store.run(
        "UPDATE transactions SET total = ? WHERE out_trade_no = ?",
        (payment["amount_fen"] + 0.5, payment["out_trade_no"]),
    )
    with pytest.raises(WechatPayError, match="malformed"):
        await wechatpay.query_payment(payment["out_trade_no"], sub_mchid=READY_SUB_MCHID)
    sim.store.run(
        "UPDATE transactions SET total = ? WHERE out_trade_no = ?",
        (payment["amount_fen"], payment["out_trade_no"]),
    )
    found = await wechatpay.query_payment(payment["out_trade_no"], sub_mchid=READY_SUB_MCHID)
    assert found is not None and found.amount_fen == payment["amount_fen"]


async def test_wechatpay_refund_callbacks_refuse_a_non_integer_amount(
    api, client, runner, runtime, wechatpay, sim, cashier, inbox
) -> None:
    inbox.handler = forward_to(client, inbox)
    market, order = await paid_wechat_order(api, client, sim, cashier)
    inbox.handler, inbox.status = None, 500
    line = (await api.order(market.shopper, order["id"]))["lines"][0]["id"]
    refund = expect(await ask_refund(market, order["id"], {line: 500}), 201)
    await runner.run()
    await sim.process_due()  # the genuine REFUND.SUCCESS reaches the inbox, not WeShop
    genuine_url = f"http://weshop.test{REFUNDS_NOTIFY}"

    for amount in not_integers(500):
        sim.notifier.enqueue(
            mchid=PLATFORM_MCHID,
            url=genuine_url,
            event_type="REFUND.SUCCESS",
            summary="退款成功",
            original_type="refund",
            resource={
                "sp_mchid": PLATFORM_MCHID,
                "sub_mchid": READY_SUB_MCHID,
                "transaction_id": "4200000000000000000000000000",
                "out_trade_no": "WHATEVER",
                "refund_id": "50300000000000000000000000",
                "out_refund_no": refund["out_refund_no"],
                "refund_status": "SUCCESS",
                "success_time": "2026-03-10T10:00:00+08:00",
                "user_received_account": "支付用户零钱",
                "amount": {"total": 1999, "refund": amount, "payer_total": 1999},
            },
        )
        await sim.process_due()
        sent = inbox.deliveries[-1]
        assert urlsplit(sent.url).path == REFUNDS_NOTIFY
        answer = await client.post(REFUNDS_NOTIFY, content=sent.body, headers=sent.headers)
        assert answer.status_code == 401, (amount, answer.text)
    assert await refund_status(api, market, order["id"]) == ["pending"]
    assert EntryKind.REFUND not in await entry_kinds(runtime, order["id"])


def test_a_bill_amount_is_read_to_the_fen_exactly() -> None:
    assert [yuan_to_fen(text) for text in ("19.99", "0.01", "33", "1999.00")] == [
        1999, 1, 3300, 199900,
    ]  # fmt: skip
    for text in ("33.005", "0.001", "abc", "NaN"):
        with pytest.raises((ValueError, ArithmeticError)):
            yuan_to_fen(text)
