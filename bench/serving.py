"""The server side of the HTTP benchmarks: a WeShop server to drive, and getting into it.

Shared by ``bench/checkout.py`` and ``bench/pricing.py`` (run as ``.venv/bin/python
bench/<name>.py``, which puts ``bench/`` on ``sys.path``). Either a server of our own
(``self_hosted``: ``weshop serve`` on a free port over a fresh temporary SQLite file or the
given database, migrated, with an operator written straight to the database), or one the
caller runs (``--base-url``, with an operator's phone and password or the server's
``--database-url`` to create one). Shoppers and staff sign in with the codes a demo-mode
server answers with; the operator with its password.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from weshop.accounts import service as accounts
from weshop.core.config import Settings
from weshop.core.crypto import configure_cipher
from weshop.core.db import Database

Headers = dict[str, str]
BENCH_DIR = os.path.dirname(os.path.abspath(__file__))


class BenchError(Exception):
    """The benchmark could not run (not a measurement)."""


@dataclass
class Operator:
    phone: str
    password: str


@dataclass
class Target:
    """The server a bench drives: its URL, an operator, and, when known, the PID of its
    process (``--server-pid``, or ours when self-hosted), its database URL and the
    environment it was started with (for the bare app of the same run)."""

    base_url: str
    operator: Operator
    pid: int | None = None
    database_url: str | None = None
    env: dict[str, str] | None = None
    serve_args: tuple[str, ...] = ()


def random_phones(count: int) -> list[str]:
    """Fresh mainland mobile numbers, so that runs against one database never collide."""
    phones: set[str] = set()
    while len(phones) < count:
        phones.add(f"1{secrets.choice('3456789')}{secrets.randbelow(10**9):09d}")
    return sorted(phones)


def expect(response: httpx.Response, status: int) -> Any:
    if response.status_code != status:
        raise BenchError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    return response.json() if response.content else None


async def create_operator(database_url: str, settings: Settings | None = None) -> Operator:
    """An operator written straight to the database, as `weshop create-operator` would."""
    settings = settings or Settings(database_url=database_url)
    configure_cipher(settings.resolved_secret())
    operator = Operator(random_phones(1)[0], secrets.token_urlsafe(12))
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            await accounts.create_operator(session, operator.phone, operator.password, "压测运营")
    finally:
        await db.dispose()
    return operator


async def sign_in(client: httpx.AsyncClient, phone: str, password: str | None = None) -> Headers:
    if password is None:
        sent = expect(await client.post("/api/v1/auth/codes", json={"phone": phone}), 202)
        if not sent.get("demo_code"):
            raise BenchError("the server is not in demo mode (WESHOP_DEMO_MODE=true)")
        body = {"phone": phone, "code": sent["demo_code"]}
    else:
        body = {"phone": phone, "password": password}
    session = expect(await client.post("/api/v1/auth/sessions", json=body), 201)
    return {"Authorization": f"Bearer {session['token']}"}


async def signed_in_shopper(client: httpx.AsyncClient, phone: str) -> tuple[Headers, int]:
    """A shopper signed in by phone code, with one delivery address (Hangzhou): the headers
    and the address id."""
    headers = await sign_in(client, phone)
    address = expect(
        await client.post(
            "/api/v1/me/addresses",
            json={
                "recipient": "压测用户",
                "phone": phone,
                "province": "浙江省",
                "city": "杭州市",
                "district": "西湖区",
                "detail": "文三路 100 号",
            },
            headers=headers,
        ),
        201,
    )
    return headers, address["id"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.asynccontextmanager
async def self_hosted(
    kind: str, database_url: str | None = None, *, server_workers: int = 1
) -> AsyncIterator[tuple[str, Operator]]:
    """A `weshop serve` of our own on a free port, over ``database_url`` or (``kind``
    sqlite without one) a fresh temporary SQLite file; migrated, with an operator made for
    the run. Yields (base URL, operator); stopped (SIGTERM) when the block ends.
    ``WESHOP_REDIS_URL`` and the rest of the environment are passed on to the server."""
    async with hosting(kind, database_url, server_workers=server_workers) as target:
        yield target.base_url, target.operator


@contextlib.asynccontextmanager
async def hosting(
    kind: str,
    database_url: str | None = None,
    *,
    server_workers: int = 1,
    no_worker: bool = False,
    extra_env: dict[str, str] | None = None,
) -> AsyncIterator[Target]:
    """``self_hosted``, yielding the whole ``Target`` (with the server's PID); ``no_worker``
    runs ``weshop serve --no-worker`` (no outbox/deadline worker inside the server);
    ``extra_env`` adds settings (``WESHOP_*``) of the bench's own, such as a provider's."""
    if kind == "postgresql" and not (database_url or "").startswith("postgresql"):
        raise BenchError("--self-host postgresql needs --database-url postgresql+asyncpg://...")
    with tempfile.TemporaryDirectory(prefix="weshop-bench-") as data_dir:
        database_url = database_url or f"sqlite+aiosqlite:///{data_dir}/bench.db"
        secret = secrets.token_urlsafe(32)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "WESHOP_DATABASE_URL": database_url,
            "WESHOP_DATA_DIR": data_dir,
            "WESHOP_SECRET_KEY": secret,
            "WESHOP_PUBLIC_BASE_URL": base_url,
            "WESHOP_DEMO_MODE": "true",
            # The benches pay their orders in the sandbox cashier.
            "WESHOP_SANDBOX_PAYMENTS": "true",
            # Every shopper signs in from this one address.
            "WESHOP_OTP_PER_CLIENT_PER_HOUR": "1000000",
            "WESHOP_LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        weshop = (sys.executable, "-m", "weshop.cli")
        migrate = await asyncio.create_subprocess_exec(
            *weshop, "migrate", env=env, stdout=asyncio.subprocess.DEVNULL
        )
        if await migrate.wait() != 0:
            raise BenchError(f"`weshop migrate` failed on {database_url}")
        operator = await create_operator(
            database_url, Settings(database_url=database_url, secret_key=secret)
        )
        serve_args = ("--workers", str(server_workers)) + (("--no-worker",) if no_worker else ())
        server = await asyncio.create_subprocess_exec(
            *weshop, "serve", "--port", str(port), *serve_args, env=env
        )
        async with stopping(server):
            await wait_until_up(base_url, server)
            yield Target(base_url, operator, server.pid, database_url, env, serve_args)


@contextlib.asynccontextmanager
async def stopping(server: asyncio.subprocess.Process) -> AsyncIterator[None]:
    """SIGTERM to ``server`` when the block ends (SIGKILL after 30 s)."""
    try:
        yield
    finally:
        if server.returncode is None:
            server.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(server.wait(), timeout=30)
        except TimeoutError:
            server.kill()
            await server.wait()


@contextlib.asynccontextmanager
async def bare_server(target: Target) -> AsyncIterator[tuple[str, int, dict[str, Any]]]:
    """The bare Starlette app (``bench/bare.py``) on a free port, served by the uvicorn
    call ``weshop serve`` makes (same options, same ``--workers``/``--no-worker``), with the
    target's environment when we host it. Yields (base URL, PID, the uvicorn options)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    bench_dir = BENCH_DIR
    with tempfile.TemporaryDirectory(prefix="weshop-bare-") as scratch:
        options_file = os.path.join(scratch, "options.json")
        env = dict(target.env or os.environ)
        env["WESHOP_LOG_LEVEL"] = "WARNING"
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [bench_dir, env.get("PYTHONPATH")]))
        env["BARE_OPTIONS_FILE"] = options_file
        server = await asyncio.create_subprocess_exec(
            sys.executable,
            os.path.join(bench_dir, "bare.py"),
            "--port",
            str(port),
            *(target.serve_args or ("--workers", "1")),
            env=env,
        )
        async with stopping(server):
            await wait_until_up(base_url, server, path="/")
            options = read_json(options_file)
            yield base_url, server.pid, options


def read_json(path: str) -> Any:
    with open(path, encoding="utf-8") as file:
        return json.load(file)


async def wait_until_up(
    base_url: str, server: asyncio.subprocess.Process, path: str = "/healthz"
) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as client:
        for _ in range(300):
            if server.returncode is not None:
                raise BenchError(f"the server exited with code {server.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(path)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise BenchError(f"the server did not answer {path} within 30 s")


@contextlib.asynccontextmanager
async def server_for(args: argparse.Namespace) -> AsyncIterator[tuple[str, Operator]]:
    """The server the arguments of ``add_server_arguments`` name: (base URL, operator).

    With ``--self-host``, one of our own; otherwise ``--base-url``, with the operator given
    by ``--operator-phone``/``--operator-password`` or created in ``--database-url``."""
    async with target_for(args) as target:
        yield target.base_url, target.operator


@contextlib.asynccontextmanager
async def target_for(args: argparse.Namespace) -> AsyncIterator[Target]:
    """``server_for``, yielding the whole ``Target``."""
    if args.self_host:
        async with hosting(
            args.self_host,
            args.database_url,
            server_workers=args.server_workers,
            no_worker=getattr(args, "no_worker", False),
        ) as target:
            yield target
        return
    if args.operator_phone and args.operator_password:
        operator = Operator(args.operator_phone, args.operator_password)
    elif args.database_url:
        operator = await create_operator(args.database_url)
    else:
        raise BenchError("give --operator-phone and --operator-password, or --database-url")
    serve_args = ("--workers", str(args.server_workers))
    yield Target(
        args.base_url,
        operator,
        getattr(args, "server_pid", None),
        args.database_url,
        serve_args=serve_args,
    )


def add_server_arguments(
    parser: argparse.ArgumentParser, *, base_url: str | None = "http://127.0.0.1:8000"
) -> None:
    """--base-url, --operator-phone, --operator-password, --database-url, --self-host and
    --server-workers, as ``server_for`` reads them."""
    parser.add_argument(
        "--base-url", default=base_url, help="a server you run yourself (without --self-host)"
    )
    parser.add_argument("--operator-phone")
    parser.add_argument("--operator-password")
    parser.add_argument(
        "--database-url", help="the server's database, to create an operator (and --self-host)"
    )
    parser.add_argument(
        "--self-host",
        choices=["sqlite", "postgresql"],
        help="start a `weshop serve` of our own for the run",
    )
    parser.add_argument(
        "--server-workers", type=int, default=1, help="server processes with --self-host"
    )


def add_load_server_arguments(parser: argparse.ArgumentParser) -> None:
    """What the load benches add: --server-pid (a server you run) and --no-worker /
    --with-worker (self-hosted: the outbox worker outside or inside the server)."""
    parser.add_argument(
        "--server-pid", type=int, help="PID of the server you run, to read its CPU time"
    )
    parser.add_argument(
        "--no-worker",
        dest="no_worker",
        action="store_true",
        help="self-hosted `weshop serve --no-worker` (the default of the load benches)",
    )
    parser.add_argument(
        "--with-worker",
        dest="no_worker",
        action="store_false",
        help="self-hosted server with its in-process outbox/deadline worker",
    )
    parser.set_defaults(no_worker=True)
