"""Demo data of visits: two weeks of people looking at the demo stores (more on weekends),
counted by the visit recorder as the shop pages count them, and the demo shoppers' 足迹,
so that the dashboard's visitors and conversion, and 我的 → 足迹, are not empty."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from weshop.catalog.models import Product, ProductStatus
from weshop.catalog.visits import Visitor, VisitRecorder
from weshop.core.clock import utcnow
from weshop.core.security import token_digest

DAYS = 14
Headers = dict[str, str]


async def seed_visits(runtime: Any, store_ids: list[int], shoppers: list[Headers]) -> None:
    """Guests of each of the last ``DAYS`` days viewing a store's home and some of its
    products (a steady pattern, no randomness), then each demo shopper viewing a few
    products today; written in one flush."""
    async with runtime.db.transaction() as session:
        rows = await session.execute(
            select(Product.id, Product.store_id)
            .where(Product.store_id.in_(store_ids), Product.status == ProductStatus.PUBLISHED)
            .order_by(Product.id)
        )
        products: dict[int, list[int]] = {}
        for product_id, store_id in rows:
            products.setdefault(store_id, []).append(product_id)
    recorder = VisitRecorder()
    now = utcnow()
    for days_ago in range(DAYS):
        at = now - timedelta(days=days_ago, hours=2)
        weekend = at.weekday() >= 5
        for number, store_id in enumerate(store_ids):
            catalogue = products.get(store_id, [])
            guests = 18 + (days_ago * 7 + number * 5) % 13 + (10 if weekend else 0)
            for guest in range(guests):
                visitor = Visitor(None, f"demo-{store_id}-{days_ago}-{guest}".ljust(24, "0"))
                recorder.store_view(store_id, visitor, at)
                for step in range(1 + guest % 3):
                    if catalogue:
                        product = catalogue[(guest + step * 2) % len(catalogue)]
                        recorder.product_view(product, visitor, at)
    for index, shopper in enumerate(shoppers):
        who = Visitor(token_digest(shopper["Authorization"].removeprefix("Bearer ")), None)
        mine = [ids[(index + n) % len(ids)] for ids in products.values() for n in range(2) if ids]
        for minutes, product in enumerate(mine):
            recorder.product_view(product, who, now - timedelta(minutes=10 * (len(mine) - minutes)))
    await recorder.flush(runtime.db)
