"""A bought bargain whose order's money goes back becomes refunded: a staff refund of the
whole bargained line (the unit stays sold, as regular stock does), or a cancellation after
payment (the unit comes back, as regular stock does); figures do not count it as bought."""

from __future__ import annotations

from tests.bargain.conftest import code_of, helped_to_floor, open_campaign, start, started
from tests.bargain.test_buying import buy, campaign_row
from tests.orders.test_console import HTML, use_session
from tests.support import expect


async def bought_bargain(api, runner, **terms):
    setup = await open_campaign(api, helps_needed=2, floor_price_fen=990, **terms)
    shopper, bargain = await started(api, setup.campaign["id"])
    address = (await api.add_address(shopper))["id"]
    await helped_to_floor(api, bargain)
    order = expect(await buy(api, shopper, bargain["id"], address), 201)["orders"][0]
    await api.confirm_in_cashier(await api.start_payment(shopper, order["id"]))
    await runner.run()
    return setup, shopper, bargain, await api.order(shopper, order["id"])


async def staff_refund(api, setup, order_id: int, line_id: int, amount_fen: int):
    return expect(
        await api.client.post(
            f"/api/v1/merchant/stores/{setup.store_id}/orders/{order_id}/refunds",
            json={"lines": [{"order_line_id": line_id, "amount_fen": amount_fen}]},
            headers=setup.owner,
        ),
        201,
    )


async def mine(api, shopper, bargain_id: int) -> dict:
    return expect(await api.client.get(f"/api/v1/me/bargains/{bargain_id}", headers=shopper), 200)


async def figures(api, setup) -> dict:
    return expect(await api.client.get(f"{setup.base}/figures", headers=setup.owner), 200)


async def test_a_staff_refund_of_the_whole_line_refunds_the_bargain(api, runtime, runner, client):
    setup, shopper, bargain, order = await bought_bargain(api, runner)
    [line] = order["lines"]
    assert order["paid_fen"] == line["payable_fen"] == 990

    await staff_refund(api, setup, order["id"], line["id"], 400)
    await runner.run()
    assert (await mine(api, shopper, bargain["id"]))["status"] == "bought"

    await staff_refund(api, setup, order["id"], line["id"], 590)
    await runner.run()
    assert (await api.order(shopper, order["id"]))["refunded_fen"] == 990
    refunded = await mine(api, shopper, bargain["id"])
    assert (refunded["status"], refunded["order_id"], refunded["can_buy"]) == (
        "refunded",
        order["id"],
        False,
    )
    counts = await figures(api, setup)
    assert (counts["started"], counts["reached_floor"], counts["bought"]) == (1, 1, 0)
    assert (counts["refunded"], counts["buy_rate"], counts["gmv_fen"]) == (1, 0.0, 0)
    listed = expect(
        await api.client.get(f"{setup.base}/bargains?status=refunded", headers=setup.owner), 200
    )
    assert [b["id"] for b in listed["items"]] == [bargain["id"]]

    # No stock came back (the goods went out): the unit stays sold, the shopper's limit used.
    assert (await campaign_row(runtime, setup.campaign["id"])).sold == 1
    again = await start(api.client, shopper, setup.campaign["id"])
    assert (again.status_code, code_of(again)) == (409, "limit_reached")
    address = (await api.add_address(shopper))["id"]
    rebuy = await buy(api, shopper, bargain["id"], address)
    assert (rebuy.status_code, code_of(rebuy)) == (409, "bargain_refunded")

    use_session(client, setup.owner)
    console = await client.get(
        f"/console/stores/{setup.store_id}/bargain/{setup.campaign['id']}", headers=HTML
    )
    assert "已退款" in console.text and "已退款 1 个" in console.text
    use_session(client, shopper)
    assert "已退款" in (await client.get(f"/bargain/{bargain['id']}", headers=HTML)).text


async def test_cancelling_a_paid_bargain_order_refunds_it_and_gives_the_unit_back(
    api, runtime, runner
):
    setup, shopper, bargain, order = await bought_bargain(api, runner, stock=1)
    assert (await campaign_row(runtime, setup.campaign["id"])).sold == 1
    expect(
        await api.client.post(
            f"/api/v1/me/orders/{order['id']}/cancel", json={"reason": "不想要了"}, headers=shopper
        ),
        200,
    )
    assert (await mine(api, shopper, bargain["id"]))["status"] == "refunded"
    await runner.run()
    assert (await api.order(shopper, order["id"]))["refunded_fen"] == 990
    assert (await mine(api, shopper, bargain["id"]))["status"] == "refunded"
    assert (await campaign_row(runtime, setup.campaign["id"])).sold == 0
    counts = await figures(api, setup)
    assert (counts["bought"], counts["refunded"]) == (0, 1)
    # Stock and the shopper's limit came back with the order's: a new bargain may start.
    expect(await start(api.client, shopper, setup.campaign["id"]), 201)
