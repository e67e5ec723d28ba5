"""Where the time of one page or endpoint goes: py-spy on a self-hosted server under wrk.

Starts ``weshop serve --no-worker`` of its own (SQLite, or PostgreSQL with
``--database-url``), fills the same store as ``bench/pages.py`` (and, for ``quote``, the
same shop as ``bench/pricing_api.py``), drives one path with wrk (or client processes) and,
after a second of warm-up, records the server with
``py-spy record --pid PID --nonblocking --threads --full-filenames -f raw``. Only the main
thread's samples (the event loop's) are counted; the share of the other threads (aiosqlite's,
the threadpool) is printed on one line. Then the top ``--top`` functions by own time and by
cumulative time, and a coarse split by package (sqlalchemy, jinja2, uvicorn/h11,
starlette/fastapi, pydantic, db driver, weshop, asyncio, other)::

    .venv/bin/python bench/profile_path.py "store home" --seconds 15
    .venv/bin/python bench/profile_path.py /healthz
    .venv/bin/python bench/profile_path.py quote --database-url postgresql+asyncpg://...
    .venv/bin/python bench/profile_path.py product --keep /tmp/product.raw   # keep the samples

Names: healthz, mall home, store home, product, search, coupon centre, cart, my orders,
quote (5 lines), or any path starting with /. py-spy needs ptrace rights on the server
(root, or ``kernel.yama.ptrace_scope=0``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

import httpx
import load
import pages
import pricing_api
from serving import BENCH_DIR, BenchError, Target, add_server_arguments, target_for

PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")

# First match wins; the order matters (templates live under weshop/, greenlet is SQLAlchemy's
# bridge from async to its sync core).
PACKAGES = [
    ("jinja2", re.compile(r"/jinja2/|\.html$|<template>|\.jinja")),
    ("sqlalchemy", re.compile(r"/sqlalchemy/|/greenlet/|greenlet")),
    ("db driver", re.compile(r"/aiosqlite/|/sqlite3/|/asyncpg/")),
    ("uvicorn/h11", re.compile(r"/uvicorn/|/h11/|/httptools/")),
    ("starlette/fastapi", re.compile(r"/starlette/|/fastapi/|/anyio/")),
    ("pydantic", re.compile(r"/pydantic/|/pydantic_core/")),
    ("weshop", re.compile(r"/weshop/")),
    ("asyncio", re.compile(r"/asyncio/|/uvloop/|/selectors\.py|/concurrent/")),
]


# Frames every sample starts with (python -m weshop.cli, typer, uvicorn's server, the event
# loop's run): not a cost of the request, so cut before the tables.
ENTRY = re.compile(
    r"<frozen runpy>|/typer/|/click/|/weshop/cli\.py|/uvicorn/(main|server|_compat)\.py"
    r"|/asyncio/(runners|base_events|events)\.py|/uvloop/"
)


def without_entry(stack: tuple[str, ...]) -> tuple[str, ...]:
    start = 0
    while start < len(stack) - 1 and ENTRY.search(stack[start]):
        start += 1
    return stack[start:]


def package_of(file: str) -> str:
    for name, pattern in PACKAGES:
        if pattern.search(file):
            return name
    return "other"


def short(file: str) -> str:
    """A file name from its package on: .../site-packages/sqlalchemy/x.py -> sqlalchemy/x.py."""
    for marker in ("/site-packages/", "/src/", "/lib/python3."):
        if marker in file:
            file = file.split(marker, 1)[1]
            if marker == "/lib/python3.":
                file = file.split("/", 1)[-1]
            break
    return file


def parse_raw(text: str) -> tuple[Counter[tuple[str, ...]], Counter[str]]:
    """Stacks of the main thread (root first, without the thread frame) with their counts,
    and the samples per thread."""
    stacks: Counter[tuple[str, ...]] = Counter()
    threads: Counter[str] = Counter()
    main_thread = None
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        thread = frames[0] if frames[0].startswith(("thread", "process")) else "?"
        if thread.startswith("process"):  # "process PID:..." then "thread (...)"
            frames = frames[1:]
            thread = frames[0] if frames and frames[0].startswith("thread") else thread
        threads[thread] += int(count)
        if "MainThread" in thread or (main_thread is None and "MainThread" not in text):
            main_thread = main_thread or thread
        if thread == main_thread or "MainThread" in thread:
            stacks[tuple(frames[1:])] += int(count)
    return stacks, threads


def function_of(frame: str) -> tuple[str, str]:
    """(function with its file, the file) of one py-spy frame."""
    match = FRAME.match(frame)
    if not match:
        return frame, frame
    return f"{match['function']} ({short(match['file'])})", match["file"]


def report(stacks: Counter[tuple[str, ...]], threads: Counter[str], top: int) -> None:
    total = sum(stacks.values())
    if not total:
        raise BenchError("py-spy recorded no sample of the main thread")
    every = sum(threads.values())
    others: Counter[str] = Counter()
    distinct: Counter[str] = Counter()
    for name, count in threads.items():
        if count < total or "MainThread" not in name:
            kind = re.sub(r"^thread \(\d+\):\s*|-\d+|\d+", "", name).strip() or name
            others[kind] += count
            distinct[kind] += 1
    print(
        f"samples: {every} in all threads, {total} in the main thread (the event loop: "
        f"{100 * total / every:.0f}%); other threads: "
        + ", ".join(
            f"{kind} ×{distinct[kind]} threads: {count}" for kind, count in others.most_common()
        )
    )
    own: Counter[str] = Counter()
    cumulative: Counter[str] = Counter()
    own_package: Counter[str] = Counter()
    cumulative_package: Counter[str] = Counter()
    for stack, count in stacks.items():
        functions = [function_of(frame) for frame in without_entry(stack)]
        if not functions:
            continue
        leaf, leaf_file = functions[-1]
        own[leaf] += count
        own_package[package_of(leaf_file)] += count
        for name in {name for name, _ in functions}:
            cumulative[name] += count
        for package in {package_of(file) for _, file in functions}:
            cumulative_package[package] += count

    def table(title: str, counter: Counter[str]) -> None:
        print(f"\n{title}")
        for name, count in counter.most_common(top):
            print(f"{100 * count / total:>6.1f}%  {name}")

    table(f"top {top} by own time (main thread)", own)
    table(f"top {top} by cumulative time (main thread)", cumulative)
    print("\nby package (main thread): own time | cumulative (a stack counts once per package)")
    for name in [*(name for name, _ in PACKAGES), "other"]:
        print(
            f"{name:<20}{100 * own_package[name] / total:>6.1f}%"
            f"{100 * cumulative_package[name] / total:>8.1f}%"
        )


def read_text(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


async def target_request(
    args: argparse.Namespace, target: Target, scratch: str
) -> tuple[str, dict[str, str], bytes, dict[str, str] | None]:
    """(URL, headers, body, wrk script environment) of what --path names."""
    async with httpx.AsyncClient(base_url=target.base_url, timeout=120) as client:
        if args.path == "quote":
            shop = await pricing_api.build(client, target.operator)
            body = json.dumps(pricing_api.quote_body(shop, pricing_api.BASELINE)).encode()
            body_file = os.path.join(scratch, "body.json")
            pricing_api.write_bytes(body_file, body)
            headers = {"Authorization": shop.shopper["Authorization"]}
            url = f"{target.base_url}/api/v1/me/checkout/quote"
            return url, headers, body, {"WRK_BODY_FILE": body_file}
        found, token = await pages.prepare(client, target.operator)
    named = {page.name: page for page in [pages.Page("healthz", "/healthz"), *found]}
    if args.path.startswith("/"):
        page = pages.Page(args.path, args.path, signed_in=True)
    elif args.path in named:
        page = named[args.path]
    else:
        raise BenchError(f"unknown path {args.path!r}: {[*named, 'quote']} or a /path")
    headers = {"Accept": "text/html"}
    if page.signed_in:
        headers["Cookie"] = f"weshop_session={token}"
    return target.base_url + page.path, headers, b"", None


async def run(args: argparse.Namespace) -> None:
    if not os.access(PY_SPY, os.X_OK):
        raise BenchError("py-spy is not installed (pip install py-spy)")
    args.self_host = args.self_host or ("postgresql" if args.database_url else "sqlite")
    args.no_worker = True
    with tempfile.TemporaryDirectory(prefix="weshop-profile-") as scratch:
        async with target_for(args) as target:
            url, headers, body, env = await target_request(args, target, scratch)
            how = load.Load(args.threads, args.connections, args.seconds + 2, args.load_tool, 2)
            raw = args.keep or os.path.join(scratch, "profile.raw")
            driving = asyncio.create_task(
                load.measure(
                    args.path,
                    url,
                    how,
                    pid=target.pid,
                    headers=headers,
                    method="POST" if body else "GET",
                    body=body,
                    script=os.path.join(BENCH_DIR, "post.lua") if body else None,
                    script_env=env,
                )
            )
            await asyncio.sleep(1)
            spy = await asyncio.create_subprocess_exec(
                PY_SPY,
                "record",
                "--pid",
                str(target.pid),
                "--nonblocking",
                "--threads",
                "--full-filenames",
                "--rate",
                str(args.rate),
                "--duration",
                str(int(args.seconds)),
                "--format",
                "raw",
                "--output",
                raw,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            _, errors = await spy.communicate()
            measured = await driving
            if spy.returncode != 0:
                raise BenchError(f"py-spy failed: {errors.decode(errors='replace')[-500:]}")
            print(
                f"profile of {args.path} ({url}) on {args.self_host}: {how.describe()}, "
                f"py-spy {args.rate} Hz for {int(args.seconds)} s, server "
                f"{load.server_stack(target.pid)}"
            )
            print(
                f"under the profiler: {measured.per_second:,.0f} req/s, p50 "
                f"{measured.p50_ms:.1f} ms, p99 {measured.p99_ms:.1f} ms, server CPU "
                f"{measured.cpu_ms_per_request or 0:.2f} ms/request, errors {measured.errors}"
            )
            report(*parse_raw(read_text(raw)), args.top)
            if args.keep:
                print(f"\nraw samples kept in {args.keep} (flamegraph: py-spy's raw format)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="py-spy profile of one page or endpoint of a self-hosted server under wrk.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("path", help="a page name (store home, product, ...), quote, or /path")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=25, help="functions listed per table")
    parser.add_argument("--keep", help="keep py-spy's raw output in this file")
    load.add_load_arguments(parser)
    add_server_arguments(parser, base_url=None)
    args = parser.parse_args(argv)
    if args.seconds < 1:
        parser.error("--seconds must be at least 1")
    return args


if __name__ == "__main__":
    try:
        asyncio.run(run(parse_args()))
    except BenchError as exc:
        sys.exit(f"bench: {exc}")
