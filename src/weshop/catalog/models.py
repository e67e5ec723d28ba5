from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.db import Base, TimestampMixin, enum_column


class ProductStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"
    ARCHIVED = "archived"


class PlatformCategory(TimestampMixin, Base):
    """The platform's category tree, shared by every store (two levels). Stores map their
    own categories onto it; the fee schedule is set per platform category."""

    __tablename__ = "platform_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("platform_categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(30))
    sort_order: Mapped[int] = mapped_column(default=0)
    # Retired, not deleted: fee rates and old orders' terms may still name it.
    retired: Mapped[bool] = mapped_column(default=False)


class Category(TimestampMixin, Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(30))
    sort_order: Mapped[int] = mapped_column(default=0)
    platform_category_id: Mapped[int | None] = mapped_column(
        ForeignKey("platform_categories.id"), index=True
    )


class Product(TimestampMixin, Base):
    __tablename__ = "products"
    __table_args__ = (
        Index("ix_products_store_status", "store_id", "status"),
        # The shop's newest-first listing across stores.
        Index("ix_products_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    # None: the store's default shipping template applies. The key also stops a template in
    # use from being deleted.
    shipping_template_id: Mapped[int | None] = mapped_column(
        ForeignKey("shipping_templates.id"), index=True
    )
    title: Mapped[str] = mapped_column(String(60))
    subtitle: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProductStatus] = mapped_column(
        enum_column(ProductStatus, 16), default=ProductStatus.DRAFT
    )
    # [{"name": "颜色", "values": ["红", "蓝"]}, {"name": "尺码", "values": ["S", "M"]}]
    specs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    image_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # The 图文 detail below the specs, in order:
    # [{"kind": "text", "text": "..."}, {"kind": "image", "media_id": 7}, {"kind": "video", ...}]
    detail_blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Lowest active SKU price, kept for listing and sorting without a join.
    price_from_fen: Mapped[int] = mapped_column(default=0)
    sales_count: Mapped[int] = mapped_column(default=0)


class Sku(TimestampMixin, Base):
    __tablename__ = "skus"
    __table_args__ = (
        UniqueConstraint("product_id", "spec_key"),
        UniqueConstraint("store_id", "sku_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    # Canonical "颜色:红|尺码:M"; empty for a product without specs.
    spec_key: Mapped[str] = mapped_column(String(300), default="")
    spec_values: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    sku_code: Mapped[str] = mapped_column(String(64))
    price_fen: Mapped[int]
    weight_grams: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Shown on the product page when this SKU is chosen (a colour's own picture).
    image_id: Mapped[int | None] = mapped_column(ForeignKey("media_assets.id"))

    @property
    def spec_text(self) -> str:
        """``颜色:红 / 尺码:M``, in the product's dimension order; empty without specs."""
        return " / ".join(self.spec_key.split("|")) if self.spec_key else ""


class ProductSearchDoc(Base):
    """A product's search document: what shop search matches, kept by
    :func:`weshop.catalog.search.index_products` whenever a product or its categories change.

    ``title`` (title, lower-cased) ranks above the rest of ``doc`` (title, subtitle, spec
    values, store and platform category names, lower-cased). On SQLite an FTS5 trigram table
    (``product_search_fts``, kept by triggers) indexes ``doc``; on PostgreSQL a pg_trgm GIN
    index does. Both are made by the migration, outside the models (see migrations/env.py).
    """

    __tablename__ = "product_search_docs"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    doc: Mapped[str] = mapped_column(Text, default="")


class Favourite(TimestampMixin, Base):
    """A product a shopper keeps (收藏); it stays listed when the product leaves the shop."""

    __tablename__ = "favourites"
    __table_args__ = (UniqueConstraint("user_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
