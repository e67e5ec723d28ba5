"""The ``weshop`` command: serve, migrate, worker, create-operator and the one-command demo.

Every command reads its settings from ``WESHOP_*`` environment variables (see the README).
Expected failures (an unmigrated or unreachable database, bad input) end with one clear line
on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import unicodedata
from collections.abc import Coroutine
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
import uvicorn
from alembic.util import CommandError
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from weshop import demo as demo_data
from weshop import deploy
from weshop.accounts import repository as accounts_repo
from weshop.accounts import service as accounts
from weshop.app import build_runtime, create_app
from weshop.carriersim.app import create_app as create_carriersim_app
from weshop.carriersim.launch import banner as carriersim_banner
from weshop.carriersim.simulator import CarrierSim
from weshop.core.clients import SERVER_OPTIONS
from weshop.core.clock import EARLIEST_DAY, LATEST_DAY, utcnow
from weshop.core.config import Settings, get_settings
from weshop.core.crypto import mask_phone, normalize_phone
from weshop.core.db import Database
from weshop.core.errors import WeShopError
from weshop.core.logging import configure_logging
from weshop.core.migrations import head_revision, pending_migrations, upgrade
from weshop.core.runtime import Runtime
from weshop.core.worker import Worker
from weshop.demo import store_opening as demo_store_opening
from weshop.demo import wechat as demo_wechat
from weshop.demo.carriers import carriersim_settings, with_carriersim
from weshop.demo.wechatpay import (
    give_stores_sub_merchants,
    open_offline_wechatpay,
    serve_with_simulator,
    wechatpay_settings,
)
from weshop.flashsale import reconcile as flash_reconcile
from weshop.ledger.check import CheckReport, check_ledger
from weshop.ledger.reconciliation import (
    ProviderRecordsUnavailable,
    Reconciliation,
    reconcile_day,
)
from weshop.models import metadata
from weshop.payments.providers import (
    PaymentSetup,
    PaymentSetupError,
    build_payment_setup,
    payment_setup,
)
from weshop.payments.wechatpay.setup import WechatPayConfigError, wechatpay_configured
from weshop.paysim.app import create_app as create_paysim_app
from weshop.paysim.app import open_simulator
from weshop.paysim.identity import StateFiles
from weshop.paysim.launch import banner as paysim_banner
from weshop.paysim.payers import WxsimPayers
from weshop.wxsim.app import create_app as create_wxsim_app
from weshop.wxsim.launch import banner as wxsim_banner
from weshop.wxsim.simulator import WxSim

app = typer.Typer(
    name="weshop",
    help="WeShop: an open-source social-commerce platform. "
    "Settings come from WESHOP_* environment variables (or a .env file).",
    no_args_is_help=True,
    add_completion=False,
    # Markdown joins a docstring's wrapped lines into paragraphs that fit the terminal.
    rich_markup_mode="markdown",
    # Locals in a traceback could include the secret key or passwords.
    pretty_exceptions_show_locals=False,
)

# Errors a command can meet when the database is missing, unreachable or refuses a statement.
_DATABASE_ERRORS = (SQLAlchemyError, OSError, CommandError)

T = TypeVar("T")


def _fail(message: str) -> NoReturn:
    typer.secho(f"Error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def _run(coroutine: Coroutine[Any, Any, T], settings: Settings) -> T:
    """Run a command's coroutine, turning expected failures into a clean error line."""
    try:
        return asyncio.run(coroutine)
    except demo_data.DemoError as exc:
        _fail(f"demo data: {exc}")
    except (PaymentSetupError, WechatPayConfigError) as exc:
        _fail(f"payment settings: {exc}")
    except WeShopError as exc:
        _fail(f"{exc.message} ({exc.code})")
    except _DATABASE_ERRORS as exc:
        _fail(f"the database at {_safe_url(settings.database_url)} failed: {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _settings() -> Settings:
    # A fresh read, not the cached get_settings(): the command may have changed the environment.
    try:
        settings = Settings()
    except ValidationError as exc:
        _fail(f"invalid WESHOP_* setting: {exc}")
    configure_logging(settings)
    return settings


def _sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL; None for PostgreSQL or an in-memory database."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    return Path(database) if database and database != ":memory:" else None


async def _schema_problem(database_url: str) -> str | None:
    path = _sqlite_path(database_url)
    if path is not None and not path.exists():
        # Answer without connecting: SQLite would create an empty file as a side effect.
        return f"there is no database file at {path}: run `weshop migrate` (or `weshop demo`)"
    db = Database(database_url)
    try:
        # Connect first: the revision check reads an unreachable server as "no schema yet".
        async with db.read_engine.connect():
            pass
        return await pending_migrations(db)
    finally:
        await db.dispose()


def _require_schema(settings: Settings) -> None:
    """The same check as the app's start-up, run first so that it reads as one clean line."""
    problem = _run(_schema_problem(settings.database_url), settings)
    if problem:
        _fail(f"WeShop will not start: {problem}")


async def _close(runtime: Runtime) -> None:
    await payment_setup(runtime).close()
    await runtime.close()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Server processes (each with its own connections).")
    ] = 1,
    no_worker: Annotated[
        bool,
        typer.Option(
            "--no-worker",
            help="Do not run the outbox/deadline worker inside the server; "
            "run `weshop worker` processes instead (production).",
        ),
    ] = False,
) -> None:
    """Run the web server (uvicorn) on an already migrated database."""
    if no_worker:
        # Through the environment, so that every server process (--workers) sees it.
        os.environ["WESHOP_RUN_WORKER_IN_PROCESS"] = "false"
        get_settings.cache_clear()
    settings = _settings()
    _require_schema(settings)
    _run(_check_payment_setup(settings), settings)
    uvicorn.run(
        "weshop.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=settings.access_log,
        **SERVER_OPTIONS,
    )


async def _check_payment_setup(settings: Settings) -> None:
    """Refuse, in one clear line, payment settings the server would refuse at start-up."""
    await build_payment_setup(settings).close()


@app.command()
def migrate(
    revision: Annotated[str, typer.Option(help="Alembic revision to upgrade to.")] = "head",
) -> None:
    """Create or upgrade the database schema (Alembic), then print the revision reached."""
    settings = _settings()
    _run(_migrate(settings.database_url, revision), settings)
    current = _run(_current_revision(settings.database_url), settings)
    where = "head" if current == head_revision() else f"head is {head_revision()}"
    typer.echo(f"Database {_safe_url(settings.database_url)} is at revision {current} ({where}).")


async def _migrate(database_url: str, revision: str) -> None:
    # Alembic runs its own event loop, so it needs a thread without one.
    await asyncio.to_thread(upgrade, database_url, revision)


async def _current_revision(database_url: str) -> str | None:
    db = Database(database_url)
    try:
        return await db.current_revision()
    finally:
        await db.dispose()


@app.command()
def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Handle what is due now, then exit (cron, tests).")
    ] = False,
) -> None:
    """Run the background worker: outbox messages, deadlines and (when the sandbox is enabled)
    sandbox payment callbacks.

    Runs until SIGINT or SIGTERM; start as many as you like, they never take the same message.
    """
    settings = _settings()
    _require_schema(settings)
    handled = _run(_work(settings, once=once), settings)
    if once:
        typer.echo(f"Handled {handled} due messages and callbacks.")


async def _work(settings: Settings, *, once: bool) -> int:
    runtime = build_runtime(settings)
    loop_worker = Worker(runtime.db, runtime.handlers, runtime)
    payments = payment_setup(runtime)
    try:
        if once:
            return await _drain(loop_worker, payments)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        typer.echo("Worker running; stop it with Ctrl+C or SIGTERM.")
        await asyncio.gather(
            loop_worker.run_forever(stop, settings.worker_poll_seconds),
            *payments.background(stop),
        )
        return 0
    finally:
        await _close(runtime)


async def _drain(loop_worker: Worker, payments: PaymentSetup, *, max_rounds: int = 50) -> int:
    """Alternate callbacks and outbox rounds until neither has anything due.

    A delivered callback emits outbox messages and a handled message may start a delivery,
    so one pass of each is not enough.
    """
    handled = 0
    for _ in range(max_rounds):
        done = await payments.deliver_due() + await loop_worker.drain()
        handled += done
        if done == 0:
            break
    return handled


@app.command("create-operator")
def create_operator(
    phone: Annotated[str, typer.Option(help="The operator's mobile number (signs in with it).")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="At least 8 characters; asked for when not given.",
        ),
    ],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
) -> None:
    """Create a platform operator, or make an existing user one and reset their password."""
    try:
        phone = normalize_phone(phone)
    except ValueError as exc:
        _fail(f"--phone: {exc}")
    settings = _settings()
    _require_schema(settings)
    created = _run(_create_operator(settings, phone, password, name), settings)
    typer.echo(
        f"Operator {mask_phone(phone)} {'created' if created else 'updated'}; "
        "sign in with POST /api/v1/auth/sessions {phone, password}."
    )


async def _create_operator(settings: Settings, phone: str, password: str, name: str) -> bool:
    runtime = build_runtime(settings)
    try:
        async with runtime.db.transaction() as session:
            existed = await accounts_repo.user_by_phone(session, phone) is not None
            user = await accounts.create_operator(session, phone, password, name)
            # set_password holds the password rules; a refusal rolls the whole change back.
            await accounts.set_password(session, user, password)
        return not existed
    finally:
        await _close(runtime)


@app.command()
def demo(
    fresh: Annotated[
        bool,
        typer.Option("--fresh", help="Delete the database and media first, then seed anew."),
    ] = False,
    yes_really: Annotated[
        bool,
        typer.Option("--yes-really", help="Allow --fresh on a database that is not SQLite."),
    ] = False,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    wechatpay: Annotated[
        bool,
        typer.Option(
            "--wechatpay",
            help="Pay through WeChat Pay's protocol, offline: run paysim beside the server "
            "(on PORT+100) and use it as a platform in partner mode, each store a "
            "sub-merchant.",
        ),
    ] = False,
    wechat: Annotated[
        bool,
        typer.Option(
            "--wechat",
            help="Open the shop as inside WeChat, offline: run wxsim, the WeChat platform "
            "simulator, beside the server (on PORT+200) and use its official account and "
            "mini-program: sign-in by WeChat's web authorisation, JSAPI payments through "
            "paysim (implies --wechatpay), share cards, and subscription messages in wxsim's "
            "inbox.",
        ),
    ] = False,
) -> None:
    """Try WeShop in one command: migrate, seed demo stores, products and users, and serve.

    Uses WESHOP_DATABASE_URL (default: the SQLite file var/weshop.db) and seeds only an
    empty database, so running it again keeps your data. Sign-in codes are shown on the
    sign-in page and returned in the API's answers (demo mode), and the worker runs inside
    the server. Payments use the sandbox cashier, or with `--wechatpay` the WeChat Pay
    simulator (signed requests, encrypted callbacks, profit sharing at settlement).
    With `--wechat` the shop also works as inside WeChat against wxsim: open it with a user
    agent containing MicroMessenger (the banner says how).
    Shipped parcels are tracked through carriersim, the Kuaidi100 simulator, served under
    /carriersim: they are delivered about six minutes after shipping.
    """
    # The demo's past orders are paid in the sandbox, whatever the default provider.
    overrides: dict[str, Any] = {
        "demo_mode": True,
        "run_worker_in_process": True,
        "sandbox_payments": True,
    }
    settings = _settings()
    shown_host = "127.0.0.1" if host in {"0.0.0.0", "::"} else host
    if "public_base_url" not in settings.model_fields_set:
        # Payment cashier links and callbacks must point at this very server.
        overrides["public_base_url"] = f"http://{shown_host}:{port}"
    offline_wechatpay = offline_wechat = None
    if wechatpay or wechat:
        try:
            offline_wechatpay = open_offline_wechatpay(settings.data_dir, shown_host, port + 100)
        except (OSError, ValueError) as exc:
            _fail(f"paysim cannot use its state in {settings.data_dir}: {_first_line(exc)}")
        overrides |= wechatpay_settings(offline_wechatpay, settings.data_dir)
    if offline_wechatpay is not None and wechat:
        try:
            offline_wechat = demo_wechat.open_offline_wechat(
                settings.data_dir, shown_host, port + demo_wechat.PORT_OFFSET, offline_wechatpay.url
            )
        except OSError as exc:
            _fail(f"wxsim cannot keep its seed in {settings.data_dir}: {_first_line(exc)}")
        demo_wechat.connect_paysim(offline_wechatpay.sim, offline_wechat)
        overrides |= demo_wechat.wechat_settings(offline_wechat)
    # Demo parcels move: Kuaidi100's protocol, answered by carriersim on this very server.
    overrides |= carriersim_settings(overrides.get("public_base_url") or settings.public_base_url)
    settings = settings.model_copy(update=overrides)
    if fresh and not settings.is_sqlite and not yes_really:
        _fail(
            f"--fresh would delete every table of {_safe_url(settings.database_url)}, "
            "which is not a SQLite file; add --yes-really if that is what you want."
        )
    if fresh:
        _wipe(settings)
    _run(_migrate(settings.database_url, "head"), settings)
    result = _run(demo_data.seed(settings), settings)
    typer.echo(_demo_banner(settings, result))
    if demo_store_opening.LAST_RUN.steps:
        typer.echo(f"  {demo_store_opening.LAST_RUN.text()}\n")
    log_level = settings.log_level.lower()
    if offline_wechatpay is None:
        uvicorn.run(
            with_carriersim(create_app(settings)),
            host=host,
            port=port,
            log_level=log_level,
            access_log=settings.access_log,
            **SERVER_OPTIONS,
        )
        return
    _run(give_stores_sub_merchants(settings, offline_wechatpay.sim), settings)
    typer.echo(
        f"  WeChat Pay        paysim at {offline_wechatpay.url} (partner mode; every store "
        "is a sub-merchant)\n"
    )
    beside: list[tuple[Any, int]] = []
    if offline_wechat is not None:
        typer.echo(demo_wechat.banner(offline_wechat, settings.public_base_url))
        beside.append((offline_wechat.asgi_app(), offline_wechat.port))
    asyncio.run(
        serve_with_simulator(
            with_carriersim(create_app(settings)),
            offline_wechatpay,
            host=host,
            port=port,
            log_level=log_level,
            beside=beside,
        )
    )


def _wipe(settings: Settings) -> None:
    """Forget all data: the database, uploaded media and the sandbox provider's records."""
    path = _sqlite_path(settings.database_url)
    if path is not None:
        # The file and, beside it, the small file of WeChat's cached tokens (wechat/tokens.py).
        for name in (str(path), f"{path}.wechat-credentials"):
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{name}{suffix}").unlink(missing_ok=True)
    elif not settings.is_sqlite:
        _run(_drop_tables(settings.database_url), settings)
    shutil.rmtree(settings.media_dir, ignore_errors=True)
    _run(_reset_sandbox(settings), settings)


async def _drop_tables(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
            await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        await engine.dispose()


async def _reset_sandbox(settings: Settings) -> None:
    runtime = build_runtime(settings)
    try:
        await payment_setup(runtime).reset()
    finally:
        await _close(runtime)


def _demo_banner(settings: Settings, result: demo_data.SeedResult) -> str:
    base = settings.public_base_url.rstrip("/")
    status = {
        demo_data.SeedResult.CREATED: "created just now",
        demo_data.SeedResult.PRESENT: "already there (start over with --fresh)",
        demo_data.SeedResult.OTHER_DATA: "not seeded: the database already holds other "
        "stores, so the logins below may not exist (start over with --fresh)",
    }[result]
    lines = [
        "",
        "WeShop demo",
        f"  Database          {_safe_url(settings.database_url)}",
        f"  Demo data         {status}",
        f"  Shop (phone)      {base}/",
        f"  Merchant console  {base}/console",
        f"  Platform console  {base}/platform",
        f"  API docs          {base}/docs",
        f"  OpenAPI           {base}/openapi.json",
        f"  Sandbox cashier   {base}/sandbox-pay/cashier/<out_trade_no> "
        "(the cashier_url of each payment)",
        f"  Parcel tracking   {base}/carriersim (carriersim, Kuaidi100's protocol; a parcel "
        "is delivered about six minutes after shipping)",
        "",
        "Sign in on the pages (the code is shown there in demo mode), or through the API with",
        "POST /api/v1/auth/sessions {phone, password} or {phone, code}; a code comes from",
        "POST /api/v1/auth/codes {phone}, whose answer carries it as demo_code.",
    ]
    for login in demo_data.logins():
        how = f"password {login.password}" if login.password else "sign-in code"
        lines.append(f"  {_pad(login.who, 28)}{login.phone}  {how}")
    lines.append("")
    return "\n".join(lines)


def _pad(text: str, width: int) -> str:
    """Left-justify for a terminal, where each Chinese character takes two columns."""
    columns = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    return text + " " * max(width - columns, 1)


def _mchid_and_appid(binding: str) -> tuple[str, str]:
    mchid, _, appid = binding.partition("=")
    if not mchid.strip() or not appid.strip():
        raise typer.BadParameter(f"{binding!r} is not MCHID=APPID", param_hint="--bind-appid")
    return mchid.strip(), appid.strip()


@app.command()
def paysim(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8100,
    state_dir: Annotated[
        Path, typer.Option(help="Directory of the simulator's keys (made on first run).")
    ] = Path("var/paysim"),
    state_file: Annotated[
        Path | None,
        typer.Option(
            help="SQLite file of orders, balances and callbacks [default: STATE_DIR/paysim.db]."
        ),
    ] = None,
    platform_key: Annotated[
        Path | None,
        typer.Option(
            help="WeChat Pay's platform private key, which signs answers and callbacks "
            "[default: STATE_DIR/platform_key.pem]."
        ),
    ] = None,
    merchant_cert: Annotated[
        Path | None,
        typer.Option(
            help="The merchant API certificate whose key signs WeShop's requests "
            "[default: STATE_DIR/apiclient_cert.pem, made with its key]."
        ),
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option(
            help="The simulator's URL as WeShop and payers reach it [default: http://HOST:PORT]."
        ),
    ] = None,
    bind_appid: Annotated[
        list[str] | None,
        typer.Option(
            help="MCHID=APPID: bind another app to a merchant (the platform's mini-program, a "
            "store's own app to its sub-merchant), so orders may be placed under it. Repeat "
            "for several."
        ),
    ] = None,
    wxsim_url: Annotated[
        str | None,
        typer.Option(
            help="A running wxsim (`weshop wxsim`): a JSAPI payer's openid must then be one "
            "of its users' under the order's app (asked at GET /wxsim/openid), else "
            "PARAM_ERROR as WeChat Pay answers. Without it any openid pays."
        ),
    ] = None,
) -> None:
    """Run paysim, a local simulator of the WeChat Pay APIv3 protocol (demo and tests).

    On first run it makes its platform key pair, a merchant key pair with its certificate
    and an APIv3 key in STATE_DIR, then prints them with the WESHOP_WECHATPAY_* settings
    that point WeShop at it. Orders survive a restart (the state file keeps them).
    """
    bindings = [_mchid_and_appid(binding) for binding in bind_appid or []]
    shown_host = "127.0.0.1" if host in {"0.0.0.0", "::"} else host
    base_url = (public_url or f"http://{shown_host}:{port}").rstrip("/")
    files = StateFiles.in_directory(
        state_dir, platform_key=platform_key, merchant_cert=merchant_cert
    )
    database = state_file or state_dir / "paysim.db"
    payers = WxsimPayers(wxsim_url) if wxsim_url else None
    try:
        sim, created = open_simulator(files, database, base_url=base_url, payers=payers)
        for mchid, appid in bindings:
            sim.bind_appid(mchid, appid)
    except (OSError, ValueError) as exc:
        _fail(f"paysim cannot use its state in {state_dir}: {_first_line(exc)}")
    typer.echo(paysim_banner(sim, files, str(database), created=created))
    uvicorn.run(create_paysim_app(sim, background=True), host=host, port=port)


@app.command()
def carriersim(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8200,
    customer: Annotated[
        str, typer.Option(help="The customer id WeShop signs queries with.")
    ] = "CARRIERSIM",
    key: Annotated[
        str, typer.Option(help="The authorisation key subscriptions and queries must carry.")
    ] = "carriersim-key",
    pace_seconds: Annotated[
        float,
        typer.Option(
            min=1, help="Seconds between a parcel's stages (揽收, 运输中, 派送中, 已签收)."
        ),
    ] = 60.0,
    public_url: Annotated[
        str | None,
        typer.Option(help="The simulator's URL as WeShop reaches it [default: http://HOST:PORT]."),
    ] = None,
) -> None:
    """Run carriersim, a local simulator of Kuaidi100's parcel tracking (demo and tests).

    It accepts subscriptions (POST /poll), moves each parcel through collection, transit,
    delivery round and signature on a clock, pushes each stage signed to WeShop's callback,
    and answers real-time queries (POST /poll/query.do). Parcels live in memory only. It
    prints the WESHOP_KUAIDI100_* settings that point WeShop at it.
    """
    shown_host = "127.0.0.1" if host in {"0.0.0.0", "::"} else host
    base_url = (public_url or f"http://{shown_host}:{port}").rstrip("/")
    sim = CarrierSim(customer=customer, key=key, pace=timedelta(seconds=pace_seconds))
    typer.echo(carriersim_banner(sim, base_url))
    uvicorn.run(create_carriersim_app(sim, background=True), host=host, port=port)


@app.command()
def wxsim(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8300,
    public_url: Annotated[
        str | None,
        typer.Option(
            help="The simulator's URL as WeShop and browsers reach it [default: http://HOST:PORT]."
        ),
    ] = None,
    paysim_url: Annotated[
        str,
        typer.Option(help="paysim's URL: JSAPI payments in its JS-SDK go to paysim's cashier."),
    ] = "http://127.0.0.1:8100",
    token_ttl_seconds: Annotated[
        int, typer.Option(min=301, help="Lifetime of access tokens and JS-SDK tickets.")
    ] = 7200,
    seed: Annotated[
        str,
        typer.Option(
            help="Seed of AppSecrets, openids, unionids and template ids (stable per seed)."
        ),
    ] = "wxsim",
) -> None:
    """Run wxsim, a local simulator of the WeChat platform APIs (demo and tests).

    It serves WeChat's paths: access tokens, web authorisation (an authorise page to pick a
    test WeChat user), mini-program sign-in and phone numbers, JS-SDK tickets and script,
    mini-program codes and subscription messages, with an inbox page of what each test user
    received. State lives in memory; ids are stable for a seed. It prints the WESHOP_WECHAT_*
    settings that point WeShop at it.
    """
    shown_host = "127.0.0.1" if host in {"0.0.0.0", "::"} else host
    base_url = (public_url or f"http://{shown_host}:{port}").rstrip("/")
    sim = WxSim(
        seed=seed,
        token_ttl=timedelta(seconds=token_ttl_seconds),
        public_url=base_url,
        paysim_url=paysim_url,
    )
    typer.echo(wxsim_banner(sim))
    uvicorn.run(create_wxsim_app(sim), host=host, port=port)


ledger = typer.Typer(
    help="The double-entry ledger of orders' money.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(ledger, name="ledger")


@ledger.command("check")
def ledger_check(
    database_url: Annotated[
        str | None,
        typer.Option(help="The database to check (default: the WESHOP_DATABASE_URL setting)."),
    ] = None,
) -> None:
    """Verify the ledger: entries balance, orders add up, no store money in platform accounts.

    Prints each violation and exits with status 1 when there is any.
    """
    settings = _settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    _require_schema(settings)
    report = _run(_check_ledger(settings.database_url), settings)
    for violation in report.violations:
        typer.echo(str(violation))
    summary = f"{report.entries} entries and {report.orders} orders checked"
    if report.violations:
        typer.secho(f"{len(report.violations)} violations; {summary}.", fg="red", err=True)
        raise typer.Exit(1)
    typer.echo(f"Ledger OK: {summary}.")


async def _check_ledger(database_url: str) -> CheckReport:
    db = Database(database_url)
    try:
        async with db.session(write=False) as session, session.begin():
            return await check_ledger(session)
    finally:
        await db.dispose()


@app.command()
def reconcile(
    day: Annotated[
        datetime,
        typer.Option(
            "--date", formats=["%Y-%m-%d"], help="The day to reconcile (Beijing time), YYYY-MM-DD."
        ),
    ],
    provider: Annotated[
        str | None,
        typer.Option(
            help="wechatpay, or sandbox where WESHOP_SANDBOX_PAYMENTS is true (default: the "
            "installation's default provider)."
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(help="WeShop's database (default: the WESHOP_DATABASE_URL setting)."),
    ] = None,
) -> None:
    """Reconcile a day's payments, refunds and profit sharing with the payment provider and
    the ledger.

    Fetches the provider's records of the day (WeChat Pay's daily trade bill, or the sandbox
    gateway's own tables), compares them with WeShop's succeeded payments and refunds by
    out_trade_no / out_refund_no, and checks that the ledger posted each one's amount. With
    WeChat Pay in partner mode it also compares the day's profit-sharing bill (the platform
    fee and each promoter's commission split at settlement, the fee returned before a refund)
    with the ledger's settlements and refunds, per order and receiver. Prints every
    difference: missing on our side, missing at the provider, amount mismatch, ledger
    mismatch. Exits 0 when there is none, 1 when there is any, and 2 when the comparison
    could not be made (bill not ready, provider or database unreachable, bad settings).
    """
    settings = _settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    chosen = (
        provider
        or settings.default_payment_provider
        or ("wechatpay" if wechatpay_configured(settings) else "sandbox")
    )
    try:
        if chosen not in ("wechatpay", "sandbox"):
            _fail(f"--provider must be wechatpay or sandbox, not {chosen!r}")
        if chosen == "sandbox" and not settings.sandbox_payments:
            _fail("the sandbox provider is not enabled here (set WESHOP_SANDBOX_PAYMENTS=true)")
        if not EARLIEST_DAY <= day.date() <= LATEST_DAY:
            _fail(f"--date must lie between {EARLIEST_DAY} and {LATEST_DAY}")
        _require_schema(settings)
        result = _run(_reconcile(settings, chosen, day.date()), settings)
    except ProviderRecordsUnavailable as exc:
        typer.secho(f"Cannot reconcile {day.date()}: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    except typer.Exit as failed:
        # Could not compare (2) must never read as "differences found" (1).
        raise typer.Exit(2) from failed
    for difference in result.differences:
        typer.echo(str(difference))
    if result.splits_not_compared:
        typer.echo(f"Profit sharing not compared: {result.splits_not_compared}.")
        splits = ""
    else:
        splits = (
            f"; {result.provider_splits} splits and returns at the provider, "
            f"{result.ledger_splits} in the ledger"
        )
    summary = (
        f"{day.date()} ({chosen}): {result.provider_records} records at the provider, "
        f"{result.our_records} in WeShop{splits}"
    )
    if result.differences:
        typer.secho(f"{len(result.differences)} differences; {summary}.", fg="red", err=True)
        raise typer.Exit(1)
    typer.echo(f"Reconciled, no difference: {summary}.")


async def _reconcile(settings: Settings, provider: str, day: date) -> Reconciliation:
    sandbox_file = settings.data_dir / "sandbox-pay.db"
    if provider == "sandbox" and not sandbox_file.exists():
        # Without its file the sandbox has no records: comparing would call every payment
        # missing at the provider.
        raise ProviderRecordsUnavailable(
            f"the sandbox gateway keeps no records here: there is no {sandbox_file}"
        )
    runtime = build_runtime(settings)
    try:
        async with runtime.db.session(write=False) as session, session.begin():
            return await reconcile_day(session, provider, day, payment_setup(runtime))
    finally:
        await _close(runtime)


@app.command("check-deploy")
def check_deploy(
    fail_level: Annotated[
        str,
        typer.Option(help="Exit 1 on findings of this level or above: error or warning."),
    ] = "error",
    database: Annotated[
        bool,
        typer.Option(
            "--database/--no-database",
            help="Also check what needs the database (WeChat Pay's direct mode with several "
            "selling stores).",
        ),
    ] = True,
) -> None:
    """Check the installation's settings for production, like Django's `check --deploy`.

    Prints one line per finding (level, id, what to set): the sandbox provider or demo mode
    left on, a weak or missing secret key, no payment provider, WeChat Pay's direct mode with
    more than one store selling (二清), sign-in codes going to the log, debug logs, SQLite,
    no Redis, a plain-http address, any Host allowed, no trusted proxies. Exits 1 when a
    finding is at `--fail-level` or above, 0 otherwise. SECURITY.md explains each setting.
    """
    levels = {"error": deploy.Level.ERROR, "warning": deploy.Level.WARNING}
    if fail_level not in levels:
        _fail(f"--fail-level must be error or warning, not {fail_level!r}")
    settings = _settings()
    findings = deploy.check_settings(settings)
    if database:
        _require_schema(settings)
        findings += _run(deploy.check_database(settings), settings)
    for finding in sorted(findings, key=lambda f: (-f.level, f.id)):
        typer.echo(finding.line())
    failing = [f for f in findings if f.level >= levels[fail_level]]
    if failing:
        typer.secho(
            f"{len(failing)} of {len(findings)} findings at {fail_level} or above.",
            fg="red",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"No finding at {fail_level} or above ({len(findings)} in all).")


flashsale = typer.Typer(help="Flash sales (秒杀).", no_args_is_help=True)
app.add_typer(flashsale, name="flashsale")


@flashsale.command("reconcile")
def flashsale_reconcile(
    grace_seconds: Annotated[
        float,
        typer.Option(
            min=0,
            help="An attempt Redis accepted that the database still does not know after this "
            "long belongs to a request that died: its unit is given back.",
        ),
    ] = flash_reconcile.DEFAULT_GRACE_SECONDS,
) -> None:
    """Prove Redis stock + live flash orders = flash stock for every item of a running session,
    and repair Redis where it differs (after a crash, or a flush: missing keys are loaded from
    the database). Prints one line per item with what it found and repaired; without Redis,
    checks that each item's sold units equal its live attempts. Exits 1 on a mismatch it
    could not repair."""
    settings = _settings()
    _require_schema(settings)
    checks = _run(_flashsale_reconcile(settings, grace_seconds), settings)
    for check in checks:
        typer.echo(flash_reconcile.describe(check))
    repaired = sum(check.repaired for check in checks)
    if not all(check.consistent for check in checks):
        typer.secho("Flash stock does not add up; see the lines above.", fg="red", err=True)
        raise typer.Exit(1)
    typer.echo(f"{len(checks)} items checked, {repaired} repaired: no drift left.")


async def _flashsale_reconcile(settings: Settings, grace_seconds: float) -> list:
    runtime = build_runtime(settings)
    try:
        return await flash_reconcile.run(runtime, utcnow(), grace_seconds)
    finally:
        await _close(runtime)


if __name__ == "__main__":
    app()
