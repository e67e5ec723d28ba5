"""The values of WeChat's message keywords, made to fit WeChat's rules for their kind.

A template's keyword is named by its kind and position (``thing3``, ``amount2``); WeChat
refuses a message whose value breaks its kind's rule with 47003, so every value is fitted
here instead: a long product name is cut (with an ellipsis) rather than refused.

- ``thing``: at most 20 characters; ``phrase``: at most 5;
- ``character_string``: at most 32 letters, digits and symbols (no Chinese, no spaces);
- ``number``: at most 32 digits; ``amount``: a currency sign and at most 10 digits (¥12.34);
- ``time``: a date and time (2026-12-06 19:30), in China's time.
"""

from __future__ import annotations

import re
from datetime import datetime

from weshop.core.clock import CHINA_TZ
from weshop.core.money import format_yuan

THING_MAX = 20
PHRASE_MAX = 5
CHARACTER_STRING_MAX = 32
NUMBER_MAX = 32
ELLIPSIS = "…"
# What a character_string may hold: ASCII letters, digits and printable symbols.
_NOT_CHARACTER = re.compile(r"[^\x21-\x7e]")


def thing(text: str, limit: int = THING_MAX) -> str:
    """A short text: cut to ``limit`` characters, the last one an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1] + ELLIPSIS


def phrase(text: str) -> str:
    return thing(text, PHRASE_MAX)


def character_string(text: str) -> str:
    return _NOT_CHARACTER.sub("", text)[:CHARACTER_STRING_MAX]


def number(value: int) -> str:
    return str(value)[:NUMBER_MAX]


def amount(fen: int) -> str:
    return format_yuan(fen)


def time(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def template_data(values: dict[str, str]) -> dict[str, dict[str, str]]:
    """The ``data`` of a message as WeChat takes it: ``{"thing3": {"value": "..."}}``."""
    return {keyword: {"value": value} for keyword, value in values.items()}
