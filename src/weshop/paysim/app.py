"""The simulator as an ASGI app: the ``/v3`` APIs, the cashier pages and, when served, the
background loop that finishes refunds and sends callbacks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from weshop.core.clock import utcnow
from weshop.paysim import api, cashier, combine_api, media_api
from weshop.paysim.context import Clock
from weshop.paysim.identity import StateFiles, load_or_create
from weshop.paysim.notifier import Sender
from weshop.paysim.payers import PayerDirectory
from weshop.paysim.simulator import PaySim
from weshop.paysim.store import Store


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = "NOT_FOUND" if exc.status_code == 404 else "INVALID_REQUEST"
    return JSONResponse({"code": code, "message": str(exc.detail)}, status_code=exc.status_code)


def create_app(sim: PaySim, *, background: bool = False, poll_seconds: float = 1.0) -> FastAPI:
    """The simulator's app; with ``background`` its lifespan runs the refund and callback loop
    (tests leave it off and call ``sim.process_due()`` themselves)."""

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
        title="WeShop paysim",
        description="A local simulator of the WeChat Pay APIv3 protocol.",
        lifespan=lifespan,
        openapi_url=None,
    )
    app.state.paysim = sim
    app.add_exception_handler(StarletteHTTPException, _http_error)
    routers = (api.router, combine_api.router, media_api.router, api.download_router)
    for router in (*routers, cashier.router):
        app.include_router(router)
    return app


def open_simulator(
    files: StateFiles,
    state_file: Path,
    *,
    base_url: str,
    clock: Clock = utcnow,
    sender: Sender | None = None,
    payers: PayerDirectory | None = None,
) -> tuple[PaySim, bool]:
    """The simulator over its state directory; True when its keys were made just now.
    ``payers``: who may pay a JSAPI order under which app (see ``paysim.payers``)."""
    store = Store(state_file)
    platform, created = load_or_create(files, store)
    sim = PaySim(store, platform, base_url=base_url, clock=clock, sender=sender, payers=payers)
    return sim, created
