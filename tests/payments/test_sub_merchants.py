"""Partner mode: each store is paid through its own sub-merchant, recorded by the operator
or obtained through an onboarding application; a store without one cannot take WeChat Pay."""

from __future__ import annotations

from tests.orders.conftest import open_shop
from tests.paysim.test_applyments import FORM
from tests.support import expect
from weshop.paysim.identity import READY_SUB_MCHID


def accounts_path(store_id: int) -> str:
    return f"/api/v1/platform/stores/{store_id}/payment-accounts/wechatpay"


async def wechat_payment(api, client, shop) -> tuple[dict, object]:
    placed = expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)]), 201
    )
    order = placed["orders"][0]
    answer = await client.post(
        f"/api/v1/me/orders/{order['id']}/payments",
        params={"provider": "wechatpay"},
        headers=shop.shopper,
    )
    return order, answer


async def test_a_store_without_sub_merchant_cannot_take_wechat_pay(api, client, wechatpay):
    shop = await open_shop(api)
    _, answer = await wechat_payment(api, client, shop)
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "store_has_no_sub_merchant"


async def test_a_recorded_sub_merchant_is_paid_and_closed_through(
    api, client, runner, wechatpay, partner
):
    shop = await open_shop(api)
    operator = await api.operator()
    path = accounts_path(shop.store["id"])
    recorded = expect(
        await client.put(path, json={"sub_mchid": READY_SUB_MCHID}, headers=operator), 200
    )
    assert recorded["sub_mchid"] == READY_SUB_MCHID
    assert expect(await client.get(path, headers=operator), 200) == recorded

    order, answer = await wechat_payment(api, client, shop)
    payment = expect(answer, 201)  # H5: the payer's IP went along
    at_sim = await partner.transactions.query(payment["out_trade_no"], sub_mchid=READY_SUB_MCHID)
    assert at_sim["sub_mchid"] == READY_SUB_MCHID
    assert at_sim["trade_state"] == "NOTPAY"

    expect(
        await client.post(f"/api/v1/me/orders/{order['id']}/cancel", json={}, headers=shop.shopper),
        200,
    )
    await runner.run()
    at_sim = await partner.transactions.query(payment["out_trade_no"], sub_mchid=READY_SUB_MCHID)
    assert at_sim["trade_state"] == "CLOSED"


async def test_an_applyment_gives_the_store_its_sub_merchant(api, client, wechatpay, clock):
    shop = await open_shop(api)
    operator = await api.operator()
    path = f"{accounts_path(shop.store['id'])}/applyment"
    submitted = expect(await client.post(path, json={"form": FORM}, headers=operator), 200)
    assert submitted["out_request_no"]
    assert submitted["sub_mchid"] is None
    again = expect(await client.post(path, json={"form": FORM}, headers=operator), 200)
    assert again["out_request_no"] == submitted["out_request_no"]

    auditing = expect(await client.post(f"{path}/refresh", headers=operator), 200)
    assert auditing["applyment_state"] == "AUDITING"
    assert auditing["sub_mchid"] is None
    clock.advance(seconds=31)
    finished = expect(await client.post(f"{path}/refresh", headers=operator), 200)
    assert finished["applyment_state"] == "FINISH"
    assert finished["sub_mchid"]
    _, answer = await wechat_payment(api, client, shop)
    expect(answer, 201)


async def test_payment_accounts_are_for_operators_of_existing_stores(api, client, runtime):
    shop = await open_shop(api)
    operator = await api.operator()
    missing = await client.put(
        accounts_path(999999), json={"sub_mchid": READY_SUB_MCHID}, headers=operator
    )
    assert missing.status_code == 404
    unknown = await client.post(
        f"{accounts_path(999999)}/applyment", json={"form": FORM}, headers=operator
    )
    assert unknown.status_code == 404
    assert (await client.get(accounts_path(999999), headers=operator)).status_code == 404
    path = accounts_path(shop.store["id"])
    assert (await client.get(path, headers=shop.owner)).status_code == 403
    refused = await client.post(f"{path}/applyment", json={"form": FORM}, headers=operator)
    assert refused.status_code == 409  # WeChat Pay is not configured in this runtime
    assert refused.json()["error"]["code"] == "wechatpay_not_configured"
    bad = await client.put(path, json={"sub_mchid": "not-a-number"}, headers=operator)
    assert bad.status_code == 422
