"""Return and exchange parcels are followed like shipments, against carriersim over real
HTTP: the request shows each parcel's timeline, and a return delivered to the store is
flagged (退货已签收) for staff to check, completing nothing by itself."""

from __future__ import annotations

import pytest

from tests.aftersales.support import RETURN_POLICY
from tests.aftersales.test_pages import as_
from tests.logistics.tracking_support import PACE, Tracked, tracked_shop, tracking_installation
from tests.orders.conftest import Shop
from tests.storefront import HTML
from tests.support import expect


@pytest.fixture
async def tracked(settings, tmp_path):
    async with tracking_installation(settings, tmp_path) as installation:
        yield installation


def _merchant(shop: Shop, path: str = "") -> str:
    return f"/api/v1/merchant/stores/{shop.store['id']}/aftersales{path}"


async def _store_does(tracked: Tracked, shop: Shop, request_id: int, action: str, body=None):
    answer = await tracked.client.post(
        _merchant(shop, f"/{request_id}/{action}"), json=body or {}, headers=shop.owner
    )
    return expect(answer, 200)


async def _shopper_sees(tracked: Tracked, shop: Shop, request_id: int) -> dict:
    answer = await tracked.client.get(f"/api/v1/me/aftersales/{request_id}", headers=shop.shopper)
    return expect(answer, 200)


async def _returned(tracked: Tracked, shop: Shop, order: dict, kind: str, number: str) -> int:
    """Ask for ``kind`` of one unit, approved by the store, its return parcel sent."""
    asked = await tracked.client.post(
        "/api/v1/me/aftersales",
        json={
            "order_id": order["id"],
            "order_line_id": order["lines"][0]["id"],
            "quantity": 1,
            "kind": kind,
            "reason_code": "quality",
        },
        headers=shop.shopper,
    )
    request_id = expect(asked, 201)["id"]
    await _store_does(tracked, shop, request_id, "approve")
    sent = await tracked.client.post(
        f"/api/v1/me/aftersales/{request_id}/return-shipment",
        json={"carrier": "中通", "tracking_no": number},
        headers=shop.shopper,
    )
    assert expect(sent, 200)["status"] == "return_shipped"
    return request_id


async def test_a_return_parcel_is_followed_and_its_delivery_is_flagged(tracked):
    shop = await tracked_shop(tracked)
    expect(
        await tracked.client.put(
            _merchant(shop, "/policy"), json=RETURN_POLICY, headers=shop.owner
        ),
        200,
    )
    order = await tracked.ship(shop, ("顺丰", "SF7000000001"))
    request_id = await _returned(tracked, shop, order, "return_and_refund", "ZT7000000001")

    await tracked.work()
    assert ("zhongtong", "ZT7000000001") in tracked.sim.subscriptions
    await tracked.sim.push_due()
    parcel = (await _shopper_sees(tracked, shop, request_id))["return_parcel"]
    assert (parcel["tracked"], parcel["state"], parcel["carrier_name"]) == (
        True,
        "collected",
        "中通快递",
    )
    assert [event["text"] for event in parcel["events"]] == ["【杭州市】快件已由快递员揽收"]

    tracked.sim.advance(3 * PACE)
    await tracked.sim.push_due()
    await tracked.work()
    seen = await _shopper_sees(tracked, shop, request_id)
    # Delivered to the store: flagged, but only staff's receipt moves the request on.
    assert seen["status"] == "return_shipped" and seen["refund_id"] is None
    assert seen["return_parcel"]["state"] == "delivered" and seen["return_delivered"] is True

    as_(tracked.client, shop.owner)
    console = f"/console/stores/{shop.store['id']}/aftersales"
    listed = await tracked.client.get(console, headers=HTML)
    assert listed.status_code == 200 and "退货已签收" in listed.text
    detail = await tracked.client.get(f"{console}/{request_id}", headers=HTML)
    assert "快件已签收" in detail.text and 'data-parcel-state="delivered"' in detail.text
    as_(tracked.client, shop.shopper)
    page = await tracked.client.get(f"/me/aftersales/{request_id}", headers=HTML)
    assert page.status_code == 200 and "快件已由快递员揽收" in page.text

    received = await _store_does(tracked, shop, request_id, "receipt")
    assert received["status"] == "refunding" and received["return_delivered"] is False
    as_(tracked.client, shop.owner)
    listed = await tracked.client.get(console, headers=HTML)
    assert listed.status_code == 200 and "退货已签收" not in listed.text


async def test_an_exchange_parcel_is_followed(tracked):
    shop = await tracked_shop(tracked)
    expect(
        await tracked.client.put(
            _merchant(shop, "/policy"), json=RETURN_POLICY, headers=shop.owner
        ),
        200,
    )
    order = await tracked.ship(shop, ("顺丰", "SF7000000002"))
    request_id = await _returned(tracked, shop, order, "exchange", "ZT7000000002")
    await _store_does(tracked, shop, request_id, "receipt")
    shipped = await _store_does(
        tracked,
        shop,
        request_id,
        "exchange-shipment",
        {"carrier": "顺丰", "tracking_no": "SF7000000003"},
    )
    assert shipped["status"] == "exchanged"
    assert shipped["exchange_parcel"]["state"] == "pending"

    await tracked.work()
    assert ("shunfeng", "SF7000000003") in tracked.sim.subscriptions
    await tracked.sim.push_due()
    staff_view = expect(
        await tracked.client.get(_merchant(shop, f"/{request_id}"), headers=shop.owner), 200
    )
    parcel = staff_view["exchange_parcel"]
    assert parcel["state"] == "collected" and len(parcel["events"]) == 1
    assert (await _shopper_sees(tracked, shop, request_id))["exchange_parcel"] == parcel
