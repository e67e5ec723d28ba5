"""足迹: the products a signed-in shopper viewed, newest first, one entry per product (the
latest view), written in batches by the visit recorder (:mod:`weshop.catalog.visits`).
The history is the shopper's own: an entry of another shopper is not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.catalog import repository as catalog_repo
from weshop.catalog.models import Product, ProductStatus
from weshop.catalog.schemas import ProductSummary, summary_out
from weshop.catalog.visit_models import BrowsingHistory
from weshop.core.clock import CHINA_TZ
from weshop.core.errors import NotFound

# What the page and the API show; older entries stay until cleared.
SHOWN = 100


@dataclass(frozen=True)
class HistoryEntry:
    product: ProductSummary
    on_sale: bool
    viewed_at: datetime

    @property
    def day(self) -> date:
        """The China day of the view, as the page groups them."""
        try:
            return self.viewed_at.astimezone(CHINA_TZ).date()
        except OverflowError:  # the calendar's last hours: there is no later day to name
            return self.viewed_at.date()


async def my_history(session: AsyncSession, user_id: int, limit: int = SHOWN) -> list[HistoryEntry]:
    """The shopper's latest views, newest first; a product no longer on sale is still shown
    (marked), so that the shopper can find it and remove it."""
    rows = (
        await session.execute(
            select(Product, BrowsingHistory.viewed_at)
            .join(Product, Product.id == BrowsingHistory.product_id)
            .where(BrowsingHistory.user_id == user_id)
            .order_by(BrowsingHistory.viewed_at.desc(), BrowsingHistory.product_id.desc())
            .limit(limit)
        )
    ).all()
    media = await catalog_repo.media(session, [p.image_ids[0] for p, _ in rows if p.image_ids])
    return [
        HistoryEntry(
            product=summary_out(product, media),
            on_sale=product.status == ProductStatus.PUBLISHED,
            viewed_at=viewed_at,
        )
        for product, viewed_at in rows
    ]


def by_day(entries: list[HistoryEntry]) -> list[tuple[date, list[HistoryEntry]]]:
    """Entries grouped by the China day of their view, newest day first."""
    return [(day, list(group)) for day, group in groupby(entries, key=lambda e: e.day)]


async def forget(session: AsyncSession, user_id: int, product_id: int) -> None:
    """Removes one product from the shopper's history; 404 when it is not in it."""
    result = await session.execute(
        delete(BrowsingHistory).where(
            BrowsingHistory.user_id == user_id, BrowsingHistory.product_id == product_id
        )
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound("this product is not in your browsing history")


async def clear(session: AsyncSession, user_id: int) -> int:
    """Removes the shopper's whole history; answers how many entries went."""
    result = await session.execute(
        delete(BrowsingHistory).where(BrowsingHistory.user_id == user_id)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
