"""What inventory announces to the domains above it, in the transaction of the change
(:mod:`weshop.core.events`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StockRunningLow:
    """An SKU's available stock went from above its low-stock threshold to at or below it
    (announced when it crosses, not on every change below it)."""

    store_id: int
    sku_id: int
    available: int
    threshold: int
