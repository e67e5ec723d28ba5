"""The demo's parcels move: carriersim (the Kuaidi100 simulator) is mounted on the demo's own
server under ``/carriersim``, WeShop is pointed at it as Kuaidi100, and its push loop runs
beside the server. Only ``weshop demo`` does this; no other installation has the simulator.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from pydantic import SecretStr

from weshop.carriersim.app import create_app as create_carriersim_app
from weshop.carriersim.simulator import CarrierSim

MOUNT_PATH = "/carriersim"
CUSTOMER = "CARRIERSIM-DEMO"
KEY = "carriersim-demo-key"
# One stage (揽收, 运输中, 派送中, 已签收) every two minutes: a demo parcel arrives in six.
PACE = timedelta(minutes=2)
PUSH_EVERY_SECONDS = 5.0


def carriersim_settings(public_base_url: str) -> dict[str, Any]:
    """Settings that point WeShop at the mounted simulator as Kuaidi100."""
    return {
        "kuaidi100_customer": CUSTOMER,
        "kuaidi100_key": SecretStr(KEY),  # model_copy does not validate: the type as declared
        "kuaidi100_api_base_url": public_base_url.rstrip("/") + MOUNT_PATH,
    }


def with_carriersim(app: FastAPI) -> FastAPI:
    """``app`` serving the simulator under MOUNT_PATH and pushing while it runs."""
    sim = CarrierSim(customer=CUSTOMER, key=KEY, pace=PACE)
    app.mount(MOUNT_PATH, create_carriersim_app(sim))
    app.state.carriersim = sim
    served = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        async with served(application) as state:
            stop = asyncio.Event()
            pushing = asyncio.create_task(sim.run(stop, PUSH_EVERY_SECONDS))
            try:
                yield state
            finally:
                stop.set()
                await pushing

    app.router.lifespan_context = lifespan
    return app
