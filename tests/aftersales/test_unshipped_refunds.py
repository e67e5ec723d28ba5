"""Units refunded before they shipped are no longer to ship: the order ships the rest, moves
on as if fully shipped once nothing is left, and closes when nothing shipped at all."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.aftersales.support import ask, store_does
from tests.aftersales.test_pages import as_
from tests.aftersales.test_requests import available
from tests.ledger.support import open_market, paid_order, report, ship
from tests.orders.test_pickup import pickup_body, pickup_shop, verify
from tests.storefront import HTML
from tests.support import expect
from weshop.payments.models import Refund


async def _ship(market, order_id: int, items: list[tuple[int, int]] | None = None):
    package: dict = {"carrier": "顺丰", "tracking_no": f"SF{order_id:06d}{len(items or [])}"}
    if items is not None:
        package["items"] = [{"order_line_id": line, "quantity": q} for line, q in items]
    return await market.api.client.post(
        market.merchant(f"/orders/{order_id}/shipments"),
        json={"packages": [package]},
        headers=market.owner,
    )


async def test_refunded_units_are_not_shipped(api, client, runtime, runner):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[0], 3), (market.skus[1], 1)])
    line = order["lines"][0]
    expect(await ask(market, order, quantity=2), 201)
    await runner.run()

    seen = await api.order(market.shopper, order["id"])
    assert seen["lines"][0]["refunded_quantity"] == 2
    assert seen["lines"][0]["left_to_ship"] == 1
    refused = expect(await _ship(market, order["id"], [(line["id"], 3)]), 422)
    assert refused["error"]["code"] == "over_shipped"
    assert refused["error"]["details"]["left"] == 1

    as_(client, market.owner)
    page = await client.get(f"/console/stores/{market.store_id}/orders/{order['id']}", headers=HTML)
    assert page.status_code == 200 and 'max="1"' in page.text and 'max="3"' not in page.text

    await ship(market, order["id"])
    shipped = await api.order(market.shopper, order["id"])
    assert shipped["status"] == "shipped" and shipped["auto_confirm_at"] is not None
    assert [line["shipped_quantity"] for line in shipped["lines"]] == [1, 1]
    assert (await report(runtime)).violations == []


async def test_giving_back_the_last_unshipped_units_ships_the_order(api, runtime, runner):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[0], 2), (market.skus[1], 1)])
    expect(await _ship(market, order["id"], [(order["lines"][1]["id"], 1)]), 200)
    assert (await api.order(market.shopper, order["id"]))["status"] == "partially_shipped"

    asked = expect(await ask(market, order, quantity=2), 201)
    assert asked["status"] == "refunding"
    moved = await api.order(market.shopper, order["id"])
    assert moved["status"] == "shipped" and moved["auto_confirm_at"] is not None
    assert moved["history"][-1]["action"] == "ship"
    await runner.run()
    confirmed = await api.client.post(
        f"/api/v1/me/orders/{order['id']}/confirm-receipt", headers=market.shopper
    )
    assert expect(confirmed, 200)["status"] == "completed"
    assert (await report(runtime)).violations == []


async def test_an_order_given_back_whole_before_shipping_closes(api, runtime, runner):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[0], 2)])
    expect(await ask(market, order, quantity=1), 201)
    await runner.run()
    assert (await api.order(market.shopper, order["id"]))["status"] == "paid"

    expect(await ask(market, order, quantity=1), 201)
    closed = await api.order(market.shopper, order["id"])
    assert closed["status"] == "cancelled"
    assert closed["history"][-1]["action"] == "refund_all"
    assert closed["history"][-1]["from_status"] == "paid"
    await runner.run()

    closed = await api.order(market.shopper, order["id"])
    assert closed["refunded_fen"] == order["payable_fen"]
    async with runtime.db.session(write=False) as session:
        refunds = await session.scalar(
            select(func.count()).select_from(Refund).where(Refund.order_id == order["id"])
        )
    assert refunds == 2  # the two requests' refunds, none for the closing
    refused = expect(await _ship(market, order["id"]), 409)
    assert refused["error"]["code"] == "illegal_transition"
    assert (await report(runtime)).violations == []


async def test_a_partly_shipped_line_gives_back_only_what_is_left_to_ship(api, runtime, runner):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[0], 3)])
    line = order["lines"][0]
    expect(await _ship(market, order["id"], [(line["id"], 1)]), 200)
    before = await available(runtime, market.skus[0])

    asked = expect(await ask(market, order, quantity=3), 201)
    await store_does(market, asked["id"], "approve")
    await runner.run()
    seen = await api.order(market.shopper, order["id"])
    assert seen["lines"][0]["refunded_quantity"] == 2
    assert seen["status"] == "shipped" and seen["auto_confirm_at"] is not None
    assert await available(runtime, market.skus[0]) == before + 2
    assert (await report(runtime)).violations == []


async def test_a_pickup_order_given_back_whole_closes_and_its_code_completes_nothing(
    api, client, runner
):
    shop, point = await pickup_shop(api)
    placed = await client.post(
        "/api/v1/me/orders", json=pickup_body(shop, point, quantity=2), headers=shop.shopper
    )
    order = expect(placed, 201)["orders"][0]
    await api.confirm_in_cashier(await api.start_payment(shop.shopper, order["id"]))
    order = await api.order(shop.shopper, order["id"])

    async def refund_one() -> None:
        answer = await client.post(
            "/api/v1/me/aftersales",
            json={
                "order_id": order["id"],
                "order_line_id": order["lines"][0]["id"],
                "quantity": 1,
                "kind": "refund_only",
                "reason_code": "changed_mind",
            },
            headers=shop.shopper,
        )
        assert expect(answer, 201)["status"] == "refunding"
        await runner.run()

    await refund_one()
    assert (await api.order(shop.shopper, order["id"]))["status"] == "paid"
    await refund_one()
    closed = await api.order(shop.shopper, order["id"])
    assert closed["status"] == "cancelled" and closed["history"][-1]["action"] == "refund_all"
    assert closed["refunded_fen"] == closed["paid_fen"]
    assert (await verify(client, shop, order["pickup"]["code"])).status_code == 409


async def test_goods_collected_at_a_pickup_point_can_be_returned(api, client, runner):
    """A picked-up order was never shipped, but its goods were received: the shopper may ask
    for a return of them (not for more than were collected)."""
    shop, point = await pickup_shop(api)
    placed = await client.post(
        "/api/v1/me/orders", json=pickup_body(shop, point, quantity=2), headers=shop.shopper
    )
    order = expect(placed, 201)["orders"][0]
    await api.confirm_in_cashier(await api.start_payment(shop.shopper, order["id"]))
    order = await api.order(shop.shopper, order["id"])

    def asked(quantity: int) -> dict:
        return {
            "order_id": order["id"],
            "order_line_id": order["lines"][0]["id"],
            "quantity": quantity,
            "kind": "return_and_refund",
            "reason_code": "quality",
        }

    early = await client.post("/api/v1/me/aftersales", json=asked(1), headers=shop.shopper)
    assert expect(early, 422)["error"]["code"] == "not_shipped"
    expect(await verify(client, shop, order["pickup"]["code"]), 200)
    too_many = await client.post("/api/v1/me/aftersales", json=asked(3), headers=shop.shopper)
    assert too_many.status_code == 422
    answer = await client.post("/api/v1/me/aftersales", json=asked(2), headers=shop.shopper)
    assert expect(answer, 201)["status"] == "requested"
