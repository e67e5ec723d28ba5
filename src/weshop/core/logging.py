"""Structured logging; mobile numbers are masked in every log line."""

from __future__ import annotations

import logging
import re
from typing import Any

import structlog

# A mainland mobile in any form a person writes it: +86 prefix, spaces or dashes inside.
_PHONE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?(1[3-9][0-9])[ -]?[0-9]{4}[ -]?([0-9]{4})(?![0-9])")


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return _PHONE.sub(r"\1****\2", value)
    if isinstance(value, dict):
        return {key: _mask(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_mask(item) for item in value)
    return value


def mask_personal_data(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    return {key: _mask(value) for key, value in event.items()}


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    logging.basicConfig(format="%(message)s", level=level.upper())
    # One line per outgoing request (sandbox callbacks) is noise at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            mask_personal_data,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        # Not cached: each logger writes to the sys.stdout of its time (servers, test capture).
        cache_logger_on_first_use=False,
    )
