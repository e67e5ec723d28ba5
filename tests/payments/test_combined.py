"""One payment for a multi-store checkout (合单支付): through WeChat Pay in partner mode
against the simulator, and through the sandbox. Each store's money lands in its own
sub-merchant's funds; refunds stay per order; the callback is applied once per order."""

from __future__ import annotations

import asyncio
from collections import Counter
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from tests.orders.conftest import open_shop
from tests.orders.test_checkout_promotions import coupon_of
from tests.paysim.fixtures import pay_at_cashier
from tests.promotions.conftest import create_template
from tests.support import expect
from weshop.ledger.models import EntryKind, JournalEntry
from weshop.payments.descriptions import DESCRIPTION_MAX_BYTES
from weshop.paysim import funds
from weshop.paysim.identity import PLATFORM_MCHID


async def three_store_checkout(api, client, *, sub_merchants: list[str] | None = None):
    """Three stores (each with a product, and a sub-merchant when given) and a shopper's
    checkout of one item from each: the shopper's headers, the placed checkout and each
    store's owner by store id."""
    operator = await api.operator()
    skus, owners = [], {}
    for index, name in enumerate(("山野农场", "海边渔家", "云上茶园")):
        store, owner = await api.create_store(operator, name)
        product = await api.create_product(
            store["id"], owner, title=f"好物{index}", price_fen=1000 * (index + 1) + 1
        )
        skus.append(product["skus"][0]["id"])
        owners[store["id"]] = owner
        if sub_merchants is not None:
            expect(
                await client.put(
                    f"/api/v1/platform/stores/{store['id']}/payment-accounts/wechatpay",
                    json={"sub_mchid": sub_merchants[index]},
                    headers=operator,
                ),
                200,
            )
    shopper = await api.sign_in()
    address = await api.add_address(shopper)
    placed = expect(await api.place_order(shopper, address["id"], [(sku, 1) for sku in skus]), 201)
    assert len(placed["orders"]) == 3
    return shopper, placed, owners


async def test_a_three_store_checkout_is_paid_once_through_paysim_each_store_its_own_money(
    api, client, runner, runtime, wechatpay, sim, cashier, inbox
) -> None:
    async def to_weshop(headers, body: bytes) -> int:
        path = urlsplit(inbox.deliveries[-1].url).path
        return (await client.post(path, content=body, headers=dict(headers))).status_code

    inbox.handler = to_weshop
    subs = [sim.open_sub_merchant(name) for name in ("山野农场", "海边渔家", "云上茶园")]
    shopper, placed, owners = await three_store_checkout(api, client, sub_merchants=subs)
    url = f"/api/v1/checkouts/{placed['checkout_no']}/payments"
    paying = expect(
        await client.post(
            url, params={"provider": "wechatpay"}, headers={**shopper, "Idempotency-Key": "k1"}
        ),
        201,
    )
    assert paying["kind"] == "combined"
    assert paying["amount_fen"] == placed["payable_fen"]
    assert [line["store_name"] for line in paying["orders"]] == ["山野农场", "海边渔家", "云上茶园"]
    again = expect(await client.post(url, params={"provider": "wechatpay"}, headers=shopper), 201)
    assert again["combine_out_trade_no"] == paying["combine_out_trade_no"]

    # What WeChat Pay was told: each store's part, described in Chinese with its name.
    combined = sim.combining.find(PLATFORM_MCHID, paying["combine_out_trade_no"])
    parts = sim.combining.sub_transactions(combined)
    assert [part["sub_mchid"] for part in parts] == subs
    for part, order in zip(parts, placed["orders"], strict=True):
        assert part["description"].endswith(f" - 订单 {order['order_no']}")
        assert len(part["description"].encode()) <= DESCRIPTION_MAX_BYTES
    assert parts[0]["description"].startswith("山野农场")

    assert (await pay_at_cashier(cashier, h5_url=paying["cashier_url"])).status_code == 200
    await sim.process_due()
    for order in placed["orders"]:
        assert (await api.order(shopper, order["id"]))["status"] == "paid"
        balance = funds.balance(sim.store, f"mch:{subs[placed['orders'].index(order)]}")
        assert balance == (0, order["payable_fen"])
    assert funds.balance(sim.store, f"mch:{PLATFORM_MCHID}") == (0, 0)

    # The callback again (WeChat Pay resends until acknowledged) changes nothing.
    replay = inbox.deliveries[-1]
    answer = await client.post(
        urlsplit(replay.url).path, content=replay.body, headers=replay.headers
    )
    assert answer.status_code == 200 and set(answer.json()["message"].split(",")) == {
        "already_applied"
    }

    # A refund of one store's order touches that store's sub-merchant only.
    first = await api.order(shopper, placed["orders"][0]["id"])
    owner_of_first = owners[first["store_id"]]
    line = first["lines"][0]
    expect(
        await client.post(
            f"/api/v1/merchant/stores/{first['store_id']}/orders/{first['id']}/refunds",
            json={"lines": [{"order_line_id": line["id"], "amount_fen": 500}]},
            headers={**owner_of_first, "Idempotency-Key": "refund-1"},
        ),
        201,
    )
    await runner.run()
    await sim.process_due()
    await runner.run()
    assert funds.balance(sim.store, f"mch:{subs[0]}") == (0, first["payable_fen"] - 500)
    for index in (1, 2):
        assert funds.balance(sim.store, f"mch:{subs[index]}") == (
            0,
            placed["orders"][index]["payable_fen"],
        )
    refreshed = await api.order(shopper, first["id"])
    assert refreshed["refunded_fen"] == 500


async def test_the_sandbox_pays_a_checkout_once_and_the_result_lists_every_order(
    api, client, runner
) -> None:
    shopper, placed, _ = await three_store_checkout(api, client)
    checkout = placed["checkout_no"]
    paying = expect(
        await client.post(f"/api/v1/checkouts/{checkout}/payments", headers=shopper), 201
    )
    assert paying["kind"] == "combined" and paying["provider"] == "sandbox"
    path = httpx.URL(paying["cashier_url"]).path
    page = await client.get(path)
    assert page.status_code == 200 and "山野农场" in page.text and "云上茶园" in page.text
    paid = expect(await client.post(f"{path}/confirm"), 200)
    assert paid["amount_fen"] == placed["payable_fen"] and paid["callbacks_acknowledged"] == 1
    for order in placed["orders"]:
        assert (await api.order(shopper, order["id"]))["status"] == "paid"
    # Paid: nothing is left to pay.
    nothing = await client.post(f"/api/v1/checkouts/{checkout}/payments", headers=shopper)
    assert nothing.status_code == 409 and nothing.json()["error"]["code"] == "checkout_not_payable"


async def test_a_channel_the_provider_cannot_take_is_refused_and_nothing_is_started(
    api, client
) -> None:
    shopper, placed, _ = await three_store_checkout(api, client)
    path = f"/api/v1/checkouts/{placed['checkout_no']}/payments"
    # The sandbox pays at its own page only: no WeChat client to hand a prepay to.
    refused = await client.post(path, params={"channel": "jsapi"}, headers=shopper)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "payment_channel_unsupported"
    paying = expect(await client.post(path, headers=shopper), 201)
    assert paying["kind"] == "combined" and paying["channel"] == "h5"


async def test_another_shoppers_checkout_answers_404(api, client) -> None:
    _, placed, _ = await three_store_checkout(api, client)
    stranger = await api.sign_in()
    answer = await client.post(
        f"/api/v1/checkouts/{placed['checkout_no']}/payments", headers=stranger
    )
    assert answer.status_code == 404
    unknown = await client.post("/api/v1/checkouts/C0000/payments", headers=stranger)
    assert unknown.status_code == 404


async def test_cancelling_one_order_closes_the_combined_payment_and_the_rest_stays_payable(
    api, client, runner
) -> None:
    shopper, placed, _ = await three_store_checkout(api, client)
    checkout = placed["checkout_no"]
    first = expect(
        await client.post(f"/api/v1/checkouts/{checkout}/payments", headers=shopper), 201
    )
    expect(
        await client.post(
            f"/api/v1/me/orders/{placed['orders'][0]['id']}/cancel", json={}, headers=shopper
        ),
        200,
    )
    await runner.run()  # the cancelled order's open payments close: the combined one too
    closed = await client.post(f"{httpx.URL(first['cashier_url']).path}/confirm")
    assert closed.status_code == 409
    second = expect(
        await client.post(f"/api/v1/checkouts/{checkout}/payments", headers=shopper), 201
    )
    assert second["kind"] == "combined"
    assert second["combine_out_trade_no"] != first["combine_out_trade_no"]
    assert second["amount_fen"] == sum(o["payable_fen"] for o in placed["orders"][1:])
    # The second order is paid alone from "my orders": the combined payment closes again,
    # and the checkout's last order is then paid by its ordinary payment.
    alone = await api.start_payment(shopper, placed["orders"][1]["id"])
    await api.confirm_in_cashier(alone)
    last = expect(await client.post(f"/api/v1/checkouts/{checkout}/payments", headers=shopper), 201)
    assert last["kind"] == "single"
    assert last["amount_fen"] == placed["orders"][2]["payable_fen"]
    await api.confirm_in_cashier(last)
    statuses = [(await api.order(shopper, o["id"]))["status"] for o in placed["orders"]]
    assert statuses == ["cancelled", "paid", "paid"]


async def test_an_order_of_0_fen_in_the_checkout_is_paid_at_once_the_rest_together(
    api, client
) -> None:
    shop = await open_shop(api, price_fen=1)
    terms = {"kind": "no_threshold", "threshold_fen": None, "amount_off_fen": 500}
    template = await create_template(api, shop.store["id"], shop.owner, **terms)
    await coupon_of(api, shop.shopper, template["id"])
    operator = await api.operator()
    items = [(shop.sku_id, 1)]
    for name in ("海边渔家", "云上茶园"):
        store, owner = await api.create_store(operator, name)
        product = await api.create_product(store["id"], owner, price_fen=2000)
        items.append((product["skus"][0]["id"], 1))
    placed = expect(await api.place_order(shop.shopper, shop.address["id"], items), 201)
    free = placed["orders"][0]
    assert free["payable_fen"] == 0
    paying = expect(
        await client.post(
            f"/api/v1/checkouts/{placed['checkout_no']}/payments", headers=shop.shopper
        ),
        201,
    )
    assert paying["kind"] == "combined" and paying["amount_fen"] == 4000
    assert (await api.order(shop.shopper, free["id"]))["status"] == "paid"
    await api.confirm_in_cashier(paying)
    for order in placed["orders"]:
        assert (await api.order(shop.shopper, order["id"]))["status"] == "paid"


async def test_the_same_combined_callback_at_once_many_times_pays_each_order_once(
    api, client, runtime, wechatpay, sim, cashier, inbox
) -> None:
    inbox.status = 500  # WeShop does not hear it yet: the callback is sent below, at once
    subs = [sim.open_sub_merchant(name) for name in ("山野农场", "海边渔家", "云上茶园")]
    shopper, placed, _ = await three_store_checkout(api, client, sub_merchants=subs)
    paying = expect(
        await client.post(
            f"/api/v1/checkouts/{placed['checkout_no']}/payments",
            params={"provider": "wechatpay"},
            headers=shopper,
        ),
        201,
    )
    await pay_at_cashier(cashier, h5_url=paying["cashier_url"])
    (delivery,) = inbox.deliveries
    answers = await asyncio.gather(
        *(
            client.post(
                urlsplit(delivery.url).path, content=delivery.body, headers=delivery.headers
            )
            for _ in range(6)
        )
    )
    assert all(answer.status_code == 200 for answer in answers)
    outcomes = Counter(
        outcome for answer in answers for outcome in answer.json()["message"].split(",")
    )
    assert outcomes == {"applied": 3, "already_applied": 15}
    async with runtime.db.session(write=False) as session:
        entries = Counter(
            await session.scalars(
                select(JournalEntry.order_id).where(JournalEntry.kind == EntryKind.PAYMENT)
            )
        )
    for order in placed["orders"]:
        assert (await api.order(shopper, order["id"]))["paid_fen"] == order["payable_fen"]
        assert entries[order["id"]] == 1
