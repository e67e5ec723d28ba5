"""Cells of CSV files that people open in a spreadsheet."""

from __future__ import annotations

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """``text`` as a cell a spreadsheet shows and never runs."""
    return f"'{text}" if text[:1] in FORMULA_STARTS else text
