"""Test fixtures: one app per session over a real database, wiped between tests.

SQLite (a temporary file) by default; PostgreSQL and Redis when WESHOP_TEST_DATABASE_URL and
WESHOP_TEST_REDIS_URL are set. The schema is built by the real Alembic migrations.

WeChat's platform is wxsim, served over loopback for the whole session: the app has wxsim's
official account, its mini-program (bound to one open platform with it) and a store's own
mini-program (store 1), so any test can sign in, pay or send messages as in WeChat.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support import Api, Runner, free_port, served
from weshop.app import create_app
from weshop.catalog.visits import COMPONENT as VISITS
from weshop.core.clients import SERVER_OPTIONS
from weshop.core.config import Settings
from weshop.core.migrations import upgrade_async
from weshop.core.worker import Worker
from weshop.models import metadata
from weshop.paysim.identity import PLATFORM_APPID
from weshop.wxsim.app import create_app as create_wxsim_app
from weshop.wxsim.apps import PLATFORM_MINIPROGRAM_APPID, STORE_MINIPROGRAM_APPID
from weshop.wxsim.simulator import WxSim

TEST_DATABASE_URL = os.environ.get("WESHOP_TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("WESHOP_TEST_REDIS_URL")


def pytest_report_header() -> str:
    database = "postgresql" if TEST_DATABASE_URL else "sqlite"
    return f"weshop: database={database} redis={'yes' if TEST_REDIS_URL else 'no'}"


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("weshop")


@pytest.fixture(scope="session")
def wxsim() -> Iterator[WxSim]:
    """wxsim for the whole session, at ``wxsim.public_url``. Served by a thread with its own
    event loop: a test that blocks the tests' loop (a synchronous schemathesis call into the
    app) must not stop WeChat from answering the app."""
    port = free_port()
    sim = WxSim(public_url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(
        uvicorn.Config(
            create_wxsim_app(sim),
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_level="warning",
            **SERVER_OPTIONS,
        )
    )
    thread = threading.Thread(target=server.run, name="wxsim", daemon=True)
    thread.start()
    for _ in range(1000):
        if server.started:
            break
        time.sleep(0.01)
    assert server.started, "wxsim did not start"
    yield sim
    server.should_exit = True
    thread.join(timeout=10)


def wechat_settings(sim: WxSim) -> dict[str, object]:
    """The WESHOP_WECHAT_* settings of an installation on ``sim``'s apps."""
    apps = sim.apps
    return {
        "wechat_api_base_url": sim.public_url,
        "wechat_open_base_url": sim.public_url,
        "wechat_jssdk_script_url": f"{sim.public_url}/open/js/jweixin-1.6.0.js",
        "wechat_official_appid": PLATFORM_APPID,
        "wechat_official_secret": apps[PLATFORM_APPID].secret,
        "wechat_miniprogram_appid": PLATFORM_MINIPROGRAM_APPID,
        "wechat_miniprogram_secret": apps[PLATFORM_MINIPROGRAM_APPID].secret,
        "wechat_store_apps": [
            {
                "store_id": 1,
                "kind": "miniprogram",
                "appid": STORE_MINIPROGRAM_APPID,
                "secret": apps[STORE_MINIPROGRAM_APPID].secret,
            }
        ],
    }


@pytest.fixture(scope="session")
def settings(data_dir: Path, wxsim: WxSim) -> Settings:
    return Settings(
        **wechat_settings(wxsim),
        database_url=TEST_DATABASE_URL or f"sqlite+aiosqlite:///{data_dir}/test.db",
        redis_url=TEST_REDIS_URL,
        data_dir=data_dir,
        secret_key="test-secret-not-for-production",
        demo_mode=True,
        sandbox_payments=True,
        run_worker_in_process=False,
        otp_per_phone_per_minute=1000,
        otp_resend_seconds=0,
        otp_per_phone_per_day=1000,
        otp_per_client_per_hour=100000,
        public_base_url="http://test",
    )


async def _reset_schema(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(scope="session")
async def app(settings: Settings):
    await _reset_schema(settings.database_url)
    await upgrade_async(settings.database_url)
    application = create_app(settings, check_schema=False)
    yield application
    await application.state.runtime.close()


@pytest.fixture(scope="session")
def runtime(app):
    return app.state.runtime


@pytest.fixture(autouse=True)
async def clean_state(runtime, wxsim: WxSim) -> AsyncIterator[None]:
    yield
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    async with runtime.db.engine.begin() as conn:
        if runtime.db.is_sqlite:
            for name in tables:
                await conn.execute(text(f'DELETE FROM "{name}"'))
        else:
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    await runtime.components["payments"].reset()
    # Views buffered by this test name rows that are gone (and ids the next test reuses).
    runtime.components[VISITS].discard()
    if runtime.redis is not None:
        await runtime.redis.flushdb()
    # WeChat starts afresh too: wxsim forgets its users' grants, consents and messages, and
    # WeShop the tokens and tickets its process and store keep (a file of its own on SQLite).
    wxsim.reset()
    await runtime.components["wechat_client"].credentials.forget()


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def api(client: httpx.AsyncClient, runtime) -> Api:
    return Api(client, runtime)


@pytest.fixture
def worker(runtime) -> Worker:
    return Worker(runtime.db, runtime.handlers, runtime)


@pytest.fixture
def runner(runtime, worker) -> Runner:
    return Runner(runtime, worker)


@pytest.fixture
async def redis_client() -> AsyncIterator[Redis | None]:
    if not TEST_REDIS_URL:
        yield None
        return
    client = Redis.from_url(TEST_REDIS_URL)
    yield client
    await client.aclose()


@pytest.fixture
async def live_url(app):
    """The app served over loopback, for tests whose claim needs real concurrent requests."""
    async with served(app) as url:
        yield url
