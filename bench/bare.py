"""The bare baseline of the HTTP benches: a minimal Starlette app answering a small JSON.

Served by the very ``uvicorn.run`` call that ``weshop serve`` makes: this script runs the
``serve`` command of ``weshop.cli`` with ``uvicorn.run`` replaced by a stand-in that keeps
every option (loop, http, workers, log level, access log, proxy headers, log config...) and
swaps only the application for ``bare:create_app``. Whatever the server's stack becomes,
the baseline runs on the same one. The options are written as JSON to
``$BARE_OPTIONS_FILE`` so that the bench can print them.

If ``weshop serve`` cannot run here (no migrated database in the environment, or it stops
calling ``uvicorn.run``), the app is served with ``weshop.core.clients.SERVER_OPTIONS``, log
level warning and the access log off, and the options file says ``"fallback": true``::

    python bench/bare.py --port 8123 [--workers 2] [--no-worker]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BODY = {"status": "ok", "service": "bare"}


async def answer(request: Request) -> JSONResponse:
    await request.body()  # a POST's body is read, as a real endpoint reads it
    return JSONResponse(BODY)


async def flash_attempt(request: Request) -> JSONResponse:
    """The baseline of ``bench/flashsale.py``: the flash sale's own Lua script (``FlashGate``)
    on one item of endless stock, for the shopper named by the bearer token."""
    body = json.loads(await request.body())
    gate = request.app.state.flash_gate
    user_id = hash(request.headers.get("authorization", "")) % 1_000_000_000
    key = request.headers.get("idempotency-key", "")
    now_ms = int(time.time() * 1000)
    verdict = await gate.attempt(0, user_id, key, body.get("quantity", 1), now_ms)
    if verdict == "missing":
        from weshop.flashsale.gate import Wanted

        endless = Wanted(10**12, 10**9, 0, {}, {}, {})
        await gate.replace(0, None, endless)
        verdict = await gate.attempt(0, user_id, key, body.get("quantity", 1), now_ms)
    if verdict == "accepted":
        return JSONResponse({"state": "accepted"}, status_code=201)
    return JSONResponse({"error": {"code": verdict}}, status_code=409)


def create_app() -> Starlette:
    routes = [Route("/", answer, methods=["GET", "POST"]), Route("/healthz", answer)]
    app = Starlette(routes=routes)
    redis_url = os.environ.get("BARE_FLASH_REDIS_URL")
    if redis_url:  # bench/flashsale.py: the same Redis script as WeShop's attempt path
        from redis.asyncio import Redis

        from weshop.flashsale.gate import FlashGate

        app.add_route("/flash", flash_attempt, methods=["POST"])
        app.state.flash_gate = FlashGate(Redis.from_url(redis_url))
    return app


app = create_app()


def record(options: dict[str, Any]) -> None:
    path = os.environ.get("BARE_OPTIONS_FILE")
    if path:
        with open(path, "w", encoding="utf-8") as file:
            json.dump(options, file, default=repr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-worker", action="store_true")
    args = parser.parse_args(argv)

    import uvicorn

    real_run = uvicorn.run
    served: list[dict[str, Any]] = []

    def stand_in(target: Any, **options: Any) -> None:
        options = {**options, "factory": True}
        served.append(options)
        record({"fallback": False, "weshop_target": repr(target), **options})
        real_run("bare:create_app", **options)

    uvicorn.run = stand_in
    serve = ["serve", "--port", str(args.port), "--workers", str(args.workers)]
    if args.no_worker:
        serve.append("--no-worker")
    try:
        from weshop.cli import app as weshop_cli

        weshop_cli(serve, standalone_mode=False)
    except (Exception, SystemExit) as exc:
        if served:
            raise
        print(f"bare: `weshop serve` did not run ({exc!r}); serving with fallback options")
    finally:
        uvicorn.run = real_run
    if served:
        return
    from weshop.core.clients import SERVER_OPTIONS

    options = {
        "host": "127.0.0.1",
        "port": args.port,
        "workers": args.workers,
        "log_level": "warning",
        "access_log": False,
        "factory": True,
        **SERVER_OPTIONS,
    }
    record({"fallback": True, **options})
    real_run("bare:create_app", **options)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
