"""Load for the HTTP benches: wrk when installed, else client processes of our own; the
server's CPU time and SQL statements per request; the table against the bare app.

``wrk`` (Debian package ``wrk``: ``apt-get install -y wrk``) is run as
``wrk -t2 -c32 -d10s --latency [-s script.lua] [-H ...] URL`` and its output parsed:
requests, requests/s, p50 and p99 latency, socket errors and non-2xx/3xx answers. Without it,
``--client-processes`` processes (multiprocessing) each keep their share of the connections
busy with a minimal HTTP/1.1 keep-alive client; a connection the server closes is reopened
and counted (``reconnects``), never fatal.

CPU per request: utime + stime of the server process and its descendants (psutil when
installed, else ``/proc/<pid>/stat``), read before and after each run, divided by the
requests completed. SQL per request: from PostgreSQL's ``pg_stat_statements`` when the
extension is installed in the server's database, else not shown.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

WRK = shutil.which("wrk")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Load:
    """How hard to drive: wrk's -t, -c and -d (seconds), or our own client processes."""

    threads: int = 2
    connections: int = 32
    seconds: float = 10
    tool: str = "auto"  # auto | wrk | python
    processes: int = 2

    def use_wrk(self) -> bool:
        if self.tool == "wrk" and not WRK:
            raise RuntimeError("--load-tool wrk, but wrk is not installed (apt-get install wrk)")
        return self.tool == "wrk" or (self.tool == "auto" and WRK is not None)

    def describe(self) -> str:
        if self.use_wrk():
            return f"wrk -t{self.threads} -c{self.connections} -d{self.seconds:g}s --latency"
        return (
            f"python load generator: {self.processes} processes, {self.connections} "
            f"keep-alive connections, {self.seconds:g}s (install wrk for the server's limit)"
        )


@dataclass
class Run:
    """One load run: what the client saw and what the server spent."""

    label: str
    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int = 0  # non-2xx/3xx answers and socket errors
    reconnects: int = 0
    cpu_ms_per_request: float | None = None
    cpu_busy: float | None = None  # server CPU seconds per second of load (1.0: one core)
    sql_per_request: float | None = None
    notes: list[str] = field(default_factory=list)


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c")
    parser.add_argument("--seconds", type=float, default=10, help="wrk -d, per path")
    parser.add_argument(
        "--load-tool",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="wrk when installed (auto), or the python load generator",
    )
    parser.add_argument(
        "--client-processes", type=int, default=2, help="processes of the python generator"
    )


def load_from(args: argparse.Namespace) -> Load:
    return Load(args.threads, args.connections, args.seconds, args.load_tool, args.client_processes)


# -- the server's CPU time ---------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as file:
                    parent = int(file.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            tree.setdefault(parent, []).append(int(entry))
    return tree


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's worker processes with --workers > 1)."""
    tree, found, todo = _children(), [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(tree.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its descendants, in seconds."""
    try:
        import psutil  # type: ignore[import-not-found]
    except ImportError:
        psutil = None
    total = 0.0
    for member in process_tree(pid):
        try:
            if psutil is not None:
                times = psutil.Process(member).cpu_times()
                total += times.user + times.system
            else:
                with open(f"/proc/{member}/stat", encoding="ascii") as file:
                    fields = file.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        except Exception:  # the process ended between the listing and the read
            continue
    return total


def server_stack(pid: int) -> str:
    """The event loop and HTTP parser a server process has loaded, from its memory map."""
    libraries = set()
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/maps", encoding="utf-8", errors="replace") as file:
                maps = file.read()
        except OSError:
            continue
        libraries |= {name for name in ("uvloop", "httptools") if f"/{name}/" in maps}
    loop = "uvloop" if "uvloop" in libraries else "asyncio"
    http = "httptools" if "httptools" in libraries else "h11"
    return f"{loop}+{http}"


# -- SQL statements (PostgreSQL with pg_stat_statements only) ----------------------------


class SqlCounter:
    """Statements executed in the server's PostgreSQL database, from pg_stat_statements."""

    def __init__(self, database_url: str | None) -> None:
        self.dsn = None
        if database_url and database_url.startswith("postgresql"):
            self.dsn = re.sub(r"^postgresql\+\w+://", "postgresql://", database_url)
        self.available = False

    async def calls(self) -> int | None:
        if self.dsn is None:
            return None
        try:
            import asyncpg

            connection = await asyncpg.connect(self.dsn)
            try:
                value = await connection.fetchval(
                    "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
                    "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            finally:
                await connection.close()
        except Exception:
            self.dsn = None  # not installed (or not preloaded): stop asking
            return None
        self.available = True
        return int(value)


# -- wrk ------------------------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _duration_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


def parse_wrk(output: str) -> dict[str, Any]:
    """requests, per_second, p50_ms, p99_ms, errors from ``wrk --latency``'s output."""
    requests = re.search(r"(\d+) requests in", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not requests or not rate:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = sum(int(n) for n in socket.groups()) if socket else 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return {
        "requests": int(requests.group(1)),
        "per_second": float(rate.group(1)),
        "p50_ms": _duration_ms(latency["50"]) if "50" in latency else float("nan"),
        "p99_ms": _duration_ms(latency["99"]) if "99" in latency else float("nan"),
        "errors": errors,
    }


async def run_wrk(
    url: str,
    load: Load,
    headers: dict[str, str],
    script: str | None,
    env: dict[str, str] | None,
) -> dict[str, Any]:
    command = [
        WRK or "wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{load.seconds:g}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    command.append(url)
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    output, _ = await process.communicate()
    text = output.decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{text}")
    return parse_wrk(text)


# -- the python load generator (without wrk) ------------------------------------------------


def _client_process(
    url: str,
    method: str,
    headers: dict[str, str],
    body: bytes,
    connections: int,
    seconds: float,
) -> tuple[list[float], int, int]:
    return asyncio.run(_clients(url, method, headers, body, connections, seconds))


async def _clients(
    url: str,
    method: str,
    headers: dict[str, str],
    body: bytes,
    connections: int,
    seconds: float,
) -> tuple[list[float], int, int]:
    """(latencies in ms of the completed requests, non-2xx answers, reconnects)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    latencies: list[float] = []
    failures = reconnects = 0
    deadline = time.perf_counter() + seconds

    async def lane() -> None:
        nonlocal failures, reconnects
        reader = writer = None
        while time.perf_counter() < deadline:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                started = time.perf_counter()
                writer.write(request)
                status, keep = await _read_response(reader)  # type: ignore[arg-type]
                latencies.append((time.perf_counter() - started) * 1000)
                if not 200 <= status < 400:
                    failures += 1
                if not keep:
                    writer.close()
                    writer = None
            except (OSError, asyncio.IncompleteReadError, ValueError):
                # The server closed a keep-alive connection (or reset it): open another.
                reconnects += 1
                if writer is not None:
                    writer.close()
                writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(lane() for _ in range(connections)))
    return latencies, failures, reconnects


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split()[1])
    fields = {}
    for line in header_lines:
        if ":" in line:
            name, value = line.split(":", 1)
            fields[name.strip().lower()] = value.strip().lower()
    if "content-length" in fields:
        await reader.readexactly(int(fields["content-length"]))
    elif fields.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, fields.get("connection") != "close"


async def run_python(
    url: str, load: Load, method: str, headers: dict[str, str], body: bytes
) -> dict[str, Any]:
    processes = max(1, min(load.processes, load.connections))
    shares = [
        load.connections // processes + (i < load.connections % processes) for i in range(processes)
    ]
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        pending = [
            pool.apply_async(_client_process, (url, method, headers, body, share, load.seconds))
            for share in shares
        ]
        outcomes = await asyncio.to_thread(lambda: [item.get() for item in pending])
    latencies = sorted(ms for got, _, _ in outcomes for ms in got)
    if not latencies:
        raise RuntimeError(f"no request to {url} completed")
    return {
        "requests": len(latencies),
        # Every lane runs for load.seconds from its own start (the pool's start-up aside).
        "per_second": len(latencies) / load.seconds,
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "errors": sum(failed for _, failed, _ in outcomes),
        "reconnects": sum(again for _, _, again in outcomes),
    }


# -- a fixed list of distinct requests, each sent once (python generator) -------------------


@dataclass
class Sent:
    """What a run of distinct requests got back: latencies, outcomes, wall time."""

    latencies_ms: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0
    reconnects: int = 0

    @property
    def per_second(self) -> float:
        return len(self.latencies_ms) / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def raw_request(url: str, method: str, headers: dict[str, str], body: bytes) -> bytes:
    """One HTTP/1.1 keep-alive request, as bytes on the wire."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _send_share(
    host: str,
    port: int,
    requests: list[bytes],
    connections: int,
    start_at: float,
    outcome_of: Callable[[int, bytes], str],
) -> tuple[list[float], Counter[str], int, float, float]:
    return asyncio.run(_send_each(host, port, requests, connections, start_at, outcome_of))


async def _send_each(
    host: str,
    port: int,
    requests: list[bytes],
    connections: int,
    start_at: float,
    outcome_of: Callable[[int, bytes], str],
) -> tuple[list[float], Counter[str], int, float, float]:
    """Each request once, over ``connections`` keep-alive connections opened before
    ``start_at`` (wall clock); (latencies ms, outcomes, reconnects, wall times of the start
    and the end)."""
    pending = iter(requests)
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    reconnects = 0
    opened = [await asyncio.open_connection(host, port) for _ in range(connections)]
    await asyncio.sleep(max(0.0, start_at - time.time()))
    began = time.time()

    async def lane(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal reconnects
        for request in pending:
            for attempt in range(2):
                try:
                    started = time.perf_counter()
                    writer.write(request)
                    status, keep, body = await _read_answer(reader)
                    break
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    # The server closed the keep-alive connection: once more on a new one.
                    writer.close()
                    reconnects += 1
                    reader, writer = await asyncio.open_connection(host, port)
                    if attempt:
                        raise
            latencies.append((time.perf_counter() - started) * 1000)
            outcomes[outcome_of(status, body)] += 1
            if not keep:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
        writer.close()

    await asyncio.gather(*(lane(reader, writer) for reader, writer in opened))
    return latencies, outcomes, reconnects, began, time.time()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in header_lines:
        if ":" in line:
            name, value = line.split(":", 1)
            fields[name.strip().lower()] = value.strip().lower()
    body = await reader.readexactly(int(fields.get("content-length", "0")))
    return int(status_line.split()[1]), fields.get("connection") != "close", body


async def send_each(
    url: str,
    requests: list[bytes],
    *,
    connections: int,
    processes: int,
    outcome_of: Callable[[int, bytes], str],
) -> Sent:
    """Send every request once to ``url``'s host, ``connections`` at a time from
    ``processes`` client processes (each its share of both), all starting together.
    ``outcome_of(status, body)`` names each answer (a module-level function: it goes to the
    client processes). Requests that cannot be sent with ``wrk -d`` (each distinct, each
    once): the client's own cost is measured by sending the same to the bare app."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    processes = max(1, min(processes, connections, len(requests)))
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        # The pool's start-up and the connections' opening are not measured.
        start_at = time.time() + 3.0
        pending = [
            pool.apply_async(
                _send_share,
                (
                    host,
                    port,
                    requests[index::processes],
                    connections // processes + (index < connections % processes),
                    start_at,
                    outcome_of,
                ),
            )
            for index in range(processes)
        ]
        results = await asyncio.to_thread(lambda: [item.get() for item in pending])
    sent = Sent()
    for latencies, outcomes, reconnects, _, _ in results:
        sent.latencies_ms += latencies
        sent.outcomes += outcomes
        sent.reconnects += reconnects
    # From the first process's start (late if its start-up took longer) to the last's end.
    sent.elapsed_s = max(result[4] for result in results) - min(result[3] for result in results)
    return sent


# -- one measured run -----------------------------------------------------------------------


async def measure(
    label: str,
    url: str,
    load: Load,
    *,
    pid: int | None = None,
    sql: SqlCounter | None = None,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    body: bytes = b"",
    script: str | None = None,
    script_env: dict[str, str] | None = None,
) -> Run:
    """Drive ``url`` for ``load.seconds``; with ``pid``, the server's CPU ms per request;
    with ``sql``, its statements per request. A POST under wrk needs ``script``."""
    headers = headers or {}
    calls_before = await sql.calls() if sql else None
    cpu_before = cpu_seconds(pid) if pid else 0.0
    if load.use_wrk():
        figures = await run_wrk(url, load, headers, script, script_env)
    else:
        if body:
            headers = {"Content-Type": "application/json", **headers}
        figures = await run_python(url, load, method, headers, body)
    cpu_after = cpu_seconds(pid) if pid else 0.0
    calls_after = await sql.calls() if sql else None
    run = Run(label, **figures)
    if pid and run.requests:
        run.cpu_ms_per_request = (cpu_after - cpu_before) * 1000 / run.requests
        run.cpu_busy = (cpu_after - cpu_before) / load.seconds
    if calls_before is not None and calls_after is not None and run.requests:
        # Our own two pg_stat_statements queries are counted too: subtract them.
        run.sql_per_request = max(0, calls_after - calls_before - 1) / run.requests
    return run


# -- the table ----------------------------------------------------------------------------


def bare_rate(bare: list[Run]) -> float:
    return sum(run.per_second for run in bare) / len(bare)


def print_table(runs: list[Run], bare: list[Run], *, show_sql: bool) -> None:
    """path, req/s, ratio to bare (mean of the bare runs), p50, p99, CPU, SQL, errors."""
    base = bare_rate(bare)
    sql_head = f"{'SQL/req':>8}" if show_sql else ""
    print(
        f"{'path':<34}{'req/s':>9}{'ratio':>8}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/req':>11}"
        f"{'busy':>6}"
        f"{sql_head}{'errors':>8}{'reconn':>7}"
    )
    for run in runs:
        if run.cpu_ms_per_request is None or run.cpu_busy is None:
            cpu = f"{'—':>11}{'—':>6}"
        else:
            cpu = f"{run.cpu_ms_per_request:>11.2f}{run.cpu_busy:>6.2f}"
        sql = ""
        if show_sql:
            sql = f"{run.sql_per_request:>8.1f}" if run.sql_per_request is not None else f"{'—':>8}"
        print(
            f"{run.label:<34}{run.per_second:>9,.0f}{run.per_second / base:>8.3f}"
            f"{run.p50_ms:>9.1f}{run.p99_ms:>9.1f}{cpu}{sql}{run.errors:>8}{run.reconnects:>7}"
        )
    spread = ", ".join(f"{run.per_second:,.0f}" for run in bare)
    print(
        f"ratio = req/s over the bare app's mean ({base:,.0f} req/s; runs: {spread}) on the same "
        "uvicorn stack; CPU = server processes' utime+stime per request; busy = their CPU "
        "seconds per second of load (1.00 = one core saturated)"
    )
