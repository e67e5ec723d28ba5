"""An installation that follows parcels: WeShop and carriersim, each served over loopback,
WeShop pointed at the simulator as Kuaidi100 and the simulator pushing to WeShop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.orders.conftest import Shop, open_shop
from tests.support import Api, expect, free_port, served
from weshop.app import create_app
from weshop.carriersim.app import create_app as create_carriersim_app
from weshop.carriersim.simulator import CarrierSim
from weshop.core.config import Settings
from weshop.core.worker import Worker
from weshop.logistics.carriers.setup import COMPONENT

CUSTOMER = "TESTCUSTOMER"
KEY = "test-kuaidi100-key"
PACE = timedelta(hours=1)


@dataclass
class Tracked:
    """The tracking installation: its runtime, the simulator, an HTTP client and API helper
    speaking to the served app, and its worker."""

    runtime: Any
    sim: CarrierSim
    sim_url: str
    url: str
    client: httpx.AsyncClient
    api: Api
    worker: Worker

    async def ship(self, shop: Shop, *packages: tuple[str, str]) -> dict:
        """Place, pay and ship an order of ``shop`` in these (carrier, tracking no) packages;
        the order as the store sees it."""
        placed = expect(
            await self.api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 2)]),
            201,
        )
        order = placed["orders"][0]
        await self.api.confirm_in_cashier(await self.api.start_payment(shop.shopper, order["id"]))
        lines = (await self.api.order(shop.shopper, order["id"]))["lines"]
        bodies = [{"carrier": carrier, "tracking_no": number} for carrier, number in packages]
        if len(bodies) > 1:
            bodies[0]["items"] = [{"order_line_id": lines[0]["id"], "quantity": 1}]
        return expect(
            await self.client.post(
                f"/api/v1/merchant/stores/{shop.store['id']}/orders/{order['id']}/shipments",
                json={"packages": bodies},
                headers=shop.owner,
            ),
            200,
        )

    async def tracking(self, shop: Shop, order_id: int) -> dict:
        return expect(
            await self.client.get(f"/api/v1/me/orders/{order_id}/tracking", headers=shop.shopper),
            200,
        )

    async def work(self, now: datetime | None = None) -> int:
        return await self.worker.run_once(now)


@asynccontextmanager
async def tracking_installation(settings: Settings, data_dir: Any) -> AsyncIterator[Tracked]:
    sim = CarrierSim(customer=CUSTOMER, key=KEY, pace=PACE)
    port = free_port()
    async with served(create_carriersim_app(sim)) as sim_url:
        tracked_settings = Settings(
            **{
                **settings.model_dump(),
                "data_dir": data_dir,
                "public_base_url": f"http://127.0.0.1:{port}",
                "kuaidi100_customer": CUSTOMER,
                "kuaidi100_key": KEY,
                "kuaidi100_api_base_url": sim_url,
            }
        )
        app = create_app(tracked_settings, check_schema=False)
        runtime = app.state.runtime
        try:
            async with (
                served(app, port) as url,
                httpx.AsyncClient(base_url=url, timeout=60) as client,
            ):
                yield Tracked(
                    runtime=runtime,
                    sim=sim,
                    sim_url=sim_url,
                    url=url,
                    client=client,
                    api=Api(client, runtime),
                    worker=Worker(runtime.db, runtime.handlers, runtime),
                )
        finally:
            await runtime.components[COMPONENT].aclose()
            await runtime.close()


async def tracked_shop(tracked: Tracked) -> Shop:
    return await open_shop(tracked.api)
