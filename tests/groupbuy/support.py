"""Bodies of group-buy campaigns for the sweeps of other test modules."""

from __future__ import annotations

from datetime import timedelta

from weshop.core.clock import utcnow


def group_buy_terms(sku_id: int) -> dict:
    now = utcnow()
    return {
        "name": "三人拼团",
        "prices": [{"sku_id": sku_id, "price_fen": 1}],
        "stock": 10,
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(days=7)).isoformat(),
    }


def group_buy_body(product_id: int, sku_id: int) -> dict:
    return {
        **group_buy_terms(sku_id),
        "product_id": product_id,
        "group_size": 3,
        "fill_window_minutes": 60,
    }
