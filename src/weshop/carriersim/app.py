"""The simulator as an ASGI app speaking Kuaidi100's paths: ``POST /poll`` (subscribe) and
``POST /poll/query.do`` (real-time query), form-encoded like the real service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from weshop.carriersim.simulator import CarrierSim


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


def create_app(sim: CarrierSim, *, background: bool = False, poll_seconds: float = 1.0) -> FastAPI:
    """The simulator's app; with ``background`` its lifespan pushes on a clock (tests leave
    it off and call ``sim.push_due()`` themselves)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(sim.run(stop, poll_seconds)) if background else None
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task

    app = FastAPI(
        title="WeShop carriersim",
        description="A local simulator of Kuaidi100's parcel-tracking protocol.",
        lifespan=lifespan,
        openapi_url=None,
    )
    app.state.carriersim = sim

    @app.post("/poll")
    async def subscribe(request: Request) -> dict[str, Any]:
        return sim.subscribe(await _form(request))

    @app.post("/poll/query.do")
    async def query(request: Request) -> dict[str, Any]:
        return sim.query(await _form(request))

    return app
