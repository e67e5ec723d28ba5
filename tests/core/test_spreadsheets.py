"""A CSV cell that a spreadsheet would run as a formula is shown as text instead."""

from __future__ import annotations

import pytest

from weshop.core.spreadsheets import safe_cell


@pytest.mark.parametrize("text", ["=1+1", "+86", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_a_formula_start_is_quoted(text: str):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["", "高山乌龙茶", "P2026", "1=1"])
def test_other_text_is_unchanged(text: str):
    assert safe_cell(text) == text
