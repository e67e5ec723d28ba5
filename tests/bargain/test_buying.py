"""Buying a bargain: at the floor (or earlier when allowed) through the one checkout, paid
like any order; the order's payment marks the bargain bought, an unpaid order gives it back;
the campaign's stock and the per-shopper limit hold; bargains expire by outbox deadline."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from tests.bargain.conftest import code_of, help_, helped_to_floor, open_campaign, started
from tests.support import expect
from weshop.bargain.models import BargainCampaign
from weshop.core.clock import utcnow
from weshop.orders.models import Order


async def buy(api, shopper, bargain_id: int, address_id: int, **extra):
    return await api.client.post(
        f"/api/v1/me/bargains/{bargain_id}/orders",
        json={"address_id": address_id, **extra},
        headers=shopper,
    )


async def campaign_row(runtime, campaign_id: int) -> BargainCampaign:
    async with runtime.db.session(write=False) as session:
        row = await session.get(BargainCampaign, campaign_id)
        assert row is not None
        return row


async def order_row(runtime, order_id: int) -> Order:
    async with runtime.db.session(write=False) as session:
        row = await session.scalar(select(Order).where(Order.id == order_id))
        assert row is not None
        return row


async def test_a_bargain_at_its_floor_is_bought_and_paid(api, runtime, runner):
    setup = await open_campaign(api, helps_needed=3, floor_price_fen=990)
    shopper, bargain = await started(api, setup.campaign["id"])
    address = (await api.add_address(shopper))["id"]
    early = await buy(api, shopper, bargain["id"], address)
    assert (early.status_code, code_of(early)) == (409, "floor_not_reached")

    await helped_to_floor(api, bargain)
    mine = expect(
        await api.client.get(f"/api/v1/me/bargains/{bargain['id']}", headers=shopper), 200
    )
    assert mine["can_buy"] is True
    placed = expect(await buy(api, shopper, bargain["id"], address), 201)
    [order] = placed["orders"]
    assert order["lines"][0]["unit_price_fen"] == 990
    row = await order_row(runtime, order["id"])
    assert (row.campaign_kind, row.campaign_id, row.campaign_entry_id) == (
        "bargain",
        setup.campaign["id"],
        bargain["id"],
    )
    assert (await campaign_row(runtime, setup.campaign["id"])).sold == 1
    again = await buy(api, shopper, bargain["id"], address)
    assert (again.status_code, code_of(again)) == (409, "bargain_ordered")

    await api.confirm_in_cashier(await api.start_payment(shopper, order["id"]))
    await runner.run()
    assert (await api.order(shopper, order["id"]))["status"] == "paid"
    mine = expect(
        await api.client.get(f"/api/v1/me/bargains/{bargain['id']}", headers=shopper), 200
    )
    assert (mine["status"], mine["order_id"], mine["can_buy"]) == ("bought", order["id"], False)

    figures = expect(await api.client.get(f"{setup.base}/figures", headers=setup.owner), 200)
    assert (figures["started"], figures["reached_floor"], figures["bought"]) == (1, 1, 1)
    assert figures["buy_rate"] == 1.0 and figures["gmv_fen"] == row.payable_fen


async def test_an_order_left_unpaid_gives_the_bargain_back(api, runtime, runner):
    setup = await open_campaign(api, helps_needed=2)
    shopper, bargain = await started(api, setup.campaign["id"])
    address = (await api.add_address(shopper))["id"]
    await helped_to_floor(api, bargain)
    first = expect(await buy(api, shopper, bargain["id"], address), 201)["orders"][0]
    await runner.run(utcnow() + timedelta(hours=1))
    assert (await api.order(shopper, first["id"]))["status"] == "cancelled"
    mine = expect(
        await api.client.get(f"/api/v1/me/bargains/{bargain['id']}", headers=shopper), 200
    )
    assert (mine["status"], mine["order_id"]) == ("reached_floor", None)
    assert (await campaign_row(runtime, setup.campaign["id"])).sold == 0
    second = expect(await buy(api, shopper, bargain["id"], address), 201)["orders"][0]
    assert second["id"] != first["id"]


async def test_the_campaign_stock_holds(api):
    setup = await open_campaign(api, helps_needed=1, stock=1)
    buyers = []
    for _ in range(2):
        shopper, bargain = await started(api, setup.campaign["id"])
        await helped_to_floor(api, bargain)
        buyers.append((shopper, bargain, (await api.add_address(shopper))["id"]))
    expect(await buy(api, *buyers[0][:1], buyers[0][1]["id"], buyers[0][2]), 201)
    refused = await buy(api, buyers[1][0], buyers[1][1]["id"], buyers[1][2])
    assert (refused.status_code, code_of(refused)) == (409, "sold_out")
    late = await api.sign_in()
    answer = await api.client.post(
        "/api/v1/me/bargains", json={"campaign_id": setup.campaign["id"]}, headers=late
    )
    assert (answer.status_code, code_of(answer)) == (409, "sold_out")


async def test_a_shopper_at_the_limit_cannot_start_again(api, runner):
    setup = await open_campaign(api, helps_needed=1)
    shopper, bargain = await started(api, setup.campaign["id"])
    address = (await api.add_address(shopper))["id"]
    await helped_to_floor(api, bargain)
    order = expect(await buy(api, shopper, bargain["id"], address), 201)["orders"][0]
    await api.confirm_in_cashier(await api.start_payment(shopper, order["id"]))
    await runner.run()
    again = await api.client.post(
        "/api/v1/me/bargains", json={"campaign_id": setup.campaign["id"]}, headers=shopper
    )
    assert (again.status_code, code_of(again)) == (409, "limit_reached")


async def test_buying_before_the_floor_when_the_campaign_allows(api):
    setup = await open_campaign(api, helps_needed=5, buy_before_floor=True)
    shopper, bargain = await started(api, setup.campaign["id"])
    helped = expect(await help_(api.client, await api.sign_in(), bargain["id"]), 201)
    address = (await api.add_address(shopper))["id"]
    placed = expect(await buy(api, shopper, bargain["id"], address), 201)
    assert placed["orders"][0]["lines"][0]["unit_price_fen"] == helped["current_price_fen"]
    late = await help_(api.client, await api.sign_in(), bargain["id"])
    assert (late.status_code, code_of(late)) == (409, "bargain_complete")


async def test_another_shoppers_bargain_cannot_be_bought(api):
    setup = await open_campaign(api, helps_needed=1)
    _, bargain = await started(api, setup.campaign["id"])
    await helped_to_floor(api, bargain)
    other, address = await api.buyer()
    answer = await buy(api, other, bargain["id"], address)
    assert answer.status_code == 404


async def test_a_bargain_expires_by_its_deadline(api, runner):
    setup = await open_campaign(api, window_hours=2)
    shopper, bargain = await started(api, setup.campaign["id"])
    await runner.run(utcnow() + timedelta(hours=3))
    mine = expect(
        await api.client.get(f"/api/v1/me/bargains/{bargain['id']}", headers=shopper), 200
    )
    assert mine["status"] == "expired"
    late = await help_(api.client, await api.sign_in(), bargain["id"])
    assert (late.status_code, code_of(late)) == (409, "bargain_expired")
    listed = expect(
        await api.client.get(f"{setup.base}/bargains?status=expired", headers=setup.owner), 200
    )
    assert [b["id"] for b in listed["items"]] == [bargain["id"]]


async def test_helpers_who_buy_become_customers_in_the_figures(api, runner):
    setup = await open_campaign(api, helps_needed=2)
    _, bargain = await started(api, setup.campaign["id"])
    helper, address = await api.buyer()
    expect(await help_(api.client, helper, bargain["id"]), 201)
    expect(await help_(api.client, await api.sign_in(), bargain["id"]), 201)
    order = expect(await api.place_order(helper, address, [(setup.sku_id, 1)]), 201)["orders"][0]
    await api.confirm_in_cashier(await api.start_payment(helper, order["id"]))
    await runner.run()
    figures = expect(await api.client.get(f"{setup.base}/figures", headers=setup.owner), 200)
    assert (figures["helpers"], figures["helpers_became_customers"]) == (2, 1)
    assert (figures["started"], figures["reached_floor"], figures["bought"]) == (1, 1, 0)


async def test_concurrent_purchases_sell_exactly_the_campaign_stock(api, runtime, live_url):
    setup = await open_campaign(api, helps_needed=1, stock=2)
    buyers = []
    for _ in range(6):
        shopper, bargain = await started(api, setup.campaign["id"])
        await helped_to_floor(api, bargain)
        buyers.append((shopper, bargain["id"], (await api.add_address(shopper))["id"]))
    async with httpx.AsyncClient(base_url=live_url, timeout=120) as http:
        answers = await asyncio.gather(
            *(
                http.post(
                    f"/api/v1/me/bargains/{bargain_id}/orders",
                    json={"address_id": address},
                    headers=shopper,
                )
                for shopper, bargain_id, address in buyers
            )
        )
    assert Counter(a.status_code for a in answers) == {201: 2, 409: 4}
    assert {code_of(a) for a in answers if a.status_code == 409} == {"sold_out"}
    assert (await campaign_row(runtime, setup.campaign["id"])).sold == 2
    async with runtime.db.session(write=False) as session:
        orders = await session.scalar(
            select(func.count()).select_from(Order).where(Order.campaign_kind == "bargain")
        )
    assert orders == 2
