"""Parcel tracking end to end over real HTTP: WeShop subscribes a shipped parcel at
carriersim (Kuaidi100's protocol), the simulator pushes signed updates to WeShop's callback,
a quiet parcel is queried, and delivery moves the order's auto-confirm sooner."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.logistics.tracking_support import PACE, Tracked, tracked_shop, tracking_installation
from tests.orders.conftest import open_shop
from tests.support import expect
from weshop.carriersim.simulator import md5_upper
from weshop.core.clock import utcnow
from weshop.core.outbox import OutboxMessage
from weshop.logistics.models import Parcel, ParcelEvent
from weshop.logistics.tracking import RECHECK
from weshop.orders.models import Order
from weshop.orders.service import AUTO_CONFIRM

PUSH = "/api/v1/logistics/push/kuaidi100"


@pytest.fixture
async def tracked(settings, tmp_path):
    async with tracking_installation(settings, tmp_path) as installation:
        yield installation


async def stored(tracked: Tracked) -> tuple[int, list[str], list[str]]:
    """(parcels, their states, every stored event's text)."""
    async with tracked.runtime.db.session(write=False) as session:
        parcels = list(await session.scalars(select(Parcel).order_by(Parcel.id)))
        texts = list(await session.scalars(select(ParcelEvent.text).order_by(ParcelEvent.id)))
    return len(parcels), [p.state.value for p in parcels], texts


async def outbox_count(tracked: Tracked, topic: str, *where: Any) -> int:
    async with tracked.runtime.db.session(write=False) as session:
        return await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.topic == topic, *where)
        )


async def auto_confirm_at(tracked: Tracked, order_id: int):
    async with tracked.runtime.db.session(write=False) as session:
        return await session.scalar(select(Order.auto_confirm_at).where(Order.id == order_id))


async def test_a_shipped_parcel_is_followed_until_delivered_and_receipt_comes_sooner(tracked):
    shop = await tracked_shop(tracked)
    order = await tracked.ship(shop, ("顺丰", "SF1234567890"))
    assert order["status"] == "shipped"
    first_deadline = await auto_confirm_at(tracked, order["id"])

    # The subscription is an HTTP call after commit, made by the worker.
    assert tracked.sim.subscriptions == {}
    await tracked.work()
    assert list(tracked.sim.subscriptions) == [("shunfeng", "SF1234567890")]
    package = (await tracked.tracking(shop, order["id"]))["packages"][0]
    assert (package["tracked"], package["state"], package["events"]) == (True, "pending", [])
    assert package["carrier_name"] == "顺丰速运"

    assert await tracked.sim.push_due() == 1  # 揽收, acknowledged by WeShop
    package = (await tracked.tracking(shop, order["id"]))["packages"][0]
    assert package["state"] == "collected"
    assert [event["text"] for event in package["events"]] == ["【杭州市】快件已由快递员揽收"]

    tracked.sim.advance(3 * PACE)
    assert await tracked.sim.push_due() == 1  # the whole history, up to 已签收
    package = (await tracked.tracking(shop, order["id"]))["packages"][0]
    assert package["state"] == "delivered"
    assert len(package["events"]) == 4  # the first event is stored once
    assert package["events"][0]["text"].startswith("快件已签收")

    # Delivered + the store's 3 days, sooner than shipped + 10 days.
    moved = await auto_confirm_at(tracked, order["id"])
    assert moved < first_deadline
    assert abs(moved - (utcnow() + timedelta(days=3))) < timedelta(minutes=1)
    await tracked.work(utcnow() + timedelta(days=2))
    assert (await tracked.api.order(shop.shopper, order["id"]))["status"] == "shipped"
    await tracked.work(moved + timedelta(seconds=1))
    assert (await tracked.api.order(shop.shopper, order["id"]))["status"] == "completed"


async def test_a_forged_push_is_refused_and_writes_nothing(tracked):
    shop = await tracked_shop(tracked)
    await tracked.ship(shop, ("中通", "ZT778899"))
    await tracked.work()
    subscription = tracked.sim.subscriptions[("zhongtong", "ZT778899")]
    genuine = tracked.sim.push_form(subscription)

    forged = [
        {**genuine, "sign": "0" * 32},
        {"param": genuine["param"].replace("揽收", "签收"), "sign": genuine["sign"]},
        {"param": genuine["param"]},
        {"param": genuine["param"], "sign": "签名"},
    ]
    for form in forged:
        response = await tracked.client.post(PUSH, data=form)
        assert response.status_code in (401, 422), form
        if "sign" in form:
            assert response.json()["error"]["code"] == "push_signature_invalid"
    assert await stored(tracked) == (1, ["pending"], [])

    # Signed with the installation's salt but unreadable: bad input, not a crash.
    unreadable = {"param": "not json", "sign": md5_upper("not json" + subscription.salt)}
    response = await tracked.client.post(PUSH, data=unreadable)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "push_unreadable")
    # A provider that is not configured has no callback.
    response = await tracked.client.post("/api/v1/logistics/push/kuaidi", data=genuine)
    assert response.json()["error"]["code"] == "parcel_tracker_unavailable"
    assert await stored(tracked) == (1, ["pending"], [])


async def test_a_replayed_or_late_push_changes_nothing(tracked):
    shop = await tracked_shop(tracked)
    await tracked.ship(shop, ("圆通速递", "YT10001"))
    await tracked.work()
    subscription = tracked.sim.subscriptions[("yuantong", "YT10001")]
    early = tracked.sim.push_form(subscription)
    tracked.sim.advance(2 * PACE)
    later = tracked.sim.push_form(subscription)

    assert expect(await tracked.client.post(PUSH, data=later), 200) == {
        "result": True,
        "returnCode": "200",
        "message": "成功",
    }
    after_later = await stored(tracked)
    assert after_later[1] == ["delivering"] and len(after_later[2]) == 3
    async with tracked.runtime.db.session(write=False) as session:
        heard = await session.scalar(select(Parcel.heard_at))

    for replay in (later, early, later):
        expect(await tracked.client.post(PUSH, data=replay), 200)
    assert await stored(tracked) == after_later
    async with tracked.runtime.db.session(write=False) as session:
        assert await session.scalar(select(Parcel.heard_at)) == heard


async def test_a_quiet_parcel_is_queried_at_its_carrier(tracked):
    shop = await tracked_shop(tracked)
    await tracked.ship(shop, ("韵达", "YD5550001"))
    await tracked.work()
    tracked.sim.advance(PACE + timedelta(minutes=5))  # two stages, nothing pushed

    recheck = utcnow() + timedelta(hours=tracked.runtime.settings.parcel_recheck_hours, minutes=1)
    await tracked.work(recheck)
    count, states, texts = await stored(tracked)
    assert (count, states, len(texts)) == (1, ["in_transit"], 2)
    pending = await outbox_count(tracked, RECHECK, OutboxMessage.status == "pending")
    assert pending == 1  # the next re-check, while the journey goes on


async def test_receipt_moves_only_when_every_package_is_delivered_and_only_sooner(tracked):
    shop = await tracked_shop(tracked)
    order = await tracked.ship(shop, ("顺丰", "SF0000001"), ("京东", "JD0000002"))
    await tracked.work()
    first_deadline = await auto_confirm_at(tracked, order["id"])
    tracked.sim.subscriptions[("jd", "JD0000002")].subscribed_at -= 4 * PACE
    await tracked.sim.push_due()
    packages = (await tracked.tracking(shop, order["id"]))["packages"]
    states = {package["tracking_no"]: package["state"] for package in packages}
    assert states == {"SF0000001": "collected", "JD0000002": "delivered"}
    assert await auto_confirm_at(tracked, order["id"]) == first_deadline

    tracked.sim.advance(4 * PACE)
    await tracked.sim.push_due()
    assert await auto_confirm_at(tracked, order["id"]) < first_deadline

    # A store confirming sooner after shipping than after delivery keeps its deadline.
    expect(
        await tracked.client.patch(
            f"/api/v1/merchant/stores/{shop.store['id']}",
            json={"auto_confirm_days": 1, "auto_confirm_after_delivery_days": 30},
            headers=shop.owner,
        ),
        200,
    )
    second = await tracked.ship(shop, ("顺丰", "SF0000003"))
    await tracked.work()
    second_deadline = await auto_confirm_at(tracked, second["id"])
    tracked.sim.subscriptions[("shunfeng", "SF0000003")].subscribed_at -= 4 * PACE
    await tracked.sim.push_due()
    package = (await tracked.tracking(shop, second["id"]))["packages"][0]
    assert package["state"] == "delivered"
    assert await auto_confirm_at(tracked, second["id"]) == second_deadline
    assert await outbox_count(tracked, AUTO_CONFIRM) == 3  # two at shipping, one moved


async def test_a_package_of_an_unknown_carrier_is_shown_untracked(tracked):
    shop = await tracked_shop(tracked)
    order = await tracked.ship(shop, ("乡村快运", "XC123456"))
    await tracked.work()
    assert tracked.sim.subscriptions == {}
    package = (await tracked.tracking(shop, order["id"]))["packages"][0]
    assert (package["tracked"], package["state"], package["carrier_name"]) == (
        False,
        None,
        "乡村快运",
    )
    assert await stored(tracked) == (0, [], [])


async def test_the_timeline_shows_on_the_shoppers_and_the_consoles_order_page(tracked):
    shop = await tracked_shop(tracked)
    order = await tracked.ship(shop, ("申通", "ST0001"))
    await tracked.work()
    waiting = "暂无快递公司的物流信息。"
    html = {"Accept": "text/html"}
    tracked.client.cookies.set("weshop_session", shop.shopper["Authorization"].split()[1])
    first = await tracked.client.get(f"/me/orders/{order['id']}")
    assert first.status_code == 200 and waiting in first.text

    tracked.sim.advance(PACE)
    await tracked.sim.push_due()
    shopper_page = (await tracked.client.get(f"/me/orders/{order['id']}")).text
    assert "运输中" in shopper_page and "快件已到达【杭州市转运中心】" in shopper_page
    assert waiting not in shopper_page

    tracked.client.cookies.set("weshop_session", shop.owner["Authorization"].split()[1])
    console = await tracked.client.get(
        f"/console/stores/{shop.store['id']}/orders/{order['id']}", headers=html
    )
    assert console.status_code == 200
    assert "运输中" in console.text and "【杭州市】快件已由快递员揽收" in console.text


async def test_a_failed_subscription_is_retried_by_the_worker(tracked):
    shop = await tracked_shop(tracked)
    await tracked.ship(shop, ("极兔", "JT0000001"))
    adapter = tracked.runtime.components["parcel_tracker"]
    reachable, adapter.base_url = adapter.base_url, "http://127.0.0.1:9"  # Kuaidi100 is down
    await tracked.work()
    assert tracked.sim.subscriptions == {}
    async with tracked.runtime.db.session(write=False) as session:
        message = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.topic == "logistics.parcel_subscribe")
        )
    assert (message.status, message.attempts) == ("pending", 1)
    assert "ConnectError" in message.last_error

    adapter.base_url = reachable
    await tracked.work(message.due_at + timedelta(seconds=1))
    assert list(tracked.sim.subscriptions) == [("jtexpress", "JT0000001")]


async def test_concurrent_deliveries_of_one_parcel_move_the_deadline_once(tracked):
    shop = await tracked_shop(tracked)
    order = await tracked.ship(shop, ("顺丰", "SF5550000"))
    await tracked.work()
    tracked.sim.advance(3 * PACE)
    delivered = tracked.sim.push_form(tracked.sim.subscriptions[("shunfeng", "SF5550000")])

    answers = await asyncio.gather(*(tracked.client.post(PUSH, data=delivered) for _ in range(8)))
    assert [answer.status_code for answer in answers] == [200] * 8
    count, states, texts = await stored(tracked)
    assert (count, states, len(texts)) == (1, ["delivered"], 4)
    assert await outbox_count(tracked, AUTO_CONFIRM) == 2  # at shipping, and once moved
    assert (await tracked.tracking(shop, order["id"]))["packages"][0]["state"] == "delivered"


async def test_without_a_tracker_packages_are_recorded_and_pushes_have_no_callback(
    api, client, runner
):
    """The suite's installation sets no Kuaidi100 key: nothing is subscribed or asked."""
    shop = await open_shop(api)
    placed = expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)]), 201
    )
    order_id = placed["orders"][0]["id"]
    await api.confirm_in_cashier(await api.start_payment(shop.shopper, order_id))
    expect(
        await client.post(
            f"/api/v1/merchant/stores/{shop.store['id']}/orders/{order_id}/shipments",
            json={"packages": [{"carrier": "EMS", "tracking_no": "EM0001CN"}]},
            headers=shop.owner,
        ),
        200,
    )
    await runner.run()
    package = expect(
        await client.get(
            f"/api/v1/merchant/stores/{shop.store['id']}/orders/{order_id}/tracking",
            headers=shop.owner,
        ),
        200,
    )["packages"][0]
    assert (package["tracked"], package["state"], package["carrier_name"]) == (
        True,
        "pending",
        "EMS",
    )
    answer = await client.post(PUSH, data={"param": "{}", "sign": "X"})
    assert (answer.status_code, answer.json()["error"]["code"]) == (
        404,
        "parcel_tracker_unavailable",
    )
    carriers = expect(await client.get("/api/v1/shop/carriers"), 200)
    assert {"code": "shunfeng", "name": "顺丰速运"} in carriers
