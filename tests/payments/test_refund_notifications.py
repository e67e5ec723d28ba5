"""WeChat Pay's refund callbacks: a verified REFUND.SUCCESS completes the refund once; a
replay, a forged or tampered callback, or one with the wrong amount changes nothing."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.ledger.support import ask_refund, entry_kinds, open_market, report
from tests.paysim.fixtures import pay_at_cashier
from tests.support import expect
from weshop.ledger.models import EntryKind
from weshop.paysim.identity import PLATFORM_MCHID, READY_SUB_MCHID

REFUNDS_NOTIFY = "/api/v1/payments/notify/wechatpay/refunds"


async def paid_wechat_order(api, client, sim, cashier):
    market = await open_market(api, (1999, 350), shipping=False)
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
    payment = expect(
        await client.post(
            f"/api/v1/me/orders/{order['id']}/payments",
            params={"provider": "wechatpay"},
            headers=market.shopper,
        ),
        201,
    )
    await pay_at_cashier(cashier, h5_url=payment["cashier_url"])
    await sim.process_due()
    return market, order


def forward_to(client, inbox):
    async def deliver(headers, body: bytes) -> int:
        path = urlsplit(inbox.deliveries[-1].url).path
        return (await client.post(path, content=body, headers=dict(headers))).status_code

    return deliver


async def refund_status(api, market, order_id: int) -> list[str]:
    refunds = expect(
        await api.client.get(market.merchant(f"/orders/{order_id}/refunds"), headers=market.owner),
        200,
    )
    return [refund["status"] for refund in refunds]


async def test_a_refund_callback_completes_the_refund_once(
    api, client, runner, runtime, wechatpay, sim, cashier, inbox
):
    inbox.handler = forward_to(client, inbox)
    market, order = await paid_wechat_order(api, client, sim, cashier)
    line = (await api.order(market.shopper, order["id"]))["lines"][0]["id"]
    expect(await ask_refund(market, order["id"], {line: 500}), 201)
    await runner.run()  # sent: WeChat Pay answers PROCESSING
    assert await refund_status(api, market, order["id"]) == ["pending"]

    await sim.process_due()  # the refund succeeds; REFUND.SUCCESS comes to its endpoint
    refund_call = inbox.deliveries[-1]
    assert urlsplit(refund_call.url).path == REFUNDS_NOTIFY
    assert await refund_status(api, market, order["id"]) == ["succeeded"]
    kinds = await entry_kinds(runtime, order["id"])
    assert kinds.count(EntryKind.REFUND) == 1

    replay = await client.post(
        REFUNDS_NOTIFY, content=refund_call.body, headers=refund_call.headers
    )
    assert replay.status_code == 200 and replay.json()["message"] == "already_applied"
    assert (await entry_kinds(runtime, order["id"])).count(EntryKind.REFUND) == 1
    assert (await report(runtime)).violations == []


async def test_forged_tampered_and_wrong_amount_refund_callbacks_change_nothing(
    api, client, runner, runtime, wechatpay, sim, cashier, inbox
):
    inbox.handler = forward_to(client, inbox)
    market, order = await paid_wechat_order(api, client, sim, cashier)
    inbox.handler, inbox.status = None, 500  # now the test hands the refund callbacks over
    line = (await api.order(market.shopper, order["id"]))["lines"][0]["id"]
    refund = expect(await ask_refund(market, order["id"], {line: 500}), 201)
    await runner.run()
    await sim.process_due()
    genuine = inbox.deliveries[-1]
    assert urlsplit(genuine.url).path == REFUNDS_NOTIFY

    forged = dict(
        genuine.headers,
        **{"Wechatpay-Signature": "AAAA" + genuine.headers["Wechatpay-Signature"][4:]},
    )
    assert (
        await client.post(REFUNDS_NOTIFY, content=genuine.body, headers=forged)
    ).status_code == 401
    tampered = genuine.body.replace(b'"ciphertext":"', b'"ciphertext":"A', 1)
    answer = await client.post(REFUNDS_NOTIFY, content=tampered, headers=genuine.headers)
    assert answer.status_code == 401

    # Correctly signed by the simulator, but for another amount than the refund asked.
    sim.notifier.enqueue(
        mchid=PLATFORM_MCHID,
        url=genuine.url,
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
            "amount": {"total": 1999, "refund": 1999, "payer_total": 1999, "payer_refund": 1999},
        },
    )
    await sim.process_due()
    wrong = inbox.deliveries[-1]
    answer = await client.post(REFUNDS_NOTIFY, content=wrong.body, headers=wrong.headers)
    assert answer.status_code == 200 and answer.json()["message"] == "amount_mismatch"
    assert await refund_status(api, market, order["id"]) == ["pending"]
    assert EntryKind.REFUND not in await entry_kinds(runtime, order["id"])

    # The genuine one, at last: applied.
    answer = await client.post(REFUNDS_NOTIFY, content=genuine.body, headers=genuine.headers)
    assert answer.json()["message"] == "applied"
    assert await refund_status(api, market, order["id"]) == ["succeeded"]
    assert (await report(runtime)).violations == []
