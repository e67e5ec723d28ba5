from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.db import Base, TimestampMixin, enum_column


class ChargeBy(enum.StrEnum):
    PIECE = "piece"
    WEIGHT = "weight"


class ShippingTemplate(TimestampMixin, Base):
    __tablename__ = "shipping_templates"
    __table_args__ = (
        UniqueConstraint("store_id", "name"),
        # One default per store, held by the database even if two requests race.
        Index(
            "uq_shipping_templates_store_default",
            "store_id",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    name: Mapped[str] = mapped_column(String(30))
    charge_by: Mapped[ChargeBy] = mapped_column(enum_column(ChargeBy, 16))
    # [{"provinces": ["浙江省"], "first_units": 1, "first_fee_fen": 800,
    #   "additional_units": 1, "additional_fee_fen": 200}, ...]; provinces [] is the default.
    # Always read and written whole, so a JSON column rather than a child table.
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    free_over_fen: Mapped[int | None]
    unreachable_provinces: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_default: Mapped[bool] = mapped_column(default=False)


class PickupPoint(TimestampMixin, Base):
    """A place where shoppers collect their orders themselves (自提点). Its address and phone
    are the store's business contact, shown to every shopper: not personal data."""

    __tablename__ = "pickup_points"
    __table_args__ = (UniqueConstraint("store_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    name: Mapped[str] = mapped_column(String(30))
    province: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(30))
    district: Mapped[str] = mapped_column(String(30), default="")
    address: Mapped[str] = mapped_column(String(120))
    opening_hours: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(default=True)
