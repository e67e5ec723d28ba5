"""A shopper's after-sales requests through the API: amounts, negotiation, returns,
exchanges, disputes, and what each side may see."""

from __future__ import annotations

from sqlalchemy import select

from tests.aftersales.support import (
    RETURN_POLICY,
    ask,
    seen_by_shopper,
    set_policy,
    shopper_does,
    store_does,
)
from tests.ledger.support import complete, open_market, paid_order, report, ship
from tests.support import expect
from weshop.core.money import allocate
from weshop.inventory.models import StockLevel

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


async def available(runtime, sku_id: int) -> int:
    async with runtime.db.session(write=False) as session:
        return await session.scalar(select(StockLevel.available).where(StockLevel.sku_id == sku_id))


async def test_an_unshipped_refund_is_fast_refunded_and_its_units_come_back(api, runtime, runner):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[0], 3), (market.skus[1], 1)])
    before = await available(runtime, market.skus[0])
    line = order["lines"][0]

    asked = expect(await ask(market, order, quantity=2, key="ask-1"), 201)
    share = allocate(line["payable_fen"], [2, 1])[0]
    assert asked["max_fen"] == asked["amount_fen"] == share
    assert asked["status"] == "refunding" and asked["fast"] is True
    assert [step["action"] for step in asked["history"]] == ["request", "approve_refund"]
    assert await available(runtime, market.skus[0]) == before + 2

    await runner.run()
    done = await seen_by_shopper(market, asked["id"])
    assert done["status"] == "refunded" and done["finished_at"] is not None
    assert (await api.order(market.shopper, order["id"]))["refunded_fen"] == share
    # A retry with the same key answers the same request.
    again = expect(await ask(market, order, quantity=2, key="ask-1"), 201)
    assert again["id"] == asked["id"]
    assert (await report(runtime)).violations == []


async def test_the_last_units_of_an_unshipped_order_take_the_shipping_too(api, runtime, runner):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[0], 1)])
    asked = expect(await ask(market, order), 201)
    assert asked["shipping_fen"] == order["shipping_fen"] > 0
    assert asked["max_fen"] == order["payable_fen"]
    await runner.run()
    assert (await api.order(market.shopper, order["id"]))["refunded_fen"] == order["payable_fen"]


async def test_the_shopper_may_only_lower_the_amount(api):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[0], 1)])
    await ship(market, order["id"])
    await set_policy(market, fast_refund_threshold_fen=0)
    most = order["lines"][0]["payable_fen"]
    refused = expect(await ask(market, order, amount_fen=most + 1), 422)
    assert refused["error"]["code"] == "amount_above_refundable"
    asked = expect(await ask(market, order, amount_fen=most - 100), 201)
    assert asked["status"] == "requested" and asked["shipping_fen"] == 0
    raised = await shopper_does(market, asked["id"], "edit", {"amount_fen": most}, status=422)
    assert raised["error"]["code"] == "amount_above_refundable"
    await shopper_does(market, asked["id"], "edit", {"amount_fen": most - 200})
    assert (await seen_by_shopper(market, asked["id"]))["amount_fen"] == most - 200


async def test_negotiation_is_a_history_both_sides_see(api, runner):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[0], 2)])
    await ship(market, order["id"])
    await set_policy(market, fast_refund_threshold_fen=0)
    asked = expect(
        await ask(market, order, quantity=2, reason="not_received", note="快递一直没到"), 201
    )
    proposed = await store_does(
        market, asked["id"], "propose", {"amount_fen": 1000, "note": "部分"}
    )
    assert proposed["status"] == "proposed" and proposed["proposed_fen"] == 1000
    mine = await seen_by_shopper(market, asked["id"])
    assert mine["actions"] == ["accept", "edit", "escalate", "withdraw"]
    assert mine["note"] == "快递一直没到" and mine["reason_label"] == "未收到货"
    accepted = await shopper_does(market, asked["id"], "accept")
    assert accepted["status"] == "refunding" and accepted["amount_fen"] == 1000
    await runner.run()
    staff_view = expect(
        await api.client.get(market.merchant(f"/aftersales/{asked['id']}"), headers=market.owner),
        200,
    )
    assert [
        (s["actor"].split(":")[0], s["action"], s["amount_fen"]) for s in staff_view["history"]
    ] == [
        ("shopper", "request", asked["max_fen"]),
        ("staff", "propose", 1000),
        ("shopper", "accept_refund", 1000),
        ("payment", "refund_succeeded", None),
    ]
    assert staff_view["status"] == "refunded"
    # A finished request cannot move again: 409.
    again = await store_does(market, asked["id"], "approve", status=409)
    assert again["error"]["code"] == "illegal_transition"


async def test_a_return_with_a_photo_goes_back_to_stock_and_is_refunded(api, runtime, runner):
    market = await open_market(api)
    await set_policy(market, **RETURN_POLICY)
    order = await paid_order(market, [(market.skus[2], 2)])
    await complete(market, order["id"])
    photo = expect(
        await api.client.post(
            f"/api/v1/me/orders/{order['id']}/aftersales-photos",
            files={"file": ("broken.png", PNG, "image/png")},
            headers=market.shopper,
        ),
        201,
    )
    refund_only = expect(await ask(market, order), 422)
    assert refund_only["error"]["code"] == "kind_not_allowed"
    asked = expect(
        await ask(
            market, order, kind="return_and_refund", reason="damaged", photo_ids=[photo["id"]]
        ),
        201,
    )
    assert asked["photos"] == [{"id": photo["id"], "url": photo["url"]}]
    assert asked["return_address"] is None
    taken = expect(await ask(market, order, kind="return_and_refund", reason="damaged"), 409)
    assert taken["error"]["code"] == "request_open"

    approved = await store_does(market, asked["id"], "approve")
    assert approved["status"] == "awaiting_return"
    assert approved["return_address"]["phone"] == "137****1111"
    mine = await seen_by_shopper(market, asked["id"])
    assert mine["return_address"] == {
        "recipient": "售后部",
        "phone": "13700001111",
        "address": RETURN_POLICY["return_address"],
    }
    stock_before = await available(runtime, market.skus[2])
    await shopper_does(
        market, asked["id"], "return-shipment", {"carrier": "顺丰", "tracking_no": "SF1234567890"}
    )
    received = await store_does(market, asked["id"], "receipt")
    assert received["status"] == "refunding"
    assert await available(runtime, market.skus[2]) == stock_before + 1
    await runner.run()
    assert (await seen_by_shopper(market, asked["id"]))["status"] == "refunded"
    refunded = (await api.order(market.shopper, order["id"]))["refunded_fen"]
    assert refunded == allocate(order["lines"][0]["payable_fen"], [1, 1])[0]


async def test_an_exchange_moves_no_money(api, runtime, runner):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[0], 1)])
    await ship(market, order["id"])
    asked = expect(await ask(market, order, kind="exchange", reason="quality"), 201)
    assert asked["amount_fen"] == 0 and asked["status"] == "requested"
    await store_does(market, asked["id"], "approve")
    await shopper_does(
        market, asked["id"], "return-shipment", {"carrier": "中通", "tracking_no": "ZT00001111"}
    )
    received = await store_does(market, asked["id"], "receipt")
    assert received["status"] == "awaiting_exchange"
    done = await store_does(
        market, asked["id"], "exchange-shipment", {"carrier": "中通", "tracking_no": "ZT00002222"}
    )
    assert done["status"] == "exchanged" and done["refund_id"] is None
    await runner.run()
    assert (await api.order(market.shopper, order["id"]))["refunded_fen"] == 0


async def test_the_platform_decides_a_dispute_finally(api, runner):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[0], 1)])
    await ship(market, order["id"])
    await set_policy(market, fast_refund_threshold_fen=0)
    asked = expect(await ask(market, order, reason="not_as_described"), 201)
    await store_does(market, asked["id"], "reject", {"reason": "商品与描述一致"})
    await shopper_does(market, asked["id"], "escalate", {"note": "请平台介入"})
    operator = await api.operator()
    disputes = expect(await api.client.get("/api/v1/platform/aftersales", headers=operator), 200)
    assert [item["id"] for item in disputes["items"]] == [asked["id"]]
    assert disputes["items"][0]["actions"] == ["decide"]
    too_much = expect(
        await api.client.post(
            f"/api/v1/platform/aftersales/{asked['id']}/decision",
            json={"refund_fen": asked["max_fen"] + 1, "note": "退"},
            headers=operator,
        ),
        422,
    )
    assert too_much["error"]["code"] == "amount_above_refundable"
    decided = expect(
        await api.client.post(
            f"/api/v1/platform/aftersales/{asked['id']}/decision",
            json={"refund_fen": 500, "note": "商家证据不足，部分退款"},
            headers=operator,
        ),
        200,
    )
    assert decided["status"] == "refunding" and decided["dispute_outcome"] == "shopper_won"
    await runner.run()
    assert (await api.order(market.shopper, order["id"]))["refunded_fen"] == 500
    again = expect(
        await api.client.post(
            f"/api/v1/platform/aftersales/{asked['id']}/decision",
            json={"refund_fen": 0, "note": "改判"},
            headers=operator,
        ),
        409,
    )
    assert again["error"]["code"] == "illegal_transition"


async def test_a_lost_dispute_ends_fast_refunds(api, runner):
    market = await open_market(api)
    first = await paid_order(market, [(market.skus[0], 1)])
    await ship(market, first["id"])
    asked = expect(await ask(market, first), 201)
    assert asked["fast"] is True  # shipped, under the threshold, a clean record
    await runner.run()
    second = await paid_order(market, [(market.skus[1], 1)])
    await ship(market, second["id"])
    await set_policy(market, fast_refund_threshold_fen=0)
    disputed = expect(await ask(market, second), 201)
    await shopper_does(market, disputed["id"], "escalate")
    operator = await api.operator()
    expect(
        await api.client.post(
            f"/api/v1/platform/aftersales/{disputed['id']}/decision",
            json={"refund_fen": 0, "note": "已签收"},
            headers=operator,
        ),
        200,
    )
    third = await paid_order(market, [(market.skus[3], 1)])
    await set_policy(market, fast_refund_threshold_fen=5000)
    late = expect(await ask(market, third), 201)
    assert late["fast"] is False and late["status"] == "requested"


async def test_others_see_nothing_of_a_request(api):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[0], 1)])
    await ship(market, order["id"])
    await set_policy(market, fast_refund_threshold_fen=0)
    asked = expect(await ask(market, order), 201)
    stranger = await api.sign_in()
    assert (
        await api.client.get(f"/api/v1/me/aftersales/{asked['id']}", headers=stranger)
    ).status_code == 404
    mine = expect(await api.client.get("/api/v1/me/aftersales", headers=stranger), 200)
    assert mine["items"] == []
    not_theirs = expect(await ask(market, order, shopper=stranger), 404)
    assert not_theirs["error"]["code"] == "not_found"
    other = await open_market(api)
    for path in (f"/aftersales/{asked['id']}", f"/aftersales/{asked['id']}/approve"):
        method = api.client.get if path.endswith(str(asked["id"])) else api.client.post
        kwargs = {} if method == api.client.get else {"json": {}}
        answer = await method(other.merchant(path), headers=other.owner, **kwargs)
        assert answer.status_code == 404
    listed = expect(await api.client.get(other.merchant("/aftersales"), headers=other.owner), 200)
    assert listed["items"] == []
    ours = expect(await api.client.get(market.merchant("/aftersales"), headers=market.owner), 200)
    assert [item["id"] for item in ours["items"]] == [asked["id"]]


async def test_store_counts(api, runner):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[0], 1), (market.skus[1], 1)])
    fast = expect(await ask(market, order, line=0), 201)
    await runner.run()
    await ship(market, order["id"])
    await set_policy(market, fast_refund_threshold_fen=0)
    expect(await ask(market, order, line=1), 201)
    stats = expect(
        await api.client.get(market.merchant("/aftersales/stats"), headers=market.owner), 200
    )
    assert stats["open_by_status"] == {"requested": 1}
    assert stats["due_within_24h"] == 0 and stats["overdue"] == 0
    assert stats["refunded_fen_30d"] == fast["amount_fen"]
    assert stats["paid_fen_30d"] == order["payable_fen"]
    assert stats["refund_rate"] == fast["amount_fen"] / order["payable_fen"]
    assert stats["dispute_rate"] == 0.0
    assert stats["median_refund_seconds_30d"] is not None
