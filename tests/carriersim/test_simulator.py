"""carriersim's clock and pushes: each parcel moves one stage per pace, every stage is pushed
signed with the subscriber's salt, and a push not acknowledged is sent again."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi import FastAPI, Request

from tests.support import served
from weshop.carriersim.simulator import CarrierSim, compact, md5_upper

PACE = timedelta(minutes=10)


def subscribe_form(number: str, callback_url: str, key: str = "K") -> dict[str, str]:
    param = {
        "company": "yunda",
        "number": number,
        "key": key,
        "parameters": {"callbackurl": callback_url, "salt": "S", "resultv2": "1"},
    }
    return {"schema": "json", "param": compact(param)}


def receiver(received: list[dict], acknowledge: list[bool]) -> FastAPI:
    """A callback that records each push and answers as ``acknowledge`` says, in turn."""
    app = FastAPI()

    @app.post("/push")
    async def push(request: Request) -> dict:
        form = dict(await request.form())
        received.append(form)
        ok = acknowledge.pop(0) if acknowledge else True
        return {"result": ok, "returnCode": "200" if ok else "500", "message": ""}

    return app


async def test_parcels_move_on_the_clock_and_every_stage_is_pushed_signed() -> None:
    received: list[dict] = []
    async with served(receiver(received, [True, False, True])) as url:
        sim = CarrierSim(customer="C", key="K", pace=PACE)
        assert sim.subscribe(subscribe_form("YD1", f"{url}/push"))["returnCode"] == "200"
        assert sim.subscribe(subscribe_form("YD1", f"{url}/push"))["returnCode"] == "501"
        assert sim.subscribe(subscribe_form("YD2", f"{url}/push", key="X"))["returnCode"] == "600"

        assert await sim.push_due() == 1
        assert await sim.push_due() == 0  # nothing new
        sim.advance(PACE)
        assert await sim.push_due() == 0  # refused by the callback: sent again next round
        assert await sim.push_due() == 1
        sim.advance(10 * PACE)
        assert await sim.push_due() == 1
        assert await sim.push_due() == 0

    states = []
    for form in received:
        assert form["sign"] == md5_upper(form["param"] + "S")
        result = json.loads(form["param"])["lastResult"]
        states.append((result["state"], len(result["data"])))
    assert states == [("1", 1), ("0", 2), ("0", 2), ("3", 4)]
    assert json.loads(received[-1]["param"])["status"] == "shutdown"
