from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, TimestampMixin, enum_column
from weshop.logistics.carriers.base import ParcelState


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


class Parcel(Base):
    """A package a store shipped, followed at its carrier: one per store, carrier and
    tracking number (two orders sharing a package share its parcel)."""

    __tablename__ = "parcels"
    __table_args__ = (
        UniqueConstraint("store_id", "carrier", "tracking_no"),
        Index("ix_parcels_number", "carrier", "tracking_no"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    # The carrier's code (logistics.carriers.codes).
    carrier: Mapped[str] = mapped_column(String(20))
    tracking_no: Mapped[str] = mapped_column(String(40))
    state: Mapped[ParcelState] = mapped_column(
        enum_column(ParcelState, 16), default=ParcelState.PENDING
    )
    subscribed_at: Mapped[datetime | None]
    # The newest event's time, as the carrier dated it: an older report never overrides.
    latest_event_at: Mapped[datetime | None]
    # When WeShop last heard of the parcel (a push or a query).
    heard_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ParcelEvent(Base):
    """One line of a parcel's tracking, stored once however often it is pushed."""

    __tablename__ = "parcel_events"
    __table_args__ = (UniqueConstraint("parcel_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcels.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    happened_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(String(500))
    area: Mapped[str] = mapped_column(String(60), default="")
    # SHA-256 of the time and text: what makes a repeated line the same line.
    fingerprint: Mapped[str] = mapped_column(String(64))


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
