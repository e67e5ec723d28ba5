"""Logging that is safe by construction.

Every event, WeShop's own (structlog) and the libraries' (stdlib logging: uvicorn's errors and
access lines, SQLAlchemy), goes through one chain:

- an exception becomes a plain traceback: its type, its message and ``file:line in function``
  per frame, never a local variable, at most ``MAX_FRAMES`` frames;
- mobile numbers are masked; secrets are redacted: the values the settings hold (secret key,
  database and Redis passwords, APIv3 key), any field named like a token, password, secret,
  cookie or authorization, and bearer tokens, session cookies and URL credentials in any text;
  so are WeChat's ids of a person (openid, unionid, session_key), named or not;
- every value, and the whole event, is bounded in size.

The caller only formats, which is cheap and bounded; a thread writes. The queue between them is
bounded too and never waits: when the sink is too slow for a full queue, events are dropped and
counted rather than the event loop blocked.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import queue
import re
import sys
import traceback
from collections.abc import Iterable
from logging.handlers import QueueHandler, QueueListener
from typing import Any, TextIO

import structlog

from weshop.core.config import Settings

MAX_EVENT_CHARS = 16 * 1024
MAX_EXCEPTION_CHARS = 8 * 1024
MAX_VALUE_CHARS = 2 * 1024
MAX_FRAMES = 30
# A value is cut to this before it is scanned for secrets (so scanning is bounded), and to its
# own, smaller cap after: a secret cut in two by the first cut is always past the second.
_SCAN_CHARS = 64 * 1024
_MAX_ITEMS = 50
_MAX_DEPTH = 4
_QUEUE_EVENTS = 10_000
_CHAINED_EXCEPTIONS = 3
_SHORTEST_SECRET = 4

REDACTED = "[redacted]"

# A mainland mobile in any form a person writes it: +86 prefix, spaces or dashes inside.
_PHONE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?(1[3-9][0-9])[ -]?[0-9]{4}[ -]?([0-9]{4})(?![0-9])")

# WeChat's ids of a person (openid, unionid; session_key is caught as "session") are personal
# data: treated as secrets wherever a field or a name=value says what they are.
_SECRET_NAME = (
    r"[\w.-]*(?:token|passw|secret|session|csrf|cookie|authorization|signature|api_?key"
    r"|credential|openid|unionid)[\w.-]*"
)
# An openid or unionid without its name: 28 characters or so of [A-Za-z0-9_-] starting with
# "o", mixing cases or digits (what no snake_case word of a log does).
_WECHAT_ID = re.compile(r"(?<![\w-])o(?=[\w-]*[A-Z0-9])[\w-]{26,28}(?![\w-])")
_SECRET_KEY = re.compile(_SECRET_NAME, re.IGNORECASE)
_SECRET_TEXT = (
    # Authorization: Bearer <token> (or Basic <credentials>)
    (re.compile(r"\b(Bearer|Basic)\s+[\w.~+/=-]+", re.IGNORECASE), rf"\1 {REDACTED}"),
    # name=value: cookies, query strings, form bodies, keyword reprs
    (re.compile(rf"\b({_SECRET_NAME})=(['\"]?)[^\s&;,'\"]*", re.IGNORECASE), rf"\1=\2{REDACTED}"),
    # "name": "value" in JSON and in a dict's repr
    (
        re.compile(rf"(['\"]{_SECRET_NAME}['\"]\s*:\s*)(['\"])[^'\"]*\2", re.IGNORECASE),
        rf"\1\2{REDACTED}\2",
    ),
    # scheme://user:password@host
    (re.compile(r"(://[^/\s:@]*:)[^/\s@]+@"), rf"\1{REDACTED}@"),
    (_WECHAT_ID, REDACTED),
)


class Redactor:
    """Takes secrets out of text and bounds it; knows the installation's secret values."""

    def __init__(self, secret_values: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is replaced whole.
        self.secret_values = sorted(
            {value for value in secret_values if len(value) >= _SHORTEST_SECRET},
            key=len,
            reverse=True,
        )

    def text(self, text: str, limit: int = MAX_VALUE_CHARS) -> str:
        text = _PHONE.sub(r"\1****\2", text[:_SCAN_CHARS])
        for pattern, replacement in _SECRET_TEXT:
            text = pattern.sub(replacement, text)
        for secret in self.secret_values:
            text = text.replace(secret, REDACTED)
        if len(text) > limit:
            return f"{text[:limit]}…[{len(text) - limit} more characters]"
        return text

    def value(self, value: Any, depth: int = 0) -> Any:
        """A value safe to log: secrets out, strings bounded, containers cut short."""
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            return self.text(value)
        if depth < _MAX_DEPTH and isinstance(value, dict):
            items = list(value.items())[:_MAX_ITEMS]
            return {str(key): self.field(str(key), item, depth + 1) for key, item in items}
        if depth < _MAX_DEPTH and isinstance(value, list | tuple | set | frozenset):
            return [self.value(item, depth + 1) for item in list(value)[:_MAX_ITEMS]]
        return self.text(_safe_repr(value))

    def field(self, key: str, value: Any, depth: int = 0) -> Any:
        if value is not None and _SECRET_KEY.fullmatch(key):
            return REDACTED
        return self.value(value, depth)

    def exception(self, exc: BaseException) -> str:
        """A plain traceback: no source lines, no locals; chained causes included, bounded."""
        chain: list[BaseException] = []
        current: BaseException | None = exc
        while current is not None and len(chain) < _CHAINED_EXCEPTIONS and current not in chain:
            chain.append(current)
            cause = current.__cause__
            context = None if current.__suppress_context__ else current.__context__
            current = cause or context
        blocks = [self._one_exception(each) for each in reversed(chain)]
        rendered = self.text("\n\nwhich led to:\n\n".join(blocks), _SCAN_CHARS)
        if len(rendered) <= MAX_EXCEPTION_CHARS:
            return rendered
        # The end tells most: the error raised last, and the frames nearest to it.
        left_out = len(rendered) - MAX_EXCEPTION_CHARS
        return f"[{left_out} characters left out]…{rendered[-MAX_EXCEPTION_CHARS:]}"

    def _one_exception(self, exc: BaseException) -> str:
        frames: list[str] = []
        repeated = 0
        for frame, line in traceback.walk_tb(exc.__traceback__):
            shown = f"  {frame.f_code.co_filename}:{line} in {frame.f_code.co_name}"
            if frames and shown == frames[-1]:
                repeated += 1
                continue
            if repeated:
                frames.append(f"  [the frame above {repeated} more times]")
                repeated = 0
            frames.append(shown)
        if repeated:
            frames.append(f"  [the frame above {repeated} more times]")
        if len(frames) > MAX_FRAMES:
            head, tail = MAX_FRAMES // 3, MAX_FRAMES - MAX_FRAMES // 3
            left_out = len(frames) - head - tail
            frames = [*frames[:head], f"  … {left_out} frames left out …", *frames[-tail:]]
        module, kind = type(exc).__module__, type(exc).__qualname__
        name = kind if module == "builtins" else f"{module}.{kind}"
        message = self.text(_safe_str(exc))
        return "\n".join(["Traceback (most recent call last):", *frames, f"{name}: {message}"])

    def __call__(self, _logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
        """The structlog processor: exception rendered, every field made safe."""
        exc = _exception_of(event.pop("exc_info", None))
        event.pop("stack_info", None)
        cleaned = {
            key: self.text(_safe_str(value).rstrip()) if key == "event" else self.field(key, value)
            for key, value in event.items()
        }
        if exc is not None:
            cleaned["exception"] = self.exception(exc)
        return cleaned


def _exception_of(exc_info: Any) -> BaseException | None:
    if exc_info is True:
        return sys.exc_info()[1]
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        return exc_info[1]
    return None


def _safe_str(value: Any) -> str:
    try:
        return str(value)
    except Exception:
        return f"<{type(value).__name__} that cannot be shown>"


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:
        return f"<{type(value).__name__} that cannot be shown>"


class _BoundedRenderer:
    """Renders an event; one that is still too long keeps its core fields and says so."""

    CORE = ("timestamp", "level", "logger", "event", "exception")

    def __init__(self, renderer: Any) -> None:
        self.renderer = renderer

    def __call__(self, logger: Any, name: str, event: dict[str, Any]) -> str:
        line = self.renderer(logger, name, dict(event))
        if len(line) <= MAX_EVENT_CHARS:
            return line
        core = {key: event[key] for key in self.CORE if key in event}
        core["truncated"] = f"the event had {len(line)} characters; its other fields are left out"
        return self.renderer(logger, name, core)[:MAX_EVENT_CHARS]


class _DroppingQueueHandler(QueueHandler):
    """Formats in the caller (bounded work) and enqueues without ever waiting."""

    def __init__(self, events: queue.Queue[Any]) -> None:
        super().__init__(events)
        self.dropped = 0

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            if self.dropped:
                self.queue.put_nowait(self._dropped_note())
                self.dropped = 0
            self.queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1

    def _dropped_note(self) -> logging.LogRecord:
        note = logging.makeLogRecord(
            {
                "name": __name__,
                "levelno": logging.WARNING,
                "levelname": "WARNING",
                "msg": f"log.dropped: {self.dropped} events were not written, the sink was slow",
            }
        )
        return self.prepare(note)


class _CurrentStdout(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the sys.stdout of the moment: a server's, or a test's capture."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


_listener: QueueListener | None = None
_events: queue.Queue[Any] | None = None


def configure_logging(settings: Settings, *, stream: TextIO | None = None) -> None:
    """Route every logger, WeShop's and the libraries', through the safe chain to ``stream``
    (default: standard output), written by a background thread."""
    global _listener, _events
    level = settings.log_level.upper()
    redactor = Redactor(settings.secret_values())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redactor,
            _BoundedRenderer(renderer),
        ],
    )
    _stop_writer()
    _events = queue.Queue(maxsize=_QUEUE_EVENTS)
    handler = _DroppingQueueHandler(_events)
    handler.setFormatter(formatter)
    writer = logging.StreamHandler(stream) if stream is not None else _CurrentStdout()
    _listener = QueueListener(_events, writer)
    _listener.start()

    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn installs handlers of its own (tracebacks in full, unredacted): use the root's.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        library_logger = logging.getLogger(name)
        library_logger.handlers.clear()
        library_logger.propagate = True
    # One line per outgoing request (sandbox callbacks) is noise at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level]),
        cache_logger_on_first_use=False,
    )


def flush_logs() -> None:
    """Wait until every event logged so far is written (tests, and before exiting)."""
    if _listener is not None and _events is not None:
        _events.join()


def _stop_writer() -> None:
    global _listener
    if _listener is None:
        return
    # A sink stuck with a full queue: its daemon thread is left to it.
    with contextlib.suppress(queue.Full):
        _listener.stop()
    _listener = None


atexit.register(_stop_writer)
