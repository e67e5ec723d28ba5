"""An app's access token is fetched once per expiry by every `weshop serve` process of an
installation together, with Redis and with the database as the shared cache."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_REDIS_URL, wechat_settings
from tests.support import free_port
from tests.wechat.support import MINIPROGRAM, bearer, mini_program_sign_in

PROCESSES = 4
REQUESTS_PER_PROCESS = 10
SERVE = "from weshop.cli import app; app()"


def _environment(settings, wxsim, redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WESHOP_")}
    values = {
        "database_url": settings.database_url,
        "data_dir": str(settings.data_dir),
        "secret_key": settings.secret_key.get_secret_value(),
        "run_worker_in_process": "false",
        "log_level": "WARNING",
        **{k: v for k, v in wechat_settings(wxsim).items() if k != "wechat_store_apps"},
    }
    if redis_url:
        values["redis_url"] = redis_url
    for name, value in values.items():
        env[f"WESHOP_{name.upper()}"] = str(value)
    return env


@asynccontextmanager
async def _servers(env: dict[str, str], logs: Path) -> AsyncIterator[list[str]]:
    ports = [free_port() for _ in range(PROCESSES)]
    log = logs.open("wb")
    processes = [
        await asyncio.create_subprocess_exec(
            *(sys.executable, "-c", SERVE, "serve", "--port", str(port), "--no-worker"),
            env=env,
            stdout=log,
            stderr=log,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        async with httpx.AsyncClient(timeout=2) as probe:
            for url in urls:
                # Start-up takes seconds per process on a busy machine.
                for _ in range(1200):
                    try:
                        if (await probe.get(f"{url}/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    output = await asyncio.to_thread(logs.read_text)
                    raise AssertionError(f"{url} did not start: {output[-2000:]}")
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            await process.wait()
        log.close()


async def _round(urls: list[str], headers: dict[str, str]) -> list[int]:
    """Requests that need the mini-program's access token, all at once on every process
    (a made-up phone code: WeChat checks the token, then refuses the code)."""
    async with httpx.AsyncClient(timeout=60) as http:
        answers = await asyncio.gather(
            *(
                http.post(
                    f"{url}/api/v1/me/wechat/phone", json={"code": "no-such-code"}, headers=headers
                )
                for url in urls
                for _ in range(REQUESTS_PER_PROCESS)
            )
        )
    return [answer.status_code for answer in answers]


@pytest.mark.parametrize("cache", ["redis", "database"])
async def test_one_fetch_per_expiry_across_four_server_processes(
    cache, client, settings, wxsim, tmp_path
):
    if cache == "redis" and not TEST_REDIS_URL:
        pytest.skip("Redis is not configured for the tests (WESHOP_TEST_REDIS_URL)")
    shopper = bearer(await mini_program_sign_in(client, wxsim, "lina"))
    env = _environment(settings, wxsim, TEST_REDIS_URL if cache == "redis" else None)
    before = wxsim.token_calls(MINIPROGRAM)
    async with _servers(env, tmp_path / "servers.log") as urls:
        expected = [401] * PROCESSES * REQUESTS_PER_PROCESS
        assert await _round(urls, shopper) == expected
        assert wxsim.token_calls(MINIPROGRAM) - before == 1
        assert await _round(urls, shopper) == expected
        assert wxsim.token_calls(MINIPROGRAM) - before == 1

        # WeChat ends the token early: every process is refused it (42001), one fetches.
        wxsim.expire_tokens(MINIPROGRAM)
        assert await _round(urls, shopper) == expected
        assert wxsim.token_calls(MINIPROGRAM) - before == 2
