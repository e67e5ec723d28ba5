"""Races, with real concurrent requests against a live server on loopback: the store's
approval against its own deadline, two requests for the last unit of a line; and a worker
killed inside a deadline's handler."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from collections import Counter
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from tests.aftersales.support import ask, seen_by_shopper, set_policy
from tests.aftersales.test_requests import available
from tests.ledger.support import open_market, paid_order, ship
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.payments.models import Refund


async def refunds_of(runtime, order_id: int) -> int:
    async with runtime.db.session(write=False) as session:
        return await session.scalar(
            select(func.count()).select_from(Refund).where(Refund.order_id == order_id)
        )


async def test_approval_racing_the_deadline_refunds_once(api, runtime, worker, runner, live_url):
    market = await open_market(api)
    await set_policy(market, fast_refund_threshold_fen=0)
    orders = [await paid_order(market, [(market.skus[0], 1)]) for _ in range(4)]
    asked = []
    for order in orders:
        await ship(market, order["id"])
        asked.append(expect(await ask(market, order), 201))
    async with httpx.AsyncClient(base_url=live_url, timeout=60) as http:

        async def approve(request_id: int) -> int:
            answer = await http.post(
                market.merchant(f"/aftersales/{request_id}/approve"), json={}, headers=market.owner
            )
            return answer.status_code

        answers = await asyncio.gather(
            worker.run_once(utcnow() + timedelta(hours=49)),
            *(approve(request["id"]) for request in asked),
        )
    assert set(answers[1:]) <= {200, 409}
    await runner.run(utcnow() + timedelta(hours=50))
    for order, request in zip(orders, asked, strict=True):
        assert await refunds_of(runtime, order["id"]) == 1
        assert (await seen_by_shopper(market, request["id"]))["status"] == "refunded"


async def test_two_requests_for_the_last_unit_one_wins(api, runtime, live_url):
    market = await open_market(api)
    await set_policy(market, fast_refund_threshold_fen=0)
    order = await paid_order(market, [(market.skus[0], 1), (market.skus[1], 1)])
    await ship(market, order["id"])
    body = {
        "order_id": order["id"],
        "order_line_id": order["lines"][0]["id"],
        "quantity": 1,
        "kind": "refund_only",
        "reason_code": "not_received",
    }
    async with httpx.AsyncClient(base_url=live_url, timeout=60) as http:
        answers = await asyncio.gather(
            *(
                http.post("/api/v1/me/aftersales", json=body, headers=market.shopper)
                for _ in range(6)
            )
        )
    assert Counter(a.status_code for a in answers) == {201: 1, 409: 5}
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {"request_open"}


DYING_WORKER = textwrap.dedent(
    """
    import asyncio
    from datetime import timedelta

    from weshop.aftersales.steps import DEADLINE
    from weshop.app import build_runtime
    from weshop.core.clock import utcnow
    from weshop.core.config import Settings
    from weshop.core.worker import HandlerRegistry, Worker


    async def main() -> None:
        runtime = build_runtime(Settings())
        act = runtime.handlers.handlers[DEADLINE]
        registry = HandlerRegistry()

        @registry.on(DEADLINE)
        async def act_then_hang(ctx):
            await act(ctx)
            print("CHANGED-NOT-COMMITTED", flush=True)
            await asyncio.sleep(3600)

        worker = Worker(runtime.db, registry, runtime, lease=timedelta(minutes=5))
        await worker.run_once(utcnow() + timedelta(hours=49))


    asyncio.run(main())
    """
)


async def test_a_deadline_killed_mid_way_acts_once(api, runtime, runner, settings):
    market = await open_market(api)
    await set_policy(market, fast_refund_threshold_fen=0)
    order = await paid_order(market, [(market.skus[0], 1)])
    await ship(market, order["id"])
    asked = expect(await ask(market, order), 201)
    env = dict(
        os.environ,
        WESHOP_DATABASE_URL=settings.database_url,
        WESHOP_DATA_DIR=str(settings.data_dir),
        WESHOP_SECRET_KEY=settings.secret_key.get_secret_value(),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", DYING_WORKER, env=env, stdout=asyncio.subprocess.PIPE
    )
    # Other due rows (the paid order's payment deadline) have no handler there: logged.
    while (line := await asyncio.wait_for(process.stdout.readline(), timeout=60)) and (
        line.strip() != b"CHANGED-NOT-COMMITTED"
    ):
        pass
    assert line.strip() == b"CHANGED-NOT-COMMITTED"
    process.send_signal(signal.SIGKILL)
    await process.wait()

    assert (await seen_by_shopper(market, asked["id"]))["status"] == "requested"
    assert await refunds_of(runtime, order["id"]) == 0
    await runner.run(utcnow() + timedelta(hours=49, minutes=1))  # the dead worker's lease
    assert (await seen_by_shopper(market, asked["id"]))["status"] == "requested"
    await runner.run(utcnow() + timedelta(hours=50))
    assert (await seen_by_shopper(market, asked["id"]))["status"] == "refunded"
    await runner.run(utcnow() + timedelta(hours=51))
    assert await refunds_of(runtime, order["id"]) == 1


async def test_shipping_racing_a_refund_before_shipping_counts_each_unit_once(
    api, runtime, runner, live_url
):
    market = await open_market(api)
    orders = [
        await paid_order(market, [(market.skus[0], 2), (market.skus[1], 1)]) for _ in range(4)
    ]
    before = await available(runtime, market.skus[0])
    async with httpx.AsyncClient(base_url=live_url, timeout=60) as http:

        async def ship_all(order: dict) -> int:
            answer = await http.post(
                market.merchant(f"/orders/{order['id']}/shipments"),
                json={"packages": [{"carrier": "顺丰", "tracking_no": f"SF{order['id']:08d}"}]},
                headers=market.owner,
            )
            return answer.status_code

        async def refund_line(order: dict) -> int:
            answer = await http.post(
                "/api/v1/me/aftersales",
                json={
                    "order_id": order["id"],
                    "order_line_id": order["lines"][0]["id"],
                    "quantity": 2,
                    "kind": "refund_only",
                    "reason_code": "changed_mind",
                },
                headers=market.shopper,
            )
            return answer.status_code

        answers = await asyncio.gather(
            *(call(order) for order in orders for call in (ship_all, refund_line))
        )
    assert set(answers) <= {200, 201}, answers
    await runner.run()
    given_back = 0
    for order in orders:
        seen = await api.order(market.shopper, order["id"])
        assert seen["status"] == "shipped"
        for line in seen["lines"]:
            assert line["left_to_ship"] == 0
            assert line["shipped_quantity"] + line["refunded_quantity"] == line["quantity"]
        given_back += seen["lines"][0]["refunded_quantity"]
        assert await refunds_of(runtime, order["id"]) == 1
    # Units given back are on sale again; shipped ones are not.
    assert await available(runtime, market.skus[0]) == before + given_back
