"""The Kuaidi100 adapter against carriersim over real HTTP: subscription, real-time query
and push verification, and how it meets a refusal or an unreachable service."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support import served
from weshop.carriersim.app import create_app
from weshop.carriersim.simulator import CarrierSim
from weshop.logistics.carriers.base import CarrierError, ParcelState, PushRejected, PushUnreadable
from weshop.logistics.carriers.kuaidi100 import Kuaidi100Tracker, sign, state_of

CALLBACK = "http://127.0.0.1:9/api/v1/logistics/push/kuaidi100"


@pytest.fixture
async def sim_url():
    sim = CarrierSim(customer="C1", key="K1", pace=timedelta(hours=1))
    async with served(create_app(sim)) as url:
        yield sim, url


def tracker(url: str, *, customer: str = "C1", key: str = "K1") -> Kuaidi100Tracker:
    return Kuaidi100Tracker(
        customer=customer, key=key, salt="salt-1", base_url=url, retry_delay_seconds=0
    )


async def test_subscribe_then_query_and_verify_a_push(sim_url) -> None:
    sim, url = sim_url
    adapter = tracker(url)
    try:
        await adapter.subscribe("ems", "EM1234567CN", CALLBACK)
        await adapter.subscribe("ems", "EM1234567CN", CALLBACK)  # 501 重复订阅 is no error
        subscription = sim.subscriptions[("ems", "EM1234567CN")]
        assert (subscription.callback_url, subscription.salt) == (CALLBACK, "salt-1")

        sim.advance(timedelta(hours=1, minutes=1))
        report = await adapter.query("ems", "EM1234567CN")
        assert (report.carrier, report.tracking_no, report.state) == (
            "ems",
            "EM1234567CN",
            ParcelState.IN_TRANSIT,
        )
        assert [event.at for event in report.events] == sorted(e.at for e in report.events)
        assert report.events[0].at.utcoffset() == timedelta(hours=8)

        push = adapter.read_push(sim.push_form(subscription))
        assert push.report == report
        assert push.answer == {"result": True, "returnCode": "200", "message": "成功"}
    finally:
        await adapter.aclose()


async def test_refusals_are_carrier_errors(sim_url) -> None:
    sim, url = sim_url
    wrong_key, wrong_customer = tracker(url, key="K2"), tracker(url, customer="C2")
    adapter = tracker(url)
    try:
        with pytest.raises(CarrierError, match="600"):
            await wrong_key.subscribe("ems", "EM1", CALLBACK)
        with pytest.raises(CarrierError, match="700"):
            await adapter.subscribe("ems", "EM1", "not-a-url")
        with pytest.raises(CarrierError, match="500"):
            await adapter.query("ems", "EM-NEVER-SUBSCRIBED")
        await adapter.subscribe("ems", "EM1", CALLBACK)
        with pytest.raises(CarrierError, match="601"):
            await wrong_customer.query("ems", "EM1")
        assert list(sim.subscriptions) == [("ems", "EM1")]
    finally:
        for each in (wrong_key, wrong_customer, adapter):
            await each.aclose()


async def test_an_unreachable_service_is_retried_then_a_carrier_error() -> None:
    adapter = Kuaidi100Tracker(
        customer="C1", key="K1", salt="s", base_url="http://127.0.0.1:9", retry_delay_seconds=0
    )
    try:
        with pytest.raises(CarrierError, match="ConnectError"):
            await adapter.subscribe("ems", "EM1", CALLBACK)
    finally:
        await adapter.aclose()


def test_a_push_must_be_signed_with_the_salt() -> None:
    adapter = Kuaidi100Tracker(customer="C1", key="K1", salt="salt-1")
    param = '{"lastResult":{"com":"ems","nu":"EM1","state":"3","data":[]}}'
    assert adapter.read_push({"param": param, "sign": sign(param + "salt-1")}).report.state == (
        ParcelState.DELIVERED
    )
    assert adapter.read_push({"param": param, "sign": sign(param + "salt-1").lower()})
    for forged in (sign(param + "salt-2"), sign(param), "", "签名"):
        with pytest.raises(PushRejected):
            adapter.read_push({"param": param, "sign": forged})
    for unreadable in ("[]", '{"lastResult":{"com":"ems"}}', '{"lastResult":[1]}'):
        with pytest.raises(PushUnreadable):
            adapter.read_push({"param": unreadable, "sign": sign(unreadable + "salt-1")})


@pytest.mark.parametrize(
    ("code", "state"),
    [
        ("0", ParcelState.IN_TRANSIT),
        ("1", ParcelState.COLLECTED),
        ("2", ParcelState.TROUBLE),
        ("3", ParcelState.DELIVERED),
        ("4", ParcelState.RETURNED),
        ("5", ParcelState.DELIVERING),
        ("6", ParcelState.RETURNING),
        ("8", ParcelState.CUSTOMS),
        ("14", ParcelState.REJECTED),
        ("103", ParcelState.COLLECTED),
        ("1001", ParcelState.IN_TRANSIT),
        ("301", ParcelState.DELIVERED),
        ("501", ParcelState.DELIVERING),
    ],
)
def test_state_codes(code: str, state: ParcelState) -> None:
    assert state_of(code) == state
