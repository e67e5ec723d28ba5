"""The FastAPI application: error mapping, the routes (:mod:`weshop.routes`), middleware,
worker and start-up checks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import httpx
import structlog
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from weshop.accounts.senders import build_code_sender
from weshop.affiliates.clicks import ReferralVisitor
from weshop.affiliates.events import subscribers as affiliate_subscribers
from weshop.aftersales.events import subscribers as aftersales_subscribers
from weshop.aftersales.tasks import registry as aftersales_tasks
from weshop.bargain.events import subscribers as bargain_subscribers
from weshop.bargain.tasks import registry as bargain_tasks
from weshop.catalog.detail import VIDEO_UPLOAD_PATHS
from weshop.catalog.visits import COMPONENT as VISITS
from weshop.catalog.visits import VisitCounter, VisitRecorder
from weshop.core.clients import install_client_checks
from weshop.core.config import Settings, get_settings
from weshop.core.crypto import configure_cipher
from weshop.core.events import Subscribers, wire
from weshop.core.http import DirectRoutes, refuse_repeated_query_parameters
from weshop.core.http_errors import JSON_ERROR_HANDLERS, install_error_handlers
from weshop.core.logging import configure_logging
from weshop.core.middleware import (
    MAX_FORM_BYTES,
    MAX_JSON_BYTES,
    BodySizeLimit,
    Liveness,
    SecurityHeaders,
)
from weshop.core.migrations import pending_migrations
from weshop.core.openapi import install_error_responses
from weshop.core.runtime import Runtime
from weshop.core.worker import Worker
from weshop.flashsale.events import subscribers as flashsale_subscribers
from weshop.flashsale.tasks import registry as flashsale_tasks
from weshop.groupbuy.events import subscribers as groupbuy_subscribers
from weshop.groupbuy.tasks import registry as groupbuy_tasks
from weshop.ledger.events import subscribers as ledger_subscribers
from weshop.ledger.tasks import registry as ledger_tasks
from weshop.logistics.carriers.setup import COMPONENT as PARCEL_TRACKER
from weshop.logistics.carriers.setup import build_parcel_tracker
from weshop.logistics.tasks import registry as logistics_tasks
from weshop.members.tasks import registry as member_tasks
from weshop.orders.tasks import registry as order_tasks
from weshop.orders.tracking import subscribers as order_tracking_subscribers
from weshop.payments.providers import build_payment_setup, payment_setup
from weshop.payments.tasks import registry as payment_tasks
from weshop.promotions.tasks import registry as promotion_tasks
from weshop.routes import include_routes, wechat_sign_in_pages
from weshop.web.csrf import csrf_key
from weshop.web.pages import install_page_toolkit
from weshop.web.response_cache import ResponseCache
from weshop.wechat.client import COMPONENT as WECHAT_CLIENT
from weshop.wechat.client import build_wechat_client
from weshop.wechat.events import subscribers as wechat_subscribers
from weshop.wechat.messages_events import message_subscribers
from weshop.wechat.share_events import share_subscribers
from weshop.wechat.tasks import registry as wechat_tasks
from weshop.wechat.web_signin import WechatWebSignIn

log = structlog.get_logger(__name__)

API_DESCRIPTION = """
WeShop's REST API. Amounts are integers in fen (1/100 yuan). Errors always have the shape
`{"error": {"code": "...", "message": "...", "details": ...}}` with a stable `code`.
In bodies, amounts, quantities, points and ids are JSON integers (`"100"`, `100.0` and `true`
are refused); dates and times carry their time zone and lie between 2000-01-01 and
2100-12-31; URLs are absolute http(s) or this site's `/media/...` paths. Anything else is a
422 `invalid_input`; each of its `details` names the field and the reason.

* **shop** — public browsing: stores, published products, search.
* **accounts** — sign-in by phone code, the shopper's address book, staff invitations.
* **cart / orders / payments** — the shopper's side of buying.
* **merchant: …** — store staff, scoped to one store (`/merchant/stores/{store_id}/...`);
  anything of another store answers 404.
* **platform** — platform operators.

Create endpoints that move money or stock accept an `Idempotency-Key` header. A query
parameter that takes one value, given twice, is a 422 `invalid_input`.

Public reads (`/api/v1/shop/...`) and `GET /api/v1/me` may be answered from the server's
response cache; anything written before the request shows in its answer.
"""


def jssdk_script_sources(settings: Settings) -> list[str]:
    """Where pages opened in WeChat load the JS-SDK from, when an official account is
    configured (they need it to share and to pay)."""
    official = settings.wechat_official_appid or any(
        app.kind == "official" for app in settings.wechat_store_apps
    )
    if not official:
        return []
    parts = urlsplit(settings.wechat_jssdk_script_url)
    return [f"{parts.scheme}://{parts.netloc}"]


def build_runtime(settings: Settings) -> Runtime:
    configure_cipher(settings.resolved_secret())
    configure_logging(settings)
    runtime = Runtime.build(settings)
    runtime.handlers.merge(logistics_tasks)
    runtime.handlers.merge(order_tasks)
    runtime.handlers.merge(payment_tasks)
    runtime.handlers.merge(promotion_tasks)
    runtime.handlers.merge(member_tasks)
    runtime.handlers.merge(ledger_tasks)
    runtime.handlers.merge(aftersales_tasks)
    runtime.handlers.merge(groupbuy_tasks)
    runtime.handlers.merge(bargain_tasks)
    runtime.handlers.merge(flashsale_tasks)
    runtime.handlers.merge(wechat_tasks)
    # In-transaction events: every session of the database reaches their subscribers.
    subscribers = Subscribers()
    subscribers.merge(order_tracking_subscribers)
    subscribers.merge(ledger_subscribers)
    subscribers.merge(aftersales_subscribers)
    subscribers.merge(groupbuy_subscribers)
    subscribers.merge(bargain_subscribers)
    subscribers.merge(flashsale_subscribers)
    subscribers.merge(affiliate_subscribers)
    subscribers.merge(share_subscribers(runtime))
    subscribers.merge(wechat_subscribers)
    subscribers.merge(message_subscribers(settings))
    wire(runtime.db, subscribers)
    runtime.components["code_sender"] = build_code_sender(settings.otp_sender)
    runtime.components[VISITS] = VisitRecorder()
    runtime.components.update(build_payment_setup(settings).components())
    tracker = build_parcel_tracker(settings)
    if tracker is not None:
        runtime.components[PARCEL_TRACKER] = tracker
    wechat = build_wechat_client(settings, runtime.db, runtime.redis)
    if wechat is not None:
        runtime.components[WECHAT_CLIENT] = wechat
    return runtime


async def warm_routes(app: FastAPI) -> None:
    """FastAPI analyses a route's dependencies the first time a request is matched against
    it (most of a second for all of WeShop's): do it once at start-up, with a path that
    matches no route, so that no shopper's first request waits for it."""
    transport = httpx.ASGITransport(app=app.router)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        await client.get("/.start-up/no-such-route")


def create_app(settings: Settings | None = None, *, check_schema: bool = True) -> FastAPI:
    settings = settings or get_settings()
    runtime = build_runtime(settings)
    payments = payment_setup(runtime)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if check_schema:
            problem = await pending_migrations(runtime.db)
            if problem:
                raise RuntimeError(f"WeShop will not start: {problem}")
        await warm_routes(app)
        stop = asyncio.Event()
        tasks = []
        if settings.run_worker_in_process:
            worker = Worker(runtime.db, runtime.handlers, runtime)
            runtime.components["worker"] = worker
            tasks.append(
                asyncio.create_task(worker.run_forever(stop, settings.worker_poll_seconds))
            )
            tasks += [asyncio.create_task(loop) for loop in payments.background(stop)]
        # Every serving process flushes the visits it counted, worker or not (and once more
        # when it stops).
        tasks.append(asyncio.create_task(runtime.components[VISITS].run(runtime.db, stop)))
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await payments.close()
            if PARCEL_TRACKER in runtime.components:
                await runtime.components[PARCEL_TRACKER].aclose()
            if WECHAT_CLIENT in runtime.components:
                await runtime.components[WECHAT_CLIENT].aclose()
            await runtime.close()

    app = FastAPI(
        title="WeShop",
        version="0.1.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(refuse_repeated_query_parameters)],
        # Served by weshop.web.api_docs instead, without a CDN or inline script.
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    install_error_handlers(app)

    # Answered by the Liveness middleware, before any other layer; the route documents it.
    @app.get("/healthz", tags=["ops"])
    async def health() -> dict[str, str]:
        """Liveness: the process answers (whatever the Host header, for load balancers)."""
        return {"status": "ok"}

    install_page_toolkit(app)
    include_routes(app, payments.routers())

    install_error_responses(app)
    payments.attach(app)
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    app.mount("/media", StaticFiles(directory=settings.media_dir), name="media")
    # Innermost first. A kept answer (with the security headers it was given) passes only
    # the layers outside the cache: the liveness answer and the client checks.
    app.add_middleware(DirectRoutes, api=app, error_handlers=JSON_ERROR_HANDLERS)
    app.add_middleware(ReferralVisitor)
    app.add_middleware(
        BodySizeLimit,
        max_json_bytes=MAX_JSON_BYTES,
        max_form_bytes=MAX_FORM_BYTES,
        max_upload_bytes=settings.max_upload_bytes,
        large_upload_paths=VIDEO_UPLOAD_PATHS,
        max_large_upload_bytes=settings.max_video_bytes,
    )
    app.add_middleware(SecurityHeaders, script_sources=jssdk_script_sources(settings))
    if runtime.db.table_versions is not None:
        app.add_middleware(
            ResponseCache,
            versions=runtime.db.table_versions,
            csrf_key=csrf_key(settings.resolved_secret()),
            seconds=settings.response_cache_seconds,
            max_entries=settings.response_cache_entries,
        )
    # Outside the response cache, so that kept pages are counted too.
    app.add_middleware(
        VisitCounter, recorder=runtime.components[VISITS], enabled=settings.record_visits
    )
    # Outside the response cache: a kept page must not answer a visitor WeChat signs in.
    app.add_middleware(WechatWebSignIn, settings=settings, pages=wechat_sign_in_pages())
    install_client_checks(app, settings)
    app.add_middleware(Liveness)
    return app
