"""Screening of review text before it is kept: personal numbers masked, abuse starred.

- A mainland mobile number (11 digits starting 13-19) and an ID number (18 characters, the last
  a digit or X) are masked to their first three and last four characters: ``138****0000``.
  Any run of digits (single spaces or hyphens between them count as one run) of 11 or more
  digits is masked the same way, so a number written in groups, or inside a longer number,
  never survives either.
- A term of the word list (``abuse_words.txt``) becomes ``**`` and the review is flagged, which
  lists it for the platform.

Compliance: WeShop gives nothing for a good review. No coupon, points, cash back or any other
reward may depend on a review's stars or words (好评返现 is forbidden by the E-commerce Law,
art. 17, and the Anti-Unfair-Competition Law); nothing here or anywhere in the review flow
knows a reward.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

# Digits with at most one space or hyphen between two of them, and an ID number's final X.
DIGIT_RUN = re.compile(r"\d(?:[ \-]?\d)*(?:[ \-]?[Xx](?![A-Za-z]))?")
MOBILE = re.compile(r"1[3-9]\d{9}")
MIN_MASKED_DIGITS = 11
MASK = "**"


@dataclass(frozen=True)
class Screened:
    text: str
    flagged: bool  # an abusive term was starred


@cache
def abuse_terms() -> re.Pattern[str]:
    """The word list as one case-insensitive pattern, longest terms first."""
    listed = resources.files("weshop.reviews").joinpath("abuse_words.txt").read_text("utf-8")
    terms = sorted(
        {line.strip() for line in listed.splitlines() if line.strip() and line[0] != "#"},
        key=len,
        reverse=True,
    )
    return re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)


def _mask_run(match: re.Match[str]) -> str:
    run = match.group()
    characters = re.sub(r"[ \-]", "", run)
    if len(characters) < MIN_MASKED_DIGITS:
        return run
    return characters[:3] + "*" * (len(characters) - 7) + characters[-4:]


def mask_numbers(text: str) -> str:
    """Phone, ID and other long numbers masked to ``138****0000``."""
    return DIGIT_RUN.sub(_mask_run, text)


def screen(text: str) -> Screened:
    """The text as it may be kept and shown."""
    masked = mask_numbers(text)
    starred, count = abuse_terms().subn(MASK, masked)
    return Screened(text=starred, flagged=count > 0)
