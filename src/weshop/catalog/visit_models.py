"""The tables the visit recorder (:mod:`weshop.catalog.visits`) writes in batches: daily
counters per store and per product, the set of visitors of each per day (a keyed hash, never
an address or an id in the clear), and the browsing history (足迹) of signed-in shoppers.

Counters are added to by upserts (``views = views + excluded.views``), so several processes
flushing into one day add up; a visitor of a day is a unique row, so counting the rows of a
period counts each visitor once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.db import Base

VISITOR_KEY_LENGTH = 64


class StoreVisitDay(Base):
    """Page views of a store's shop pages (its home, its products, its other pages) on one
    China day."""

    __tablename__ = "store_visit_days"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    page_views: Mapped[int] = mapped_column(default=0)


class StoreVisitor(Base):
    """One visitor of a store on one China day."""

    __tablename__ = "store_visitors"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    visitor_key: Mapped[str] = mapped_column(String(VISITOR_KEY_LENGTH), primary_key=True)


class ProductVisitDay(Base):
    """Views of a product's page on one China day (store_id kept for the store's queries)."""

    __tablename__ = "product_visit_days"
    __table_args__ = (Index("ix_product_visit_days_store_day", "store_id", "day"),)

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    views: Mapped[int] = mapped_column(default=0)


class ProductVisitor(Base):
    """One visitor of a product's page on one China day."""

    __tablename__ = "product_visitors"
    __table_args__ = (Index("ix_product_visitors_store_day", "store_id", "day"),)

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    visitor_key: Mapped[str] = mapped_column(String(VISITOR_KEY_LENGTH), primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))


class BrowsingHistory(Base):
    """A product a signed-in shopper viewed, once per product: the latest view wins."""

    __tablename__ = "browsing_history"
    __table_args__ = (Index("ix_browsing_history_user_viewed", "user_id", "viewed_at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    viewed_at: Mapped[datetime]
