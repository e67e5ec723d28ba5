"""The pricing core is pure: its tests need no app and no database."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def clean_state() -> None:
    """Overrides the suite-wide database wipe: nothing here writes anything."""
